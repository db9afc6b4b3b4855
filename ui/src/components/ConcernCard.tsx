// A concern and its status line: raised -> in progress -> resolved -> resident told (closed). The
// last step asks when and how the resident was told; the core refuses to close without it.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api";
import type { Concern } from "../bindings/Concern";
import type { ConcernStatus } from "../bindings/ConcernStatus";
import type { Failure } from "../api";
import type { FeedbackMethod } from "../bindings/FeedbackMethod";
import type { Resident } from "../bindings/Resident";
import { toReport } from "../hooks";
import { formatDateTime } from "../i18n";
import { FEEDBACK } from "../vocab";
import { ErrorNote } from "./ErrorNote";
import { PhotoStrip } from "./PhotoStrip";

const NEXT: Partial<Record<ConcernStatus, ConcernStatus>> = { raised: "in_progress", in_progress: "resolved" };

export function ConcernCard({
  concern,
  residents,
  onChanged,
}: {
  concern: Concern;
  residents: Resident[];
  onChanged: () => void;
}) {
  const { t } = useTranslation();
  const [method, setMethod] = useState<FeedbackMethod>("in_person");
  const [note, setNote] = useState("");
  const [error, setError] = useState<Failure | null>(null);
  const save = (c: Concern) => api.saveConcern(c, concern).then(onChanged, (e) => setError(toReport(e)));
  const reporter = concern.reporter_id
    ? residents.find((r) => r.id === concern.reporter_id)?.name
    : concern.reporter_name;
  const next = NEXT[concern.status];
  return (
    <div className="card concern" data-status={concern.status}>
      <strong>{t(`vocab.category.${concern.category}`)}</strong> · {t(`vocab.urgency.${concern.urgency}`)} ·{" "}
      <span className="status">{t(`vocab.concern_status.${concern.status}`)}</span>
      {concern.confidential ? <span className="tag secret">{t("concern.confidential")}</span> : null}
      <p>{concern.summary}</p>
      <p className="muted">
        {t("concern.reporter")}: {reporter || t("common.none")} · {formatDateTime(concern.raised_at)}
      </p>
      {concern.feedback_at ? (
        <p className="muted">
          {t("concern.feedback")}: {formatDateTime(concern.feedback_at)} ·{" "}
          {concern.feedback_method ? t(`vocab.feedback.${concern.feedback_method}`) : ""} · {concern.feedback_note}
        </p>
      ) : null}
      {next ? (
        <button type="button" onClick={() => void save({ ...concern, status: next })}>
          {t("concern.advance", { status: t(`vocab.concern_status.${next}`) })}
        </button>
      ) : null}
      {concern.status !== "closed" ? (
        <div className="inline">
          <select
            value={method}
            onChange={(e) => setMethod(e.target.value as FeedbackMethod)}
            aria-label={t("concern.feedbackMethod")}
          >
            {FEEDBACK.map((f) => (
              <option key={f} value={f}>
                {t(`vocab.feedback.${f}`)}
              </option>
            ))}
          </select>
          <input value={note} onChange={(e) => setNote(e.target.value)} placeholder={t("concern.feedbackNote")} />
          <button
            type="button"
            onClick={() => {
              const now = new Date().toISOString();
              void save({
                ...concern,
                status: "closed",
                feedback_at: now,
                feedback_method: method,
                feedback_note: note,
                closed_at: now,
              });
            }}
          >
            {t("concern.tell")}
          </button>
        </div>
      ) : null}
      <PhotoStrip of={{ kind: "concern", id: concern.id }} compact />
      <ErrorNote error={error} />
    </div>
  );
}
