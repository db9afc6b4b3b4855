// The lock screen and the idle lock, in jsdom with the shell's commands replaced by spies: choosing
// a passphrase asks for it twice; a wrong passphrase and a lock-out are said in Chinese; a damaged
// file is explained without asking for anything; the app locks after the idle minutes and after a
// sleep, and not while the officer is working.
import { act, cleanup, fireEvent, render, renderHook, screen } from "@testing-library/react";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import "../i18n";
import { CommandError } from "../api";
import { useIdleLock } from "../idleLock";

const api = vi.hoisted(() => ({ unlock: vi.fn(), createPassphrase: vi.fn() }));
vi.mock("../api", async (original) => ({ ...(await original<typeof import("../api")>()), api }));

import { LockScreen } from "./LockScreen";

beforeEach(() => {
  vi.clearAllMocks();
  localStorage.clear();
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

const type = (testId: string, value: string) => fireEvent.change(screen.getByTestId(testId), { target: { value } });

it("asks for a new passphrase twice and refuses two different ones", async () => {
  const done = vi.fn();
  api.createPassphrase.mockResolvedValue(undefined);
  render(<LockScreen state={{ file: "plain", unlocked: false }} onUnlocked={done} />);
  expect(screen.getByText(/尚未加密/)).toBeTruthy();
  type("passphrase", "幸福社区2026春");
  type("passphrase-confirm", "幸福社区2026夏");
  await act(async () => fireEvent.submit(screen.getByTestId("passphrase").closest("form")!));
  expect(screen.getByRole("alert").textContent).toBe("两次输入的口令不一致");
  expect(api.createPassphrase).not.toHaveBeenCalled();
  type("passphrase-confirm", "幸福社区2026春");
  await act(async () => fireEvent.submit(screen.getByTestId("passphrase").closest("form")!));
  expect(api.createPassphrase).toHaveBeenCalledWith("幸福社区2026春");
  expect(done).toHaveBeenCalled();
});

it("says how many tries are left, then that it is locked for a while", async () => {
  render(<LockScreen state={{ file: "encrypted", unlocked: false }} onUnlocked={() => {}} />);
  expect(screen.queryByTestId("passphrase-confirm")).toBeNull();
  api.unlock.mockRejectedValueOnce(new CommandError({ kind: "wrong_passphrase", left: 3 }));
  type("passphrase", "wrong one");
  await act(async () => fireEvent.submit(screen.getByTestId("passphrase").closest("form")!));
  expect(screen.getByRole("alert").textContent).toBe("口令不对，还可以再试 3 次");
  api.unlock.mockRejectedValueOnce(new CommandError({ kind: "locked_out", seconds: 290 }));
  await act(async () => fireEvent.submit(screen.getByTestId("passphrase").closest("form")!));
  expect(screen.getByRole("alert").textContent).toContain("请 5 分钟后再试");
});

it("explains a damaged file and asks for no passphrase", () => {
  render(<LockScreen state={{ file: "damaged", unlocked: false }} onUnlocked={() => {}} />);
  expect(screen.getByRole("alert").textContent).toContain("数据文件已损坏");
  expect(screen.queryByTestId("passphrase")).toBeNull();
});

it("locks after the idle minutes, not while working, and at once after a sleep", () => {
  vi.useFakeTimers();
  let clock = 0;
  const now = () => clock;
  const lock = vi.fn();
  localStorage.setItem("doorstep.lockMinutes", "2");
  renderHook(() => useIdleLock(true, lock, now));
  const wait = (ms: number) => {
    for (let t = 0; t < ms; t += 5_000) {
      clock += 5_000;
      vi.advanceTimersByTime(5_000);
    }
  };
  wait(60_000);
  fireEvent.keyDown(window, { key: "a" }); // working
  wait(90_000);
  expect(lock).not.toHaveBeenCalled();
  wait(40_000);
  expect(lock).toHaveBeenCalledTimes(1);

  lock.mockClear();
  fireEvent.keyDown(window, { key: "a" });
  clock += 10 * 60_000; // the lid was closed: the clock jumps between two ticks
  vi.advanceTimersByTime(5_000);
  expect(lock).toHaveBeenCalledTimes(1);
});
