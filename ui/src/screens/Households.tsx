// Households of the beat, with filters (beat, tag, due), most overdue first.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api";
import type { HouseholdFilter } from "../bindings/HouseholdFilter";
import type { Tag } from "../bindings/Tag";
import { ErrorNote } from "../components/ErrorNote";
import { DueLabel, TagList } from "../components/Labels";
import { HouseholdForm } from "../components/HouseholdForm";
import { useLoad } from "../hooks";
import { formatDate } from "../i18n";
import type { Navigate } from "../route";
import { TAGS } from "../vocab";

export function Households({ navigate, beats }: { navigate: Navigate; beats: string[] }) {
  const { t } = useTranslation();
  const [filter, setFilter] = useState<HouseholdFilter>({
    beat: beats[0] ?? null,
    tag: null,
    due_only: false,
    offset: 0,
    limit: 100,
  });
  const [adding, setAdding] = useState(false);
  const { data, error, reload } = useLoad(() => api.households(filter), [JSON.stringify(filter)]);
  return (
    <section>
      <h1>{t("households.title")}</h1>
      <div className="filters">
        <label>
          {t("households.beat")}
          <select
            value={filter.beat ?? ""}
            onChange={(e) => setFilter({ ...filter, beat: e.target.value || null, offset: 0 })}
          >
            <option value="">{t("households.allBeats")}</option>
            {beats.map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("households.tag")}
          <select
            value={filter.tag ?? ""}
            onChange={(e) => setFilter({ ...filter, tag: (e.target.value || null) as Tag | null, offset: 0 })}
          >
            <option value="">{t("households.allTags")}</option>
            {TAGS.map((tag) => (
              <option key={tag} value={tag}>
                {t(`vocab.tag.${tag}`)}
              </option>
            ))}
          </select>
        </label>
        <label className="check">
          <input
            type="checkbox"
            checked={filter.due_only}
            onChange={(e) => setFilter({ ...filter, due_only: e.target.checked, offset: 0 })}
          />
          {t("households.dueOnly")}
        </label>
        <button type="button" onClick={() => setAdding(!adding)}>
          {t("households.add")}
        </button>
      </div>
      {adding ? (
        <HouseholdForm
          beat={filter.beat ?? beats[0] ?? ""}
          onSaved={(id) => (setAdding(false), reload(), navigate({ name: "household", id }))}
        />
      ) : null}
      <ErrorNote error={error} />
      {data ? (
        <>
          <p className="muted">{t("households.total", { count: data.total })}</p>
          <table className="table">
            <thead>
              <tr>
                <th>{t("households.address")}</th>
                <th>{t("households.head")}</th>
                <th>{t("household.tags")}</th>
                <th>{t("households.lastVisit")}</th>
                <th>{t("households.due")}</th>
              </tr>
            </thead>
            <tbody>
              {data.items.map((h) => (
                <tr
                  key={h.household_id}
                  onClick={() => navigate({ name: "household", id: h.household_id })}
                  className="clickable"
                >
                  <td>{h.address}</td>
                  <td>{h.head_name}</td>
                  <td>
                    <TagList tags={h.tags} />
                  </td>
                  <td>{h.last_visit ? formatDate(h.last_visit) : t("households.never")}</td>
                  <td>
                    {formatDate(h.due_date)} <DueLabel days={h.overdue_days} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="pager">
            {filter.offset > 0 && (
              <button
                type="button"
                onClick={() => setFilter({ ...filter, offset: Math.max(0, filter.offset - filter.limit) })}
              >
                ←
              </button>
            )}
            {filter.offset + data.items.length < data.total && (
              <button type="button" onClick={() => setFilter({ ...filter, offset: filter.offset + filter.limit })}>
                →
              </button>
            )}
          </div>
        </>
      ) : null}
    </section>
  );
}
