// Concerns and tasks still open on the officer's beats.
import { useTranslation } from "react-i18next";
import { api } from "../api";
import { ErrorNote } from "../components/ErrorNote";
import { FirstOf } from "../components/Labels";
import { useLoad } from "../hooks";
import { formatDate, formatDateTime } from "../i18n";
import type { Navigate } from "../route";
import { officerName, useOfficers } from "../components/OfficerSelect";

export function Work({ navigate }: { navigate: Navigate }) {
  const { t } = useTranslation();
  const officers = useOfficers();
  const { data, error } = useLoad(api.openWork, []);
  if (error) return <ErrorNote error={error} />;
  if (!data) return <p>{t("common.loading")}</p>;
  const today = new Date().toISOString().slice(0, 10);
  return (
    <section>
      <h1>{t("work.title")}</h1>
      <h2>{t("work.concerns", { count: data.concerns_total })}</h2>
      <FirstOf shown={data.concerns.length} count={data.concerns_total} />
      <ul className="list">
        {data.concerns.map(({ concern, address }) => (
          <li key={concern.id}>
            <button
              type="button"
              className="row"
              onClick={() => navigate({ name: "household", id: concern.household_id })}
            >
              <span>{t(`vocab.category.${concern.category}`)}</span>
              <span>{concern.summary}</span>
              <span className="muted">{address}</span>
              <span>{t(`vocab.concern_status.${concern.status}`)}</span>
              <span className="muted">{formatDateTime(concern.raised_at)}</span>
            </button>
          </li>
        ))}
      </ul>
      <h2>{t("work.tasks", { count: data.tasks_total })}</h2>
      <FirstOf shown={data.tasks.length} count={data.tasks_total} />
      <ul className="list">
        {data.tasks.map(({ task, address }) => (
          <li key={task.id}>
            <button
              type="button"
              className="row"
              onClick={() => navigate({ name: "household", id: task.household_id })}
            >
              <span>{task.title}</span>
              <span className="muted">{address}</span>
              <span>{officerName(officers, task.assignee)}</span>
              <span className={task.due_date < today ? "overdue" : ""}>{formatDate(task.due_date)}</span>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
