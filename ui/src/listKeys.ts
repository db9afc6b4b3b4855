// Walking a list by keyboard, as officers do a ledger: J or ↓ the next row, K or ↑ the one before,
// Enter opens the selected row, N starts a visit from it. Keys typed into a text field are text.
import { useEffect, useRef, useState } from "react";

export type ListKeys = {
  /** What Enter does to the selected row. */
  open: (index: number) => void;
  /** What N does to the selected row (if anything). */
  visit?: (index: number) => void;
};

function typing(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName) || el.isContentEditable);
}

/** The selected row (-1 before the first key) of a list of `count` rows, moved by J/K and arrows. */
export function useListKeys(count: number, keys: ListKeys): number {
  const [selected, setSelected] = useState(-1);
  const latest = useRef({ count, keys, selected });
  latest.current = { count, keys, selected };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const { count, keys, selected } = latest.current;
      if (count === 0 || typing(e.target) || e.ctrlKey || e.altKey || e.metaKey) return;
      const key = e.key.toLowerCase();
      if (key === "j" || e.key === "ArrowDown") {
        e.preventDefault();
        setSelected(Math.min(selected + 1, count - 1));
      } else if (key === "k" || e.key === "ArrowUp") {
        e.preventDefault();
        setSelected(Math.max(selected - 1, 0));
      } else if (e.key === "Enter" && selected >= 0 && (e.target as HTMLElement | null)?.tagName !== "BUTTON") {
        e.preventDefault();
        keys.open(selected);
      } else if (key === "n" && selected >= 0 && keys.visit) {
        e.preventDefault();
        keys.visit(selected);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  // The selected row takes the focus (so Enter on it is its own click) and stays in view.
  useEffect(() => {
    if (selected < 0) return;
    const row = document.querySelector<HTMLElement>(`[data-row="${selected}"]`);
    row?.querySelector<HTMLElement>("button, a")?.focus();
    row?.scrollIntoView?.({ block: "nearest" });
  }, [selected]);
  return selected;
}
