// What an imported ledger left aside is shown in Chinese with what was typed and why, and the
// officer can mark it checked.
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, expect, it, vi } from "vitest";
import "../i18n";
import { ToCheckList } from "./ToCheckList";

afterEach(cleanup);

it("lists each value to check with what was typed and why, and marks them checked", () => {
  const checked = vi.fn();
  render(
    <ToCheckList
      items={[
        { field: "id_number", typed: "110101196512254000", reason: "excel_rounded" },
        { field: "phone", typed: "无", reason: "not_a_phone" },
      ]}
      onChecked={checked}
    />,
  );
  const note = screen.getByTestId("to-check");
  expect(note.textContent).toContain("需核对");
  expect(note.textContent).toContain("身份证号：110101196512254000");
  expect(note.textContent).toContain("末几位已丢失");
  expect(note.textContent).toContain("电话：无 — 不是有效的电话号码");
  fireEvent.click(screen.getByRole("button", { name: "已核对" }));
  expect(checked).toHaveBeenCalledOnce();
});

it("shows nothing when nothing is left to check", () => {
  render(<ToCheckList items={[]} onChecked={() => {}} />);
  expect(screen.queryByTestId("to-check")).toBeNull();
});
