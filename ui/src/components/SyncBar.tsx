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
  const [progress, setProgress] = useState<{ sent: number; received: number } | null>(null);
  const [message, setMessage] = useState<string>("");

  useEffect(() => {
    const stops = [
      api.onSyncProgress((p: Progress) =>
        setProgress((old) => ({
          sent: p.phase === "pushed" ? p.sent : (old?.sent ?? 0),
          received: p.phase === "pulled" ? p.received : (old?.received ?? 0),
        })),
      ),
      api.onSyncFinished((r: SyncReport | null) => {
        setProgress(null);
        if (r) {
          setOnline(true);
          onSynced();
        }
      }),
    ];
    return () => stops.forEach((s) => void s.then((stop) => stop()));
  }, [onSynced]);

  const syncNow = () => {
    setMessage("");
    setProgress({ sent: 0, received: 0 });
    api.syncNow().then(
      (r) => {
        setOnline(true);
        setMessage(t("sync.done", { ...r }));
        onSynced();
      },
      (e) => {
        const report: Failure = toReport(e);
        setOnline(false);
        setMessage(errorMessage(report));
      },
    ).finally(() => setProgress(null));
  };

  return (
    <span className="sync-state" data-testid="sync-state" title={message}>
      <span className={online ? "dot online" : "dot"}>●</span> {online ? t("app.online") : t("app.offline")} ·{" "}
      {t("app.unsent", { count: status?.unsent ?? 0 })} ·{" "}
      {status?.last_sync_at ? t("app.lastSync", { time: formatDateTime(status.last_sync_at) }) : t("app.neverSynced")}
      <button type="button" className="sync" data-testid="sync-now" disabled={!!progress} onClick={syncNow}>
        {progress ? t("sync.running", progress) : t("sync.button")}
      </button>
      {message ? <span className="sync-message" role="status">{message}</span> : null}
    </span>
  );
}
