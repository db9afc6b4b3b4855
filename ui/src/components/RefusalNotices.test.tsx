// The officer is told, in Chinese, which edits the station refused and why; a refused edit says the
// station's copy is back, a refused new record offers to discard it, and each notice can be closed.
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, expect, it, vi } from "vitest";
import "../i18n";
import type { Refusal } from "../bindings/Refusal";

const api = vi.hoisted(() => ({ dismissRefusal: vi.fn() }));
vi.mock("../api", async (original) => ({ ...(await original<typeof import("../api")>()), api }));

import { RefusalNotices } from "./RefusalNotices";

const refused = (over: Partial<Refusal>): Refusal => ({
  change_id: "c1",
  entity: "household",
  entity_id: "h1",
  household_id: "h1",
  label: "和平街9号",
  reason: "outside_beats",
  message: 'the record is in beat "和平社区"',
  restored: false,
  refused_at: "2026-12-01T08:00:00.000Z",
  ...over,
});

beforeEach(() => {
  vi.clearAllMocks();
  api.dismissRefusal.mockResolvedValue(undefined);
});
afterEach(cleanup);

it("says which edit was refused and why, and offers to discard a refused new record", async () => {
  const changed = vi.fn();
  const navigate = vi.fn();
  render(<RefusalNotices refusals={[refused({})]} navigate={navigate} onChanged={changed} />);
  const notice = screen.getByTestId("refusal");
  expect(notice.textContent).toContain("住户 · 和平街9号");
  expect(notice.textContent).toContain("不在本人责任区内");
  expect(notice.textContent).toContain("仍保留在本机");
  fireEvent.click(screen.getByText("打开"));
  expect(navigate).toHaveBeenCalledWith({ name: "household", id: "h1" });
  await act(async () => fireEvent.click(screen.getByTestId("refusal-discard")));
  expect(api.dismissRefusal).toHaveBeenCalledWith("c1", true);
  expect(changed).toHaveBeenCalled();
});

it("says a refused edit was set back to the station's copy, with nothing to discard", async () => {
  render(
    <RefusalNotices
      refusals={[refused({ reason: "confidential", entity: "concern", restored: true })]}
      navigate={() => {}}
      onChanged={() => {}}
    />,
  );
  expect(screen.getByTestId("refusal").textContent).toContain("只有记录的民警或所长");
  expect(screen.getByTestId("refusal").textContent).toContain("已恢复为派出所的版本");
  expect(screen.queryByTestId("refusal-discard")).toBeNull();
  await act(async () => fireEvent.click(screen.getByTestId("refusal-dismiss")));
  expect(api.dismissRefusal).toHaveBeenCalledWith("c1", false);
});

it("shows nothing when nothing was refused", () => {
  render(<RefusalNotices refusals={[]} navigate={() => {}} onChanged={() => {}} />);
  expect(screen.queryByTestId("refusals")).toBeNull();
});
