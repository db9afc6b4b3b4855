// Today: households due or overdue for a visit, tasks due, and residents still waiting to be told.
// The due list is walked by keyboard: J/K or arrows, Enter opens the household, N starts a visit.
import { useTranslation } from "react-i18next";
import { api } from "../api";
import { ErrorNote } from "../components/ErrorNote";
import { DueLabel, TagList } from "../components/Labels";
import { useLoad } from "../hooks";
import { formatDate } from "../i18n";
import type { BeatFigures } from "../bindings/BeatFigures";
import type { Navigate } from "../route";
import { officerName, useOfficers } from "../components/OfficerSelect";
import { useListKeys } from "../listKeys";

/// Under a list Today cut short: how many are shown, and the way to all of them (the work list).
function MoreInWork({ shown, count, navigate }: { shown: number; count: number; navigate: Navigate }) {
  const { t } = useTranslation();
  if (shown >= count) return null;
  return (
    <p className="muted">
      {t("common.firstOf", { shown, count })}{" "}
      <button type="button" className="link" onClick={() => navigate({ name: "work" })}>
        {t("today.seeAllInWork")}
      </button>
    </p>
  );
}

/// The beat at a glance: coverage, overdue households, visits this week and month, open concerns.
function Figures({ figures: f }: { figures: BeatFigures }) {
  const { t } = useTranslation();
  const coverage = f.households ? Math.round((f.covered * 100) / f.households) : 100;
  const items: [string, string, string?][] = [
    [
      "coverage",
      t("today.coverage", { percent: coverage }),
      t("today.coverageOf", { covered: f.covered, total: f.households }),
    ],
    [
      "overdue",
      t("today.overdueHouseholds", { count: f.overdue }),
      t("today.overdueLong", { over30: f.overdue_over_30, over90: f.overdue_over_90 }),
    ],
    [
      "visits",
      t("today.visitsWeek", { count: f.visits_this_week }),
      t("today.visitsMonth", { count: f.visits_this_month }),
    ],
    ["concerns", t("today.openConcerns", { count: f.open_concerns })],
  ];
  return (
    <dl className="figures" data-testid="beat-figures">
      {items.map(([key, main, detail]) => (
        <div key={key} data-figure={key}>
          <dt>{main}</dt>
          {detail ? <dd className="muted">{detail}</dd> : null}
        </div>
      ))}
    </dl>
  );
}

export function TodayScreen({ navigate }: { navigate: Navigate }) {
  const { t } = useTranslation();
  const officers = useOfficers();
  const { data, error } = useLoad(api.today, []);
  const due = data?.due_households ?? [];
  const selected = useListKeys(due.length, {
    open: (i) => navigate({ name: "household", id: due[i].household_id }),
    visit: (i) => navigate({ name: "visit", householdId: due[i].household_id }),
  });
  if (error) return <ErrorNote error={error} />;
  if (!data) return <p>{t("common.loading")}</p>;
  return (
    <section data-testid="today">
      <h1 tabIndex={-1}>{t("today.title", { date: formatDate(data.date) })}</h1>
      <Figures figures={data.figures} />
      <h2>{t("today.due", { count: data.due_total })}</h2>
      <p className="muted">{t("today.dueOf", { count: data.due_total, total: data.households_total })}</p>
      <ul className="list" data-testid="due-list">
        {data.due_households.map((h, i) => (
          <li
            key={h.household_id}
            data-row={i}
            aria-selected={i === selected}
            className={i === selected ? "selected" : undefined}
          >
            <button type="button" className="row" onClick={() => navigate({ name: "household", id: h.household_id })}>
              <span className="addr">{h.address}</span>
              <span>{h.head_name}</span>
              <TagList tags={h.tags} />
              <DueLabel days={h.overdue_days} />
            </button>
          </li>
        ))}
        {data.due_households.length === 0 && <li className="muted">{t("today.nothing")}</li>}
      </ul>
      <h2>{t("today.tasksDue", { count: data.tasks_due_total })}</h2>
      <MoreInWork shown={data.tasks_due.length} count={data.tasks_due_total} navigate={navigate} />
      <ul className="list">
        {data.tasks_due.map(({ task, address }) => (
          <li key={task.id}>
            <button
              type="button"
              className="row"
              onClick={() => navigate({ name: "household", id: task.household_id })}
            >
              <span>{task.title}</span>
              <span className="muted">{address}</span>
              <span>{officerName(officers, task.assignee)}</span>
              <span>{formatDate(task.due_date)}</span>
            </button>
          </li>
        ))}
        {data.tasks_due.length === 0 && <li className="muted">{t("today.nothing")}</li>}
      </ul>
      <h2>{t("today.awaiting", { count: data.awaiting_feedback_total })}</h2>
      <MoreInWork shown={data.awaiting_feedback.length} count={data.awaiting_feedback_total} navigate={navigate} />
      <ul className="list">
        {data.awaiting_feedback.map(({ concern, address }) => (
          <li key={concern.id}>
            <button
              type="button"
              className="row"
              onClick={() => navigate({ name: "household", id: concern.household_id })}
            >
              <span>{concern.summary}</span>
              <span className="muted">{address}</span>
              <span>{t(`vocab.concern_status.${concern.status}`)}</span>
            </button>
          </li>
        ))}
        {data.awaiting_feedback.length === 0 && <li className="muted">{t("today.nothing")}</li>}
      </ul>
      {data.to_check.length > 0 ? (
        <>
          <h2>{t("today.toCheck", { count: data.to_check.length })}</h2>
          <ul className="list" data-testid="today-to-check">
            {data.to_check.map(({ household_id, address, count }) => (
              <li key={household_id}>
                <button type="button" className="row" onClick={() => navigate({ name: "household", id: household_id })}>
                  <span>{address}</span>
                  <span className="muted">{t("today.toCheckCount", { count })}</span>
                </button>
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}
