// Always visible: online/offline, unsent changes, last sync; a sync button with progress. Offline is
// normal, not an error: a failed sync says so calmly and work goes on.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, type Failure } from "../api";
import type { Progress } from "../bindings/Progress";
import type { SyncReport } from "../bindings/SyncReport";
import type { SyncStatus } from "../bindings/SyncStatus";
import { toReport } from "../hooks";
import { errorMessage, formatDateTime } from "../i18n";

export function SyncBar({ status, onSynced }: { status: SyncStatus | null; onSynced: () => void }) {
  const { t } = useTranslation();
  const [online, setOnline] = useState(false);
  // The bar runs twice: over the changes to send, then over the station's versions to receive.
  const [progress, setProgress] = useState<{ sent: number; received: number; value: number; max: number } | null>(null);
  const [message, setMessage] = useState<string>("");

  useEffect(() => {
    const stops = [
      api.onSyncProgress((p: Progress) =>
        setProgress((old) =>
          p.phase === "pushed"
            ? { sent: p.sent, received: 0, value: p.sent, max: p.sent + p.remaining }
            : p.phase === "pulled"
              ? { sent: old?.sent ?? 0, received: p.received, value: p.percent, max: 100 }
              : { sent: old?.sent ?? 0, received: old?.received ?? 0, value: p.sent, max: p.total },
        ),
      ),
      api.onSyncFinished((r: SyncReport | null) => {
        setProgress(null);
        if (r) {
          setOnline(true);
          onSynced();
        }
      }),
      // Work taken from an answer bundle: the counts change, whether the station is reachable not.
      api.onBundleTaken(() => (setProgress(null), onSynced())),
    ];
    return () => stops.forEach((s) => void s.then((stop) => stop()));
  }, [onSynced]);

  const syncNow = () => {
    setMessage("");
    setProgress({ sent: 0, received: 0, value: 0, max: 0 });
    api
      .syncNow()
      .then(
        (r) => {
          setOnline(true);
          const notes = [t("sync.done", { ...r })];
          if (r.station_went_back) notes.push(t("sync.stationWentBack"));
          if (r.refused) notes.push(t("sync.refused", { count: r.refused }));
          if (r.left_scope) notes.push(t("sync.leftScope", { count: r.left_scope }));
          if (r.kept_out_of_scope) notes.push(t("sync.keptOutOfScope", { count: r.kept_out_of_scope }));
          if (r.clock_skew_ms !== null)
            notes.push(
              t(r.clock_skew_ms > 0 ? "sync.clockAhead" : "sync.clockBehind", {
                minutes: Math.round(Math.abs(r.clock_skew_ms) / 60000),
              }),
            );
          setMessage(notes.join(" "));
          onSynced();
        },
        (e) => {
          const report: Failure = toReport(e);
          setOnline(false);
          setMessage(errorMessage(report));
        },
      )
      .finally(() => setProgress(null));
  };

  return (
    <span className="sync-state" data-testid="sync-state" title={message}>
      <span className={online ? "dot online" : "dot"}>●</span> {online ? t("app.online") : t("app.offline")} ·{" "}
      {t("app.unsent", { count: status?.unsent ?? 0 })} ·{" "}
      {status?.last_sync_at ? t("app.lastSync", { time: formatDateTime(status.last_sync_at) }) : t("app.neverSynced")}
      <button type="button" className="sync" data-testid="sync-now" disabled={!!progress} onClick={syncNow}>
        {progress ? t("sync.running", progress) : t("sync.button")}
      </button>
      {progress ? (
        // Indeterminate (no value) until the first batch says how much there is.
        <progress
          data-testid="sync-progress"
          aria-label={t("sync.progress")}
          max={progress.max || undefined}
          value={progress.max ? progress.value : undefined}
        />
      ) : null}
      {message ? (
        <span className="sync-message" role="status">
          {message}
        </span>
      ) : null}
    </span>
  );
}
