// Today's due list by keyboard: J/K and the arrows move the selection, Enter opens the household,
// N starts a visit from the selected row; keys typed into a text field are left alone.
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, expect, it, vi } from "vitest";
import "./i18n";
import type { Today } from "./bindings/Today";

const household = (id: string, address: string, days: number) => ({
  household_id: id,
  address,
  beat: "幸福社区",
  kind: "residence" as const,
  tags: [],
  head_name: "张三",
  last_visit: null,
  due_date: "2026-11-01",
  overdue_days: days,
});
const today: Today = {
  date: "2026-12-01",
  due_households: [household("h1", "幸福路1号", 30), household("h2", "幸福路2号", 10), household("h3", "幸福路3号", 0)],
  due_total: 3,
  households_total: 3,
  tasks_due: [],
  tasks_due_total: 0,
  awaiting_feedback: [],
  awaiting_feedback_total: 0,
  to_check: [],
  figures: {
    households: 3,
    covered: 0,
    overdue: 2,
    overdue_over_30: 0,
    overdue_over_90: 0,
    visits_this_week: 0,
    visits_this_month: 0,
    open_concerns: 0,
  },
};
const api = vi.hoisted(() => ({ today: vi.fn(), officers: vi.fn(() => Promise.resolve([])) }));
vi.mock("./api", async (original) => ({ ...(await original<typeof import("./api")>()), api }));

import { TodayScreen } from "./screens/Today";

afterEach(cleanup);

it("walks Today's due households with J/K and arrows, opens with Enter, starts a visit with N", async () => {
  api.today.mockResolvedValue(today);
  const navigate = vi.fn();
  render(<TodayScreen navigate={navigate} />);
  const list = await screen.findByTestId("due-list");
  const selected = () =>
    Array.from(list.querySelectorAll("li")).findIndex((li) => li.getAttribute("aria-selected") === "true");
  fireEvent.keyDown(document.body, { key: "j" });
  expect(selected()).toBe(0);
  fireEvent.keyDown(document.activeElement ?? document.body, { key: "ArrowDown" });
  fireEvent.keyDown(document.activeElement ?? document.body, { key: "j" });
  expect(selected()).toBe(2);
  fireEvent.keyDown(document.activeElement ?? document.body, { key: "k" });
  expect(selected()).toBe(1);
  expect(document.activeElement?.textContent).toContain("幸福路2号");
  fireEvent.keyDown(document.activeElement ?? document.body, { key: "n" });
  expect(navigate).toHaveBeenLastCalledWith({ name: "visit", householdId: "h2" });
  // Enter on the selected row is its button's own click: it opens the household.
  (document.activeElement as HTMLElement).click();
  expect(navigate).toHaveBeenLastCalledWith({ name: "household", id: "h2" });
  // Typing in a field is text, not a command.
  const field = document.createElement("input");
  document.body.append(field);
  fireEvent.keyDown(field, { key: "j" });
  expect(selected()).toBe(1);
  field.remove();
});
