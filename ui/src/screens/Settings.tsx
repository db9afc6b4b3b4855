// Settings: the officer and beats of this laptop, the station, the passphrase, backups, the visit
// intervals, where the data file is.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, type AppInfo, type BundleSaved } from "../api";
import type { AnswerTaken } from "../bindings/AnswerTaken";
import type { PhotoSpace } from "../bindings/PhotoSpace";
import type { BackupSettings } from "../bindings/BackupSettings";
import type { Device } from "../bindings/Device";
import type { Enrolment } from "../bindings/Enrolment";
import type { Failure } from "../api";
import type { VisitPolicy } from "../bindings/VisitPolicy";
import { ErrorNote } from "../components/ErrorNote";
import { toReport } from "../hooks";
import { formatDateTime } from "../i18n";
import { lockMinutes, setLockMinutes } from "../idleLock";
import { TAGS } from "../vocab";
import { Setup } from "./Setup";

/** Connecting this laptop to its station (enrolment), once. */
function StationForm() {
  const { t } = useTranslation();
  const [current, setCurrent] = useState<string | null>(null);
  const [url, setUrl] = useState("https://");
  const [code, setCode] = useState("");
  const [done, setDone] = useState<Enrolment | null>(null);
  const [error, setError] = useState<Failure | null>(null);
  useEffect(() => void api.station().then(setCurrent, () => undefined), []);
  return (
    <>
      <h2>{t("station.title")}</h2>
      <p className="muted" data-testid="station-state">
        {current ? t("station.enrolled", { url: current }) : t("station.none")}
      </p>
      <form
        className="card grid"
        onSubmit={(e) => (
          e.preventDefault(),
          void api.enrollStation(url, code).then(
            (d) => (setCurrent(url), setDone(d), setCode(""), setError(null)),
            (err) => setError(toReport(err)),
          )
        )}
      >
        <label>
          {t("station.url")}
          <input data-testid="station-url" value={url} onChange={(e) => setUrl(e.target.value)} />
        </label>
        <label>
          {t("station.code")}
          <input data-testid="station-code" autoComplete="off" value={code} onChange={(e) => setCode(e.target.value)} />
        </label>
        <button type="submit" className="primary">
          {t("station.enroll")}
        </button>
      </form>
      {done ? (
        <p role="status" data-testid="station-enrolled">
          {t("station.done", {
            officer: done.officer_name,
            beats: done.beats.join("、"),
            fingerprint: done.fingerprint,
          })}
        </p>
      ) : null}
      <ErrorNote error={error} />
    </>
  );
}

/** The passphrase (changed after typing the current one) and the idle time before the app locks. */
function LockSettings() {
  const { t } = useTranslation();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [minutes, setMinutes] = useState(lockMinutes());
  const [error, setError] = useState<Failure | null>(null);
  const [changed, setChanged] = useState(false);
  const change = () =>
    api.changePassphrase(current, next).then(
      () => (setChanged(true), setError(null), setCurrent(""), setNext("")),
      (err) => (setChanged(false), setError(toReport(err))),
    );
  return (
    <>
      <h2>{t("lock.change")}</h2>
      <form className="card grid" onSubmit={(e) => (e.preventDefault(), void change())}>
        <label>
          {t("lock.current")}
          <input
            data-testid="passphrase-current"
            type="password"
            autoComplete="current-password"
            value={current}
            onChange={(e) => setCurrent(e.target.value)}
          />
        </label>
        <label>
          {t("lock.next")}
          <input
            data-testid="passphrase-new"
            type="password"
            autoComplete="new-password"
            value={next}
            onChange={(e) => setNext(e.target.value)}
          />
        </label>
        <button type="submit" className="primary">
          {t("lock.change")}
        </button>
        {changed ? <p role="status">{t("lock.changed")}</p> : null}
        <ErrorNote error={error} />
      </form>
      <label className="card">
        {t("lock.idle")}
        <input
          type="number"
          min={1}
          max={240}
          value={minutes}
          onChange={(e) => (setMinutes(Number(e.target.value)), setLockMinutes(Number(e.target.value)))}
        />
      </label>
    </>
  );
}

