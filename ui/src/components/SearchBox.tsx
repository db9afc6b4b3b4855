// One box over residents and addresses: results as you type, grouped, the matched characters marked.
import { useEffect, useState, type RefObject } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api";
import type { SearchResults } from "../bindings/SearchResults";
import type { Navigate } from "../route";

function Marked({ text, query }: { text: string; query: string }) {
  const q = query.trim();
  const i = q ? text.indexOf(q) : -1;
  if (i < 0) return <>{text}</>;
  return <>{text.slice(0, i)}<mark>{q}</mark>{text.slice(i + q.length)}</>;
}

export function SearchBox({ inputRef, navigate }: { inputRef: RefObject<HTMLInputElement | null>; navigate: Navigate }) {
  const { t } = useTranslation();
  const [text, setText] = useState("");
  const [results, setResults] = useState<SearchResults | null>(null);

  useEffect(() => {
    if (!text.trim()) {
      setResults(null);
      return;
    }
    let live = true;
    const timer = setTimeout(() => api.search(text).then((r) => live && setResults(r), () => undefined), 120);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [text]);

  const open = (id: string) => {
    setText("");
    navigate({ name: "household", id });
  };
  const empty = results && results.residents.length === 0 && results.households.length === 0;

  return (
    <div className="search">
      <input
        ref={inputRef}
        type="search"
        data-testid="search"
        value={text}
        placeholder={t("search.placeholder")}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Escape") setText("");
          if (e.key === "Enter" && results) {
            const first = results.residents[0]?.household_id ?? results.households[0]?.household_id;
            if (first) open(first);
          }
        }}
      />
      {results ? (
        <div className="results" data-testid="search-results">
          {empty ? <p className="muted">{t("search.none")}</p> : null}
          {results.residents.length > 0 && <h4>{t("search.residents")}</h4>}
          {results.residents.map((r) => (
            <button type="button" key={r.resident_id} className="hit" data-kind="resident" onClick={() => open(r.household_id)}>
              <strong><Marked text={r.name} query={text} /></strong>
              {r.birth_year ? <span className="muted"> {r.birth_year}</span> : null}
              <span className="muted"> · {r.address}</span>
            </button>
          ))}
          {results.households.length > 0 && <h4>{t("search.households")}</h4>}
          {results.households.map((h) => (
            <button type="button" key={h.household_id} className="hit" data-kind="household" onClick={() => open(h.household_id)}>
              <Marked text={h.address} query={text} /> <span className="muted">· {h.beat}</span>
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}
