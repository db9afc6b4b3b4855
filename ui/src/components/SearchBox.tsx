// One box over residents and addresses: results as you type, best first, grouped, the matched
// characters marked (by pinyin too: the core says which). ↑/↓ move through the results, Enter opens
// the one selected and hands the keyboard to the page opened, Esc clears and leaves the box.
import { useEffect, useState, type RefObject } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api";
import type { SearchResults } from "../bindings/SearchResults";
import type { Navigate } from "../route";

function Marked({ text, query, mark }: { text: string; query: string; mark?: [number, number] | null }) {
  const chars = Array.from(text);
  let range = mark ?? null;
  if (!range) {
    const q = query.trim();
    const i = q ? text.indexOf(q) : -1;
    if (i >= 0) range = [Array.from(text.slice(0, i)).length, Array.from(q).length];
  }
  if (!range) return <>{text}</>;
  const [at, count] = range;
  return (
    <>
      {chars.slice(0, at).join("")}
      <mark>{chars.slice(at, at + count).join("")}</mark>
      {chars.slice(at + count).join("")}
    </>
  );
}

/// Moves the keyboard to the page just opened (its heading), so its keys (N for a new visit) work.
function focusPage() {
  requestAnimationFrame(() => document.querySelector<HTMLElement>("main h1")?.focus());
}

export function SearchBox({
  inputRef,
  navigate,
}: {
  inputRef: RefObject<HTMLInputElement | null>;
  navigate: Navigate;
}) {
  const { t } = useTranslation();
  const [text, setText] = useState("");
  const [results, setResults] = useState<SearchResults | null>(null);
  const [selected, setSelected] = useState(0);

  useEffect(() => {
    if (!text.trim()) {
      setResults(null);
      return;
    }
    let live = true;
    const timer = setTimeout(
      () =>
        api.search(text).then(
          (r) => live && (setResults(r), setSelected(0)),
          () => undefined,
        ),
      120,
    );
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [text]);

  const open = (id: string) => {
    setText("");
    inputRef.current?.blur();
    navigate({ name: "household", id });
    focusPage();
  };
  const empty = results && results.residents.length === 0 && results.households.length === 0;
  // Residents then addresses, as listed: what ↑/↓ walk through.
  const hits = results
    ? [...results.residents.map((r) => r.household_id), ...results.households.map((h) => h.household_id)]
    : [];
  const current = Math.min(selected, Math.max(hits.length - 1, 0));

  return (
    <div className="search">
      <input
        ref={inputRef}
        type="search"
        data-testid="search"
        value={text}
        placeholder={t("search.placeholder")}
        onChange={(e) => setText(e.target.value)}
        role="combobox"
        aria-expanded={hits.length > 0}
        aria-controls="search-results"
        aria-activedescendant={hits.length > 0 ? `hit-${current}` : undefined}
        onKeyDown={(e) => {
          if (e.key === "Escape") {
            setText("");
            e.currentTarget.blur();
            focusPage();
          } else if (e.key === "ArrowDown" && hits.length > 0) {
            e.preventDefault();
            setSelected((current + 1) % hits.length);
          } else if (e.key === "ArrowUp" && hits.length > 0) {
            e.preventDefault();
            setSelected((current - 1 + hits.length) % hits.length);
          } else if (e.key === "Enter" && hits.length > 0) {
            e.preventDefault();
            open(hits[current]);
          }
        }}
      />
      {results ? (
        <div className="results" id="search-results" role="listbox" data-testid="search-results">
          {empty ? <p className="muted">{t("search.none")}</p> : null}
          {results.residents.length > 0 && <h4>{t("search.residents")}</h4>}
          {results.residents.map((r, i) => (
            <button
              type="button"
              key={r.resident_id}
              id={`hit-${i}`}
              role="option"
              aria-selected={i === current}
              className={i === current ? "hit selected" : "hit"}
              data-kind="resident"
              onMouseEnter={() => setSelected(i)}
              onClick={() => open(r.household_id)}
            >
              <strong>
                <Marked text={r.name} query={text} mark={r.mark} />
              </strong>
              {r.birth_year ? <span className="muted"> {r.birth_year}</span> : null}
              <span className="muted"> · {r.address}</span>
            </button>
          ))}
          {results.households.length > 0 && <h4>{t("search.households")}</h4>}
          {results.households.map((h, j) => {
            const i = results.residents.length + j;
            return (
              <button
                type="button"
                key={h.household_id}
                id={`hit-${i}`}
                role="option"
                aria-selected={i === current}
                className={i === current ? "hit selected" : "hit"}
                data-kind="household"
                onMouseEnter={() => setSelected(i)}
                onClick={() => open(h.household_id)}
              >
                <Marked text={h.address} query={text} /> <span className="muted">· {h.beat}</span>
              </button>
            );
          })}
        </div>
      ) : null}
    </div>
  );
}
