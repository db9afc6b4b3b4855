// First start: enrol with the station (its address and the one-time code from the administrator;
// the officer's name and beats come from the account, so they cannot drift from it), or, second,
// start offline with a name and beats typed by hand, which enrolment later replaces with the
// account's. In Settings the same form edits the name and beats.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api";
import type { Device } from "../bindings/Device";
import type { Failure } from "../api";
import { ErrorNote } from "../components/ErrorNote";
import { toReport } from "../hooks";

function OfflineSetup({ onDone, initial }: { onDone: (d: Device) => void; initial?: Device }) {
  const { t } = useTranslation();
  const [name, setName] = useState(initial?.officer_name ?? "");
  const [beats, setBeats] = useState(initial?.beats.join("，") ?? "");
  const [error, setError] = useState<Failure | null>(null);
  const submit = () =>
    api
      .setupDevice(
        name,
        beats
          .split(/[,，、;；]/)
          .map((b) => b.trim())
          .filter(Boolean),
      )
      .then(onDone, (e) => setError(toReport(e)));
  return (
    <form className="card" data-testid="setup-offline" onSubmit={(e) => (e.preventDefault(), void submit())}>
      {initial ? null : <p className="muted">{t("setup.offlineNote")}</p>}
      <label>
        {t("setup.officerName")}
        <input value={name} onChange={(e) => setName(e.target.value)} autoFocus={!initial} />
      </label>
      <label>
        {t("setup.beats")}
        <input value={beats} onChange={(e) => setBeats(e.target.value)} />
      </label>
      <ErrorNote error={error} />
      <button type="submit" className="primary">
        {initial ? t("common.save") : t("setup.save")}
      </button>
    </form>
  );
}

function EnrolFirst({ onDone }: { onDone: (d: Device) => void }) {
  const { t } = useTranslation();
  const [url, setUrl] = useState("https://");
  const [code, setCode] = useState("");
  const [working, setWorking] = useState(false);
  const [error, setError] = useState<Failure | null>(null);
  const submit = () => {
    setWorking(true);
    setError(null);
    api
      .enrollStation(url, code)
      .then(() => api.appInfo())
      .then((info) => info.device && onDone(info.device))
      .catch((e) => setError(toReport(e)))
      .finally(() => setWorking(false));
  };
  return (
    <form className="card" data-testid="setup-enrol" onSubmit={(e) => (e.preventDefault(), submit())}>
      <p className="muted">{t("setup.enrolNote")}</p>
      <label>
        {t("station.url")}
        <input data-testid="setup-station-url" value={url} onChange={(e) => setUrl(e.target.value)} autoFocus />
      </label>
      <label>
        {t("station.code")}
        <input
          data-testid="setup-station-code"
          autoComplete="off"
          value={code}
          onChange={(e) => setCode(e.target.value)}
        />
      </label>
      <ErrorNote error={error} />
      <button type="submit" className="primary" disabled={working}>
        {working ? t("setup.enrolling") : t("setup.enrol")}
      </button>
    </form>
  );
}

export function Setup({ onDone, initial }: { onDone: (d: Device) => void; initial?: Device }) {
  const { t } = useTranslation();
  const [offline, setOffline] = useState(false);
  if (initial) return <OfflineSetup onDone={onDone} initial={initial} />;
  return (
    <div className="setup">
      <h1>{t("setup.title")}</h1>
      {offline ? <OfflineSetup onDone={onDone} /> : <EnrolFirst onDone={onDone} />}
      <button type="button" className="link" data-testid="setup-switch" onClick={() => setOffline(!offline)}>
        {offline ? t("setup.toEnrol") : t("setup.toOffline")}
      </button>
    </div>
  );
}
