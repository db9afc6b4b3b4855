// First start: who uses this laptop, and which beats they work.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api";
import type { Device } from "../bindings/Device";
import type { Failure } from "../api";
import { ErrorNote } from "../components/ErrorNote";
import { toReport } from "../hooks";

export function Setup({ onDone, initial }: { onDone: (d: Device) => void; initial?: Device }) {
  const { t } = useTranslation();
  const [name, setName] = useState(initial?.officer_name ?? "");
  const [beats, setBeats] = useState(initial?.beats.join("，") ?? "");
  const [error, setError] = useState<Failure | null>(null);
  const submit = () =>
    api.setupDevice(name, beats.split(/[,，、;；]/).map((b) => b.trim()).filter(Boolean)).then(onDone, (e) => setError(toReport(e)));
  return (
    <form className={initial ? "card" : "card setup"} onSubmit={(e) => (e.preventDefault(), void submit())}>
      {initial ? null : <h1>{t("setup.title")}</h1>}
      <label>{t("setup.officerName")}<input value={name} onChange={(e) => setName(e.target.value)} autoFocus={!initial} /></label>
      <label>{t("setup.beats")}<input value={beats} onChange={(e) => setBeats(e.target.value)} /></label>
      <ErrorNote error={error} />
      <button type="submit" className="primary">{initial ? t("common.save") : t("setup.save")}</button>
    </form>
  );
}