/** Where the daily backup goes (a USB stick), a backup now, and how the last one went. */
function BackupSection() {
  const { t } = useTranslation();
  const [settings, setSettings] = useState<BackupSettings | null>(null);
  const [folder, setFolder] = useState("");
  const [made, setMade] = useState<string | null>(null);
  const [error, setError] = useState<Failure | null>(null);
  const show = (s: BackupSettings) => (setSettings(s), setFolder(s.folder ?? ""), setError(null));
  useEffect(() => void api.backupSettings().then(show, (e) => setError(toReport(e))), []);
  const last = settings?.last;
  return (
    <>
      <h2>{t("backup.title")}</h2>
      <p className="muted">{t("backup.explain")}</p>
      <form
        className="card grid"
        onSubmit={(e) => (
          e.preventDefault(),
          void api.setBackupFolder(folder.trim() || null).then(show, (err) => setError(toReport(err)))
        )}
      >
        <label>
          {t("backup.folder")}
          <input data-testid="backup-folder" value={folder} onChange={(e) => setFolder(e.target.value)} />
        </label>
        <button type="submit">{t("backup.save")}</button>
        <button
          type="button"
          className="primary"
          data-testid="backup-now"
          disabled={!settings?.folder}
          onClick={() =>
            void api.backupNow().then(
              (m) => (setMade(m.file), setError(null), void api.backupSettings().then(show)),
              (err) => (setMade(null), setError(toReport(err))),
            )
          }
        >
          {t("backup.now")}
        </button>
      </form>
      <p role="status" data-testid="backup-state">
        {made
          ? t("backup.made", { file: made })
          : !settings?.folder
            ? t("backup.none")
            : !last
              ? t("backup.never")
              : last.error
                ? t("backup.failed", { time: formatDateTime(last.at), error: last.error })
                : t("backup.last", { time: formatDateTime(last.at), file: last.file })}
      </p>
      <ErrorNote error={error} />
    </>
  );
}

/** What photos take on this laptop, and the budget for those fetched from the station. */
function PhotoSpaceSection() {
  const { t } = useTranslation();
  const [space, setSpace] = useState<PhotoSpace | null>(null);
  const [budget, setBudget] = useState("");
  const [error, setError] = useState<Failure | null>(null);
  const show = (s: PhotoSpace) => (setSpace(s), setBudget(String(s.budget_mb)), setError(null));
  useEffect(() => void api.photoSpace().then(show, (e) => setError(toReport(e))), []);
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
  return (
    <>
      <h2>{t("photos.space")}</h2>
      {space ? (
        <p data-testid="photo-space">
          {t("photos.spaceLine", {
            photos: space.photos,
            mb: mb(space.bytes),
            fetched: mb(space.fetched_bytes),
            uploads: space.uploads,
            pending: mb(space.upload_bytes),
          })}
        </p>
      ) : null}
      <form
        className="card grid"
        onSubmit={(e) => (
          e.preventDefault(),
          void api
            .setPhotoBudget(Math.max(0, Math.round(Number(budget) || 0)))
            .then(show, (err) => setError(toReport(err)))
        )}
      >
        <label>
          {t("photos.budget")}
          <input type="number" min={0} value={budget} onChange={(e) => setBudget(e.target.value)} />
        </label>
        <button type="submit">{t("photos.saveBudget")}</button>
      </form>
      {space ? (
        <label className="check">
          <input
            type="checkbox"
            data-testid="photo-full-size"
            checked={space.keep_full_size}
            onChange={(e) =>
              void api.setPhotoKeepFullSize(e.target.checked).then(show, (err) => setError(toReport(err)))
            }
          />
          {t("photos.keepFullSize")}
        </label>
      ) : null}
      <ErrorNote error={error} />
    </>
  );
}

