// Two officers called 张伟 are two accounts: the picker shows each with their beats and hands back
// the account, and a task shows its assignee's name, not the account id.
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, expect, it, vi } from "vitest";
import "../i18n";

const api = vi.hoisted(() => ({
  officers: vi.fn(() =>
    Promise.resolve([
      { account_id: "acc-1", name: "张伟", beats: ["幸福社区"] },
      { account_id: "acc-2", name: "张伟", beats: ["和平社区"] },
    ]),
  ),
}));
vi.mock("../api", async (original) => ({ ...(await original<typeof import("../api")>()), api }));

import { OfficerSelect, officerName } from "./OfficerSelect";

afterEach(cleanup);

it("tells two officers of one name apart and answers the account", async () => {
  const chosen = vi.fn();
  await act(async () => {
    render(<OfficerSelect label="责任人" value="acc-1" onChange={chosen} />);
  });
  const select = screen.getByLabelText("责任人") as HTMLSelectElement;
  expect([...select.options].map((o) => o.textContent)).toEqual(["张伟（幸福社区）", "张伟（和平社区）"]);
  fireEvent.change(select, { target: { value: "acc-2" } });
  expect(chosen).toHaveBeenCalledWith("acc-2");
  expect(officerName([{ account_id: "acc-2", name: "张伟", beats: [] }], "acc-2")).toBe("张伟");
  expect(officerName([], "王警官")).toBe("王警官");
});
