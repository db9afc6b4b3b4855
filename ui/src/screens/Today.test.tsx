// The Today screen's beat figures, in jsdom with the shell's commands replaced by spies: coverage as
// a share of households, overdue households with how long, visits and open concerns, in Chinese.
import { cleanup, render, screen } from "@testing-library/react";
import { afterEach, expect, it, vi } from "vitest";
import "../i18n";
import type { Task } from "../bindings/Task";
import type { Today } from "../bindings/Today";

const api = vi.hoisted(() => ({ today: vi.fn() }));
vi.mock("../api", async (original) => ({ ...(await original<typeof import("../api")>()), api }));

import { TodayScreen } from "./Today";

afterEach(cleanup);

it("shows the beat's coverage, overdue households, visits and open concerns", async () => {
  const today: Today = {
    date: "2026-11-23",
    due_households: [],
    due_total: 0,
    households_total: 8,
    tasks_due: [],
    tasks_due_total: 0,
    awaiting_feedback: [],
    awaiting_feedback_total: 0,
    to_check: [{ household_id: "h1", address: "和平街3号", count: 2 }],
    figures: {
      households: 8,
      covered: 6,
      overdue: 2,
      overdue_over_30: 1,
      overdue_over_90: 0,
      visits_this_week: 3,
      visits_this_month: 11,
      open_concerns: 4,
    },
  };
  api.today.mockResolvedValue(today);
  render(<TodayScreen navigate={() => {}} />);
  const figures = await screen.findByTestId("beat-figures");
  expect(figures.textContent).toContain("走访覆盖率 75%");
  expect(figures.textContent).toContain("8 户中 6 户在周期内走访过");
  expect(figures.textContent).toContain("逾期未访 2 户");
  expect(figures.textContent).toContain("超 30 天 1 户，超 90 天 0 户");
  expect(figures.textContent).toContain("本周走访 3 次");
  expect(figures.textContent).toContain("本月 11 次");
  expect(figures.textContent).toContain("未办结问题 4 件");
  // What the imported ledger left to check: the household, and how much.
  const toCheck = screen.getByTestId("today-to-check");
  expect(toCheck.textContent).toContain("和平街3号");
  expect(toCheck.textContent).toContain("2 项待核对");
});

it("counts every task due, not only the first 50 the shell gives, and leads to all of them", async () => {
  const task: Task = {
    id: "t1",
    version: 1,
    household_id: "h1",
    concern_id: null,
    kind: "follow_up",
    title: "回访独居老人",
    assignee: "张警官",
    due_date: "2026-11-22",
    status: "open",
    result: "",
    deleted: false,
    feedback_at: null,
    feedback_method: null,
    feedback_note: "",
  };
  const today: Today = {
    date: "2026-11-23",
    due_households: [],
    due_total: 0,
    households_total: 8,
    tasks_due: [{ task, address: "和平街3号" }],
    tasks_due_total: 503,
    awaiting_feedback: [],
    awaiting_feedback_total: 0,
    to_check: [],
    figures: {
      households: 8,
      covered: 8,
      overdue: 0,
      overdue_over_30: 0,
      overdue_over_90: 0,
      visits_this_week: 0,
      visits_this_month: 0,
      open_concerns: 0,
    },
  };
  api.today.mockResolvedValue(today);
  const navigate = vi.fn();
  render(<TodayScreen navigate={navigate} />);
  expect(await screen.findByText("今日到期任务 (503)")).toBeTruthy();
  expect(screen.getByText(/显示前 1 条，共 503 条/)).toBeTruthy();
  screen.getByRole("button", { name: "在“问题与任务”中查看全部" }).click();
  expect(navigate).toHaveBeenCalledWith({ name: "work" });
  // A list given whole says nothing more.
  expect(screen.getByText("待反馈群众 (0)")).toBeTruthy();
  expect(screen.queryByText(/共 0 条/)).toBeNull();
  expect(screen.getAllByRole("button", { name: /查看全部/ })).toHaveLength(1);
});
