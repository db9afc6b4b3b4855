// The New visit screen's promises, in jsdom with the shell's commands replaced by spies:
// keys toggle purposes (Alt+1…6 even while typing), the rating and the people met, typing autosaves
// a draft (at once when the window loses focus, and again on its own after a full disk refused it),
// Ctrl+Enter saves the visit once, and a rejected save shows the reason next to the field in Chinese.
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import "../i18n";
import { CommandError } from "../api";
import type { HouseholdDetail } from "../bindings/HouseholdDetail";
import type { VisitEntry } from "../bindings/VisitEntry";

const detail: HouseholdDetail = {
  household: {
    id: "h1",
    version: 0,
    beat: "幸福社区",
    address: "幸福路12号3栋401",
    kind: "residence",
    tags: ["elderly_alone"],
    contact_name: "",
    contact_phone: "",
    notes: "",
    registered_at: "2020-01-01T00:00:00.000Z",
    to_check: [],
    deleted: false,
  },
  summary: {
    household_id: "h1",
    address: "幸福路12号3栋401",
    beat: "幸福社区",
    kind: "residence",
    tags: ["elderly_alone"],
    head_name: "张三",
    last_visit: null,
    due_date: "2020-01-01",
    overdue_days: 10,
  },
  residents: [
    {
      id: "r1",
      version: 0,
      household_id: "h1",
      name: "张三",
      sex: "male",
      birth_date: "1940-01-01",
      phone: "",
      id_number: "",
      relation: "head",
      tags: [],
      notes: "",
      to_check: [],
      deleted: false,
    },
  ],
  visits: [],
  concerns: [],
  tasks: [],
};

const api = vi.hoisted(() => ({
  householdDetail: vi.fn(),
  drafts: vi.fn(),
  saveDraft: vi.fn(),
  recordVisit: vi.fn(),
  saveResident: vi.fn(),
}));
vi.mock("../api", async (original) => ({ ...(await original<typeof import("../api")>()), api }));

import { VisitForm } from "./VisitForm";

beforeEach(() => {
  vi.useFakeTimers({ shouldAdvanceTime: true });
  api.householdDetail.mockResolvedValue(detail);
  api.drafts.mockResolvedValue([]);
  api.saveDraft.mockResolvedValue(undefined);
  api.recordVisit.mockResolvedValue(undefined);
  api.saveResident.mockResolvedValue(undefined);
});
afterEach(() => {
  cleanup();
  vi.useRealTimers();
  vi.clearAllMocks();
});

async function renderForm() {
  const onDone = vi.fn();
  render(<VisitForm householdId="h1" officer="李警官" onDone={onDone} onBack={() => undefined} />);
  await screen.findByTestId("visit-form");
  return onDone;
}

