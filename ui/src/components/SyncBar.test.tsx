// The sync bar's promises, in jsdom with the shell's commands replaced by spies: a progress bar
// over the changes sent and then the records received while a sync runs, the outcome afterwards,
// and a calm Chinese message when the station cannot be reached.
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import "../i18n";
import { CommandError } from "../api";
import type { Progress } from "../bindings/Progress";
import type { SyncReport } from "../bindings/SyncReport";

const handlers = vi.hoisted(() => ({ progress: (() => {}) as (p: Progress) => void }));
const api = vi.hoisted(() => ({
  syncNow: vi.fn(),
  onSyncProgress: vi.fn((h: (p: Progress) => void) => {
    handlers.progress = h;
    return Promise.resolve(() => {});
  }),
  onSyncFinished: vi.fn(() => Promise.resolve(() => {})),
  onBundleTaken: vi.fn(() => Promise.resolve(() => {})),
}));
vi.mock("../api", async (original) => ({ ...(await original<typeof import("../api")>()), api }));

import { SyncBar } from "./SyncBar";

const status = { unsent: 30, last_sync_at: null };
const report: SyncReport = {
  pushed: 30,
  acked_seq: 30,
  conflicts: 0,
  refused: 0,
  renumbered: 0,
  station_went_back: false,
  left_scope: 0,
  kept_out_of_scope: 0,
  clock_skew_ms: null,
  pulled: 200,
  photos: { sent: 0, bytes_sent: 0, waiting: 0, thumbs: 0 },
  cursor: 200,
};

beforeEach(() => vi.clearAllMocks());
afterEach(cleanup);

it("shows a progress bar while syncing, then what the sync did", async () => {
  let finish: (r: SyncReport) => void = () => {};
  api.syncNow.mockReturnValue(new Promise((resolve) => (finish = resolve)));
  render(<SyncBar status={status as never} onSynced={() => {}} />);
  fireEvent.click(screen.getByTestId("sync-now"));
  const bar = () => screen.getByTestId("sync-progress") as HTMLProgressElement;
  expect(bar().hasAttribute("value")).toBe(false); // indeterminate until the first batch

  act(() => handlers.progress({ phase: "pushed", sent: 10, remaining: 20 }));
  expect([bar().value, bar().max]).toEqual([10, 30]);
  act(() => handlers.progress({ phase: "pulled", received: 100, percent: 40 }));
  expect([bar().value, bar().max]).toEqual([40, 100]);
  expect(screen.getByTestId("sync-now").textContent).toContain("已接收 100 条");

  await act(async () => finish(report));
  expect(screen.queryByTestId("sync-progress")).toBeNull();
  expect(screen.getByRole("status").textContent).toContain("发送 30 条，接收 200 条");
});

it("says calmly that the station is unreachable and leaves no bar behind", async () => {
  api.syncNow.mockRejectedValue(
    new CommandError({ kind: "unreachable", url: "http://127.0.0.1:8470", message: "connection refused" } as never),
  );
  render(<SyncBar status={status as never} onSynced={() => {}} />);
  await act(async () => fireEvent.click(screen.getByTestId("sync-now")));
  expect(screen.queryByTestId("sync-progress")).toBeNull();
  expect(screen.getByRole("status").textContent).toMatch(/连不上|无法连接/);
  expect(screen.getByTestId("sync-state").textContent).toContain("离线");
});

it("tells the officer when the laptop's clock is wrong", async () => {
  api.syncNow.mockResolvedValue({ ...report, clock_skew_ms: 48 * 3600 * 1000 });
  render(<SyncBar status={status as never} onSynced={() => {}} />);
  await act(async () => fireEvent.click(screen.getByTestId("sync-now")));
  expect(screen.getByRole("status").textContent).toContain("本机时钟比派出所快 2880 分钟");
});