/** Sync by USB stick: the unsent work written to a bundle, and the station's answer taken back. */
function BundleSection() {
  const { t } = useTranslation();
  const [folder, setFolder] = useState("");
  const [saved, setSaved] = useState<BundleSaved | null>(null);
  const [taken, setTaken] = useState<AnswerTaken | null>(null);
  const [error, setError] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const done = () => (setBusy(false), setError(null));
  const failed = (err: unknown) => (setBusy(false), setSaved(null), setTaken(null), setError(toReport(err)));
  const take = async (file: File | undefined) => {
    if (!file) return;
    setBusy(true);
    const bytes = Array.from(new Uint8Array(await file.arrayBuffer()));
    api.bundleImport(bytes).then((a) => (done(), setSaved(null), setTaken(a)), failed);
  };
  return (
    <>
      <h2>{t("bundle.title")}</h2>
      <p className="muted">{t("bundle.explain")}</p>
      <div className="card grid">
        <label>
          {t("bundle.folder")}
          <input data-testid="bundle-folder" value={folder} onChange={(e) => setFolder(e.target.value)} />
        </label>
        <button
          type="button"
          className="primary"
          data-testid="bundle-export"
          disabled={busy}
          onClick={() => (
            setBusy(true),
            void api.bundleExport(folder.trim() || null).then((b) => (done(), setTaken(null), setSaved(b)), failed)
          )}
        >
          {t("bundle.export")}
        </button>
        <label>
          {t("bundle.import")}
          <input
            type="file"
            data-testid="bundle-import"
            accept=".dsbundle"
            disabled={busy}
            onChange={(e) => (void take(e.target.files?.[0]), (e.target.value = ""))}
          />
        </label>
      </div>
      <p role="status" data-testid="bundle-state">
        {saved
          ? t("bundle.written", { file: saved.file, count: saved.written.changes })
          : taken
            ? taken.out_of_date
              ? t("bundle.outOfDate")
              : t("bundle.taken", {
                  pushed: taken.report.pushed,
                  pulled: taken.report.pulled,
                  conflicts: taken.report.conflicts,
                })
            : null}
      </p>
      <ErrorNote error={error} />
    </>
  );
}

export function Settings({ info, onDevice }: { info: AppInfo; onDevice: (d: Device) => void }) {
  const { t } = useTranslation();
  const [policy, setPolicy] = useState<VisitPolicy | null>(null);
  const [error, setError] = useState<Failure | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => void api.visitPolicy().then(setPolicy, (e) => setError(toReport(e))), []);
  return (
    <section>
      <h1>{t("settings.title")}</h1>
      <h2>{t("settings.officer")}</h2>
      {info.device ? <Setup initial={info.device} onDone={onDevice} /> : null}
      <StationForm />
      <LockSettings />
      <BackupSection />
      <BundleSection />
      <PhotoSpaceSection />
      <h2>{t("settings.policy")}</h2>
      {policy ? (
        <form
          className="card grid"
          onSubmit={(e) => (
            e.preventDefault(),
            void api.setVisitPolicy(policy).then(
              () => (setSaved(true), setError(null)),
              (err) => setError(toReport(err)),
            )
          )}
        >
          <label>
            {t("settings.defaultDays")}
            <input
              type="number"
              min={1}
              value={policy.default_days}
              onChange={(e) => (setSaved(false), setPolicy({ ...policy, default_days: Number(e.target.value) }))}
            />
          </label>
          {TAGS.map((tag) => (
            <label key={tag}>
              {t(`vocab.tag.${tag}`)}
              <input
                type="number"
                min={1}
                value={policy.tag_days[tag] ?? ""}
                placeholder={String(policy.default_days)}
                onChange={(e) => (
                  setSaved(false),
                  setPolicy({
                    ...policy,
                    tag_days: { ...policy.tag_days, [tag]: e.target.value === "" ? undefined : Number(e.target.value) },
                  })
                )}
              />
            </label>
          ))}
          <button type="submit" className="primary">
            {t("settings.save")}
          </button>
          {saved ? <span>{t("settings.saved")}</span> : null}
        </form>
      ) : null}
      <ErrorNote error={error} />
      <p className="muted">
        {t("settings.database")}: {info.database} · v{info.version}
      </p>
    </section>
  );
}
