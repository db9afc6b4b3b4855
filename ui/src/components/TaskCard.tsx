// A follow-up task: who is responsible, by when (both can be changed: re-assigning is an edit like
// any other); start it, record the result and close it.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api";
import type { Failure } from "../api";
import type { Task } from "../bindings/Task";
import { toReport } from "../hooks";
import { formatDate } from "../i18n";
import { ErrorNote } from "./ErrorNote";
import { OfficerSelect, officerName, useOfficers } from "./OfficerSelect";

export function TaskCard({ task, onChanged }: { task: Task; onChanged: () => void }) {
  const { t } = useTranslation();
  const [result, setResult] = useState(task.result);
  const [assignee, setAssignee] = useState(task.assignee);
  const [due, setDue] = useState(task.due_date);
  const [error, setError] = useState<Failure | null>(null);
  const officers = useOfficers();
  const save = (next: Task) => api.saveTask(next, task).then(onChanged, (e) => setError(toReport(e)));
  const open = task.status === "open" || task.status === "in_progress";
  return (
    <div className="card task" data-status={task.status}>
      <strong>{task.title}</strong> · {t(`vocab.task_kind.${task.kind}`)} · {t("task.assignee")}:{" "}
      {officerName(officers, task.assignee)} · {t("task.due")}: {formatDate(task.due_date)} ·{" "}
      <span className="status">{t(`vocab.task_status.${task.status}`)}</span>
      {task.result && !open ? (
        <p>
          {t("task.result")}: {task.result}
        </p>
      ) : null}
      {open ? (
        <div className="inline">
          <OfficerSelect label={t("task.assignee")} value={assignee} onChange={setAssignee} />
          <input aria-label={t("task.due")} type="date" value={due} onChange={(e) => setDue(e.target.value)} />
          {(assignee !== task.assignee || due !== task.due_date) && (
            <button type="button" onClick={() => void save({ ...task, assignee, due_date: due })}>
              {t("common.save")}
            </button>
          )}
          {task.status === "open" && (
            <button type="button" onClick={() => void save({ ...task, status: "in_progress" })}>
              {t("task.start")}
            </button>
          )}
          <input value={result} onChange={(e) => setResult(e.target.value)} placeholder={t("task.result")} />
          <button type="button" onClick={() => void save({ ...task, status: "done", result })}>
            {t("task.done")}
          </button>
        </div>
      ) : null}
      <ErrorNote error={error} />
    </div>
  );
}
