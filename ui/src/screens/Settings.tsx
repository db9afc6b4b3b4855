// Settings: the officer and beats of this laptop, the visit intervals, where the data file is.
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, type AppInfo } from "../api";
import type { Device } from "../bindings/Device";
import type { ErrorReport } from "../bindings/ErrorReport";
import type { VisitPolicy } from "../bindings/VisitPolicy";
import { ErrorNote } from "../components/ErrorNote";
import { toReport } from "../hooks";
import { TAGS } from "../vocab";
import { Setup } from "./Setup";

export function Settings({ info, onDevice }: { info: AppInfo; onDevice: (d: Device) => void }) {
  const { t } = useTranslation();
  const [policy, setPolicy] = useState<VisitPolicy | null>(null);
  const [error, setError] = useState<ErrorReport | null>(null);
  const [saved, setSaved] = useState(false);
  useEffect(() => void api.visitPolicy().then(setPolicy, (e) => setError(toReport(e))), []);
  return (
    <section>
      <h1>{t("settings.title")}</h1>
      <h2>{t("settings.officer")}</h2>
      {info.device ? <Setup initial={info.device} onDone={onDevice} /> : null}
      <h2>{t("settings.policy")}</h2>
      {policy ? (
        <form className="card grid" onSubmit={(e) => (e.preventDefault(), void api.setVisitPolicy(policy).then(() => (setSaved(true), setError(null)), (err) => setError(toReport(err))))}>
          <label>{t("settings.defaultDays")}<input type="number" min={1} value={policy.default_days} onChange={(e) => (setSaved(false), setPolicy({ ...policy, default_days: Number(e.target.value) }))} /></label>
          {TAGS.map((tag) => (
            <label key={tag}>{t(`vocab.tag.${tag}`)}
              <input type="number" min={1} value={policy.tag_days[tag] ?? ""} placeholder={String(policy.default_days)}
                onChange={(e) => (setSaved(false), setPolicy({ ...policy, tag_days: { ...policy.tag_days, [tag]: e.target.value === "" ? undefined : Number(e.target.value) } }))} />
            </label>
          ))}
          <button type="submit" className="primary">{t("settings.save")}</button>
          {saved ? <span>{t("settings.saved")}</span> : null}
        </form>
      ) : null}
      <ErrorNote error={error} />
      <p className="muted">{t("settings.database")}: {info.database} · v{info.version}</p>
    </section>
  );
}
