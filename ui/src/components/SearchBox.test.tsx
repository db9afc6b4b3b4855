// The search box by keyboard: results best first with the matched part marked (by pinyin too),
// ↓/↑ move the selection, Enter opens the selected household and lets go of the keyboard, Esc
// clears the box and leaves it.
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { createRef } from "react";
import { afterEach, expect, it, vi } from "vitest";
import "../i18n";

const api = vi.hoisted(() => ({
  search: vi.fn(() =>
    Promise.resolve({
      residents: [
        { resident_id: "r1", household_id: "h1", name: "叶海燕", mark: [0, 3], address: "幸福路1号", birth_year: 1950 },
        { resident_id: "r2", household_id: "h2", name: "于海燕", mark: [0, 3], address: "幸福路2号", birth_year: null },
      ],
      households: [{ household_id: "h3", address: "叶家巷3号", beat: "幸福社区" }],
    }),
  ),
}));
vi.mock("../api", async (original) => ({ ...(await original<typeof import("../api")>()), api }));

import { SearchBox } from "./SearchBox";

afterEach(cleanup);

async function typed(text: string) {
  const navigate = vi.fn();
  const ref = createRef<HTMLInputElement>();
  render(<SearchBox inputRef={ref} navigate={navigate} />);
  const box = screen.getByTestId("search") as HTMLInputElement;
  box.focus();
  vi.useFakeTimers();
  fireEvent.change(box, { target: { value: text } });
  await act(async () => {
    await vi.advanceTimersByTimeAsync(200);
  });
  vi.useRealTimers();
  return { box, navigate };
}

it("walks the results with the arrow keys and opens the selected one with Enter", async () => {
  const { box, navigate } = await typed("yhy");
  const options = screen.getAllByRole("option");
  expect(options.map((o) => o.getAttribute("aria-selected"))).toEqual(["true", "false", "false"]);
  expect(options[0].querySelector("mark")?.textContent).toBe("叶海燕");
  fireEvent.keyDown(box, { key: "ArrowDown" });
  fireEvent.keyDown(box, { key: "ArrowDown" });
  expect(screen.getAllByRole("option")[2].getAttribute("aria-selected")).toBe("true");
  fireEvent.keyDown(box, { key: "ArrowUp" });
  expect(box.getAttribute("aria-activedescendant")).toBe("hit-1");
  fireEvent.keyDown(box, { key: "Enter" });
  expect(navigate).toHaveBeenCalledWith({ name: "household", id: "h2" });
  expect(document.activeElement).not.toBe(box);
  expect(box.value).toBe("");
});

it("Esc clears the box and leaves it", async () => {
  const { box, navigate } = await typed("yhy");
  fireEvent.keyDown(box, { key: "Escape" });
  expect(box.value).toBe("");
  expect(document.activeElement).not.toBe(box);
  expect(navigate).not.toHaveBeenCalled();
});
