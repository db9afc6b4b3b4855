// One household: header with address, tags and due date; residents, visits (newest first), concerns
// and tasks, and what an imported ledger left to check. "N" starts a visit, J/K or arrows walk the
// residents (Enter opens one), Esc goes back.
import { useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api";
import { ConcernCard } from "../components/ConcernCard";
import { PhotoStrip } from "../components/PhotoStrip";
import { ErrorNote } from "../components/ErrorNote";
import { DueLabel, TagList } from "../components/Labels";
import { HouseholdForm } from "../components/HouseholdForm";
import { ResidentForm } from "../components/ResidentForm";
import { TaskCard } from "../components/TaskCard";
import { ToCheckList } from "../components/ToCheckList";
import { toReport, useLoad } from "../hooks";
import { useListKeys } from "../listKeys";
import type { Failure } from "../api";
import { formatDate, formatDateTime } from "../i18n";
import type { Navigate } from "../route";

export function HouseholdPage({ id, navigate, onBack }: { id: string; navigate: Navigate; onBack?: () => void }) {
  const { t } = useTranslation();
  const { data, error, reload } = useLoad(() => api.householdDetail(id), [id]);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [saveError, setSaveError] = useState<Failure | null>(null);
  // Opened from the search (whose box has let go of the keyboard): the page takes it, so its keys
  // (N for a new visit) work at once.
  const heading = useRef<HTMLHeadingElement>(null);
  const loaded = data?.household.id;
  useEffect(() => {
    if (loaded && (!document.activeElement || document.activeElement === document.body)) heading.current?.focus();
  }, [loaded]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = ["INPUT", "TEXTAREA", "SELECT"].includes((e.target as HTMLElement).tagName);
      if (!typing && (e.key === "n" || e.key === "N") && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        navigate({ name: "visit", householdId: id });
      } else if (!typing && e.key === "Escape" && onBack) {
        e.preventDefault();
        onBack();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [id, navigate, onBack]);

  // J/K or arrows through the residents; Enter opens the selected one's form.
  const selected = useListKeys(data?.residents.length ?? 0, {
    open: (i) => data && setEditing(data.residents[i].id),
  });

  if (error) return <ErrorNote error={error} />;
  if (!data) return <p>{t("common.loading")}</p>;
  const { household, summary, residents, visits, concerns, tasks } = data;
  const name = (rid: string) => residents.find((r) => r.id === rid)?.name ?? "";

  return (
    <section data-testid="household">
      <header className="household-head">
        <h1 ref={heading} tabIndex={-1}>
          {household.address}
        </h1>
        <p>
          {household.beat} · {t(`vocab.household_kind.${household.kind}`)} <TagList tags={household.tags} /> ·{" "}
          {t("households.due")} {formatDate(summary.due_date)} <DueLabel days={summary.overdue_days} />
        </p>
        <button
          type="button"
          className="primary"
          data-testid="new-visit"
          onClick={() => navigate({ name: "visit", householdId: id })}
        >
          {t("household.newVisit")}
        </button>
        <button type="button" onClick={() => setEditing(editing === id ? null : id)}>
          {t("household.edit")}
        </button>
      </header>
      <ErrorNote error={saveError} />
      <ToCheckList
        items={household.to_check}
        onChecked={() =>
          void api
            .saveHousehold({ ...household, to_check: [] }, household)
            .then(reload, (e) => setSaveError(toReport(e)))
        }
      />
      {editing === id ? (
        <HouseholdForm
          key={household.version}
          beat={household.beat}
          initial={household}
          onSaved={() => (setEditing(null), reload())}
        />
      ) : null}

      <h2>
        {t("household.residents")} ({residents.length})
      </h2>
      <table className="table">
        <thead>
          <tr>
            <th>{t("resident.name")}</th>
            <th>{t("resident.relation")}</th>
            <th>{t("resident.sex")}</th>
            <th>{t("resident.birthDate")}</th>
            <th>{t("resident.phone")}</th>
            <th>{t("resident.tags")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {residents.map((r, i) => (
            <tr
              key={r.id}
              data-row={i}
              aria-selected={i === selected}
              className={i === selected ? "selected" : undefined}
            >
              <td>{r.name}</td>
              <td>{r.relation ? t(`vocab.relation.${r.relation}`) : ""}</td>
              <td>{r.sex ? t(`vocab.sex.${r.sex}`) : ""}</td>
              <td>{formatDate(r.birth_date)}</td>
              <td>{r.phone}</td>
              <td>
                <TagList tags={r.tags} />
              </td>
              <td>
                <button type="button" onClick={() => setEditing(editing === r.id ? null : r.id)}>
                  {t("household.edit")}
                </button>
              </td>
            </tr>
          ))}
          {residents
            .filter((r) => r.to_check.length > 0)
            .map((r) => (
              <tr key={`${r.id}-check`}>
                <td colSpan={7}>
                  {r.name}：
                  <ToCheckList
                    items={r.to_check}
                    onChecked={() =>
                      void api.saveResident({ ...r, to_check: [] }, r).then(reload, (e) => setSaveError(toReport(e)))
                    }
                  />
                </td>
              </tr>
            ))}
        </tbody>
      </table>
      {residents
        .filter((r) => r.id === editing)
        .map((r) => (
          <ResidentForm key={r.id} householdId={id} initial={r} onSaved={() => (setEditing(null), reload())} />
        ))}
      {adding ? (
        <ResidentForm householdId={id} onSaved={() => (setAdding(false), reload())} />
      ) : (
        <button type="button" onClick={() => setAdding(true)}>
          {t("household.addResident")}
        </button>
      )}

      <h2>
        {t("household.visits")} ({visits.length})
      </h2>
      {visits.length === 0 && <p className="muted">{t("household.noVisits")}</p>}
      <ul className="visits" data-testid="visits">
        {visits.map((v) => (
          <li key={v.id} className="card">
            <strong>{formatDateTime(v.visited_at)}</strong> · {v.officers.join("、")} ·{" "}
            {v.purposes.map((p) => t(`vocab.purpose.${p}`)).join("、")}
            {v.rating ? <span className="tag">{t(`vocab.rating.${v.rating}`)}</span> : null}
            {v.met.length > 0 && (
              <div className="muted">
                {t("visit.met")}: {v.met.map(name).join("、")}
              </div>
            )}
            <p className="notes">{v.notes}</p>
            {v.opinions && (
              <p className="muted">
                {t("visit.opinions")}: {v.opinions}
              </p>
            )}
            <PhotoStrip of={{ kind: "visit", id: v.id }} compact />
          </li>
        ))}
      </ul>

      <h2>{t("photos.title")}</h2>
      <PhotoStrip of={{ kind: "household", id }} />

      <h2>
        {t("household.concerns")} ({concerns.length})
      </h2>
      {concerns.map((c) => (
        <ConcernCard key={c.id} concern={c} residents={residents} onChanged={reload} />
      ))}

      <h2>
        {t("household.tasks")} ({tasks.length})
      </h2>
      {tasks.map((task) => (
        <TaskCard key={`${task.id}-${task.status}-${task.assignee}-${task.due_date}`} task={task} onChanged={reload} />
      ))}
    </section>
  );
}