describe("New visit", () => {
  it("toggles purposes with the number keys", async () => {
    await renderForm();
    const warmth = screen.getByRole("button", { name: /送温暖/ });
    (document.activeElement as HTMLElement | null)?.blur();
    fireEvent.keyDown(document.body, { key: "1" });
    expect(warmth.getAttribute("aria-pressed")).toBe("true");
    fireEvent.keyDown(document.body, { key: "1" });
    expect(warmth.getAttribute("aria-pressed")).toBe("false");
  });

  it("is filled by keyboard alone: Alt+digits while typing, Alt+Q/W/E, Ctrl+digits, ? for the keys", async () => {
    const onDone = await renderForm();
    await act(async () => undefined);
    expect(document.activeElement).toBe(screen.getByLabelText("张三"));
    const notes = screen.getByTestId("visit-notes");
    notes.focus();
    fireEvent.keyDown(notes, { key: "¡", code: "Digit2", altKey: true });
    expect(screen.getByRole("button", { name: /送平安/ }).getAttribute("aria-pressed")).toBe("true");
    // A digit typed in the notes is text, not a purpose.
    fireEvent.keyDown(notes, { key: "2" });
    expect(screen.getByRole("button", { name: /送平安/ }).getAttribute("aria-pressed")).toBe("true");
    fireEvent.keyDown(notes, { key: "w", code: "KeyW", altKey: true });
    expect((screen.getByRole("radio", { name: /基本满意/ }) as HTMLInputElement).checked).toBe(true);
    fireEvent.keyDown(notes, { key: "1", code: "Digit1", ctrlKey: true });
    expect((screen.getByLabelText("张三") as HTMLInputElement).checked).toBe(true);
    expect(screen.getByTestId("visit-keys").textContent).toContain("Alt+1…6");
    notes.blur();
    fireEvent.keyDown(document.body, { key: "?" });
    expect(screen.getByTestId("keys-help").textContent).toContain("Ctrl+Enter");
    fireEvent.keyDown(document.body, { key: "Escape" });
    expect(screen.queryByTestId("keys-help")).toBeNull();
    fireEvent.keyDown(document.body, { key: "Enter", ctrlKey: true });
    await act(async () => undefined);
    const entry: VisitEntry = api.recordVisit.mock.calls[0][0];
    expect(entry.visit).toMatchObject({ purposes: ["safety"], rating: "basic", met: ["r1"] });
    expect(onDone).toHaveBeenCalledWith("h1");
  });

  it("writes the draft at once when the window loses focus, not only after a pause", async () => {
    await renderForm();
    fireEvent.change(screen.getByTestId("visit-notes"), { target: { value: "最后一句" } });
    await act(async () => undefined);
    expect(api.saveDraft).not.toHaveBeenCalled();
    fireEvent.blur(window);
    expect(api.saveDraft).toHaveBeenCalledTimes(1);
    expect(api.saveDraft.mock.calls[0][2].entry.visit.notes).toBe("最后一句");
    await act(async () => void vi.advanceTimersByTime(400));
    expect(api.saveDraft).toHaveBeenCalledTimes(1);
  });

  it("autosaves what is typed as a draft", async () => {
    await renderForm();
    fireEvent.change(screen.getByTestId("visit-notes"), { target: { value: "老人身体好" } });
    await act(async () => void vi.advanceTimersByTime(400));
    expect(api.saveDraft).toHaveBeenCalledTimes(1);
    const [id, kind, payload] = api.saveDraft.mock.calls[0];
    expect(kind).toBe("visit");
    expect(id).toMatch(/^visit-/);
    expect(payload.address).toBe("幸福路12号3栋401");
    expect(payload.entry.visit.notes).toBe("老人身体好");
  });

  it("keeps a draft the full disk refused and writes it when there is room, untouched", async () => {
    api.saveDraft.mockRejectedValueOnce(new CommandError({ kind: "disk_full" }));
    await renderForm();
    fireEvent.change(screen.getByTestId("visit-notes"), { target: { value: "门锁坏了，已联系物业" } });
    await act(async () => void vi.advanceTimersByTime(400));
    expect(api.saveDraft).toHaveBeenCalledTimes(1);
    expect(await screen.findAllByText(/磁盘已满/)).not.toHaveLength(0);
    expect(screen.getByTestId("draft-state").textContent).toMatch(/磁盘已满/);
    expect(screen.getByTestId("visit-notes")).toHaveProperty("value", "门锁坏了，已联系物业");
    // Nothing more is typed; the draft goes again on its own once the disk has room.
    await act(async () => void vi.advanceTimersByTime(5000));
    expect(api.saveDraft).toHaveBeenCalledTimes(2);
    expect(api.saveDraft.mock.calls[1][2].entry.visit.notes).toBe("门锁坏了，已联系物业");
    await act(async () => undefined);
    expect(screen.queryByText(/磁盘已满/)).toBeNull();
    await act(async () => void vi.advanceTimersByTime(10000));
    expect(api.saveDraft).toHaveBeenCalledTimes(2);
  });

  it("saves once with Ctrl+Enter, even when pressed twice", async () => {
    const onDone = await renderForm();
    fireEvent.click(screen.getByRole("button", { name: /送平安/ }));
    fireEvent.click(screen.getByLabelText("张三"));
    fireEvent.keyDown(document.body, { key: "Enter", ctrlKey: true });
    fireEvent.keyDown(document.body, { key: "Enter", ctrlKey: true });
    await act(async () => undefined);
    expect(api.recordVisit).toHaveBeenCalledTimes(1);
    const entry: VisitEntry = api.recordVisit.mock.calls[0][0];
    expect(entry.visit.purposes).toEqual(["safety"]);
    expect(entry.visit.met).toEqual(["r1"]);
    expect(entry.visit.officers).toEqual(["李警官"]);
    expect(entry.draft_id).toBe(`visit-${entry.visit.id}`);
    expect(onDone).toHaveBeenCalledWith("h1");
  });

  it("shows why a save was refused, in Chinese, next to the field", async () => {
    api.recordVisit.mockRejectedValue(
      new CommandError({ kind: "invalid", errors: [{ field: "purposes", code: "required" }] }),
    );
    const onDone = await renderForm();
    fireEvent.click(screen.getByTestId("save-visit"));
    expect(await screen.findAllByText(/必填，请填写走访目的/)).not.toHaveLength(0);
    expect(onDone).not.toHaveBeenCalled();
  });

  it("registers someone met who is not on the register and ticks them as met", async () => {
    await renderForm();
    fireEvent.change(screen.getByTestId("new-person"), { target: { value: "王小明" } });
    fireEvent.click(screen.getByRole("button", { name: "添加人员" }));
    const box = (await screen.findByLabelText("王小明")) as HTMLInputElement;
    expect(box.checked).toBe(true);
    const person = api.saveResident.mock.calls[0][0];
    expect(person).toMatchObject({ name: "王小明", household_id: "h1" });
  });
});
