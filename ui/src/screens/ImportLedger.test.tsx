// The import screen says where it found the header row, and after a check lists each row that was
// not imported or imported with values to check, by its number in the sheet, with why, in Chinese.
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { afterEach, expect, it, vi } from "vitest";
import "../i18n";
import type { ImportReport } from "../bindings/ImportReport";
import type { Preview } from "../bindings/Preview";

const api = vi.hoisted(() => ({ importPreview: vi.fn(), importLedger: vi.fn(), saveImportReport: vi.fn() }));
vi.mock("../api", async (original) => ({ ...(await original<typeof import("../api")>()), api }));

import { ImportLedger } from "./ImportLedger";

afterEach(cleanup);

it("shows the header row found and a per-row table of what was rejected or left to check", async () => {
  const preview: Preview = {
    header_row: 3,
    headers: ["序号", "户主姓名", "身份证号码", "家庭住址"],
    sample: [["1", "张桂英", "110101196512254000", "幸福路12号"]],
    row_count: 8,
    suggested: { name: 1, id_number: 2, address: 3 },
  };
  const report: ImportReport = {
    dry_run: true,
    rows: 8,
    households_created: 5,
    residents_created: 6,
    residents_updated: 0,
    unchanged: 0,
    rejected: [{ row: 9, errors: [{ field: "address", code: "required" }] }],
    warnings: [{ row: 4, errors: [{ field: "id_number", code: "excel_rounded" }] }],
  };
  api.importPreview.mockResolvedValue(preview);
  api.importLedger.mockResolvedValue(report);
  render(<ImportLedger defaultBeat="幸福社区" />);
  const input = document.querySelector("input[type=file]") as HTMLInputElement;
  const file = new File(["x"], "台账.xlsx");
  Object.defineProperty(file, "arrayBuffer", { value: () => Promise.resolve(new ArrayBuffer(1)) });
  fireEvent.change(input, { target: { files: [file] } });
  expect(await screen.findByText(/表头在第 3 行/)).toBeTruthy();
  fireEvent.click(screen.getByRole("button", { name: "预检（不保存）" }));
  const rows = await screen.findByTestId("import-rows");
  await waitFor(() => expect(rows.querySelectorAll("tbody tr").length).toBe(2));
  const [first, second] = Array.from(rows.querySelectorAll("tbody tr")).map((r) => r.textContent ?? "");
  expect(first).toContain("4");
  expect(first).toContain("已导入，有内容需核对");
  expect(first).toContain("Excel");
  expect(second).toContain("9");
  expect(second).toContain("未导入");
  expect(screen.getByTestId("import-report").textContent).toContain("1 行有内容需核对");

  // Saved as a workbook for the clerk: the same rows, worded as on screen.
  api.saveImportReport.mockResolvedValue("/root/Downloads/台账-导入结果.xlsx");
  fireEvent.click(screen.getByTestId("save-report"));
  expect(await screen.findByTestId("report-saved")).toBeTruthy();
  expect(screen.getByTestId("report-saved").textContent).toContain("/root/Downloads/台账-导入结果.xlsx");
  const [name, , headings, saved] = api.saveImportReport.mock.calls[0];
  expect(name).toBe("台账.xlsx");
  expect(headings).toEqual(["行号", "结果", "说明"]);
  expect(saved[0]).toMatchObject({ row: 4, outcome: "已导入，有内容需核对" });
  expect(saved[0].why).toContain("Excel");
  expect(saved[1]).toMatchObject({ row: 9, outcome: "未导入" });
});
