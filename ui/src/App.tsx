// The window: header (beat, sync state, search), navigation, the current screen, and the banner that
// offers an unfinished visit draft back after a crash or restart.
import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api, type AppInfo, type LockState } from "./api";
import { useIdleLock } from "./idleLock";
import { LockScreen } from "./screens/LockScreen";
import type { Draft } from "./bindings/Draft";
import type { SyncStatus } from "./bindings/SyncStatus";
import { ErrorNote } from "./components/ErrorNote";
import { SearchBox } from "./components/SearchBox";
import { RefusalNotices } from "./components/RefusalNotices";
import { SyncBar } from "./components/SyncBar";
import type { Refusal } from "./bindings/Refusal";
import { toReport } from "./hooks";
import { currentLang, formatDateTime, setLang } from "./i18n";
import type { Route } from "./route";
import { HouseholdPage } from "./screens/HouseholdPage";
import { Households } from "./screens/Households";
import { ImportLedger } from "./screens/ImportLedger";
import { Settings } from "./screens/Settings";
import { Setup } from "./screens/Setup";
import { TodayScreen } from "./screens/Today";
import { VisitForm, type VisitDraft } from "./screens/VisitForm";
import { Work } from "./screens/Work";
import type { Failure } from "./api";

const NAV: Array<{ route: Route; key: "today" | "households" | "work" | "import" | "settings" }> = [
  { route: { name: "today" }, key: "today" },
  { route: { name: "households" }, key: "households" },
  { route: { name: "work" }, key: "work" },
  { route: { name: "import" }, key: "import" },
  { route: { name: "settings" }, key: "settings" },
];

export default function App() {
  const { t } = useTranslation();
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [lock, setLock] = useState<LockState | null>(null);
  const [fatal, setFatal] = useState<Failure | null>(null);
  const [wiped, setWiped] = useState(false);
  useEffect(() => {
    const off = api.onWiped(() => setWiped(true));
    return () => void off.then((unlisten) => unlisten());
  }, []);
  const [route, setRoute] = useState<Route>({ name: "today" });
  const [history, setHistory] = useState<Route[]>([]);
  const [status, setStatus] = useState<SyncStatus | null>(null);
  const [drafts, setDrafts] = useState<Draft[]>([]);
  const [refusals, setRefusals] = useState<Refusal[]>([]);
  const [, setLangTick] = useState(0);
  const searchRef = useRef<HTMLInputElement>(null);
  const readySent = useRef(false);

  const navigate = (next: Route) => {
    setHistory((h) => [...h.slice(-20), route]);
    setRoute(next);
  };
  const back = () => {
    const prev = history[history.length - 1];
    setHistory((h) => h.slice(0, -1));
    setRoute(prev ?? { name: "today" });
  };

  const refreshStatus = useCallback(() => {
    api.syncStatus().then(setStatus, () => undefined);
    api.drafts().then(setDrafts, () => undefined);
    api.refusals().then(setRefusals, () => undefined);
  }, []);

  useEffect(() => {
    api.lockState().then(setLock, (e) => setFatal(toReport(e)));
  }, []);
  const unlocked = lock?.unlocked ?? false;
  useEffect(() => {
    if (unlocked) api.appInfo().then(setInfo, (e) => setFatal(toReport(e)));
  }, [unlocked]);
  useEffect(() => {
    if (unlocked) refreshStatus();
  }, [route, refreshStatus, unlocked]);
  /** Locks now: the shell drops the database and its key; what was typed is in the drafts. */
  const lockNow = useCallback(() => {
    void api.lock().finally(() => {
      setInfo(null);
      setLock({ file: "encrypted", unlocked: false });
    });
  }, []);
  useIdleLock(unlocked, lockNow);

  // The first screen is up: tell the shell (start-up time is measured from this).
  useEffect(() => {
    if ((info || fatal || (lock && !lock.unlocked)) && !readySent.current) {
      readySent.current = true;
      requestAnimationFrame(() => void api.uiReady().catch(() => undefined));
    }
  }, [info, fatal, lock]);

  // Keyboard: "/" focuses search from anywhere outside a text field.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement;
      const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
      if (e.key === "/" && !typing) {
        e.preventDefault();
        searchRef.current?.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  if (wiped)
    return (
      <main className="fatal" role="alert">
        <h1>{t("app.title")}</h1>
        <p>{t("errors.wiped")}</p>
      </main>
    );
  if (fatal)
    return (
      <main className="fatal">
        <h1>{t("app.title")}</h1>
        <ErrorNote error={fatal} />
      </main>
    );
  if (lock && !lock.unlocked)
    return <LockScreen state={lock} onUnlocked={() => setLock({ ...lock, unlocked: true })} />;
  if (!info) return <main className="fatal">{t("common.loading")}</main>;
  if (!info.device) return <Setup onDone={(device) => setInfo({ ...info, device })} />;

  const visitDraft = drafts.find((d) => d.kind === "visit" && !(route.name === "visit" && route.draftId === d.id));
  const draftPayload = visitDraft?.payload as VisitDraft | undefined;

  return (
    <div className="app">
      <header className="top">
        <span className="beat">
          {info.device.beats.join("、")} · {info.device.officer_name}
        </span>
        <SearchBox inputRef={searchRef} navigate={navigate} />
        <SyncBar status={status} onSynced={refreshStatus} />
        <button
          type="button"
          className="lang"
          onClick={() => {
            setLang(currentLang() === "en" ? "zh-CN" : "en");
            setLangTick((n) => n + 1);
          }}
        >
          {t("app.language")}
        </button>
        <button type="button" data-testid="lock" onClick={lockNow}>
          {t("lock.lockNow")}
        </button>
      </header>
      <nav className="side">
        {NAV.map((n) => (
          <button
            type="button"
            key={n.key}
            data-nav={n.key}
            className={route.name === n.route.name ? "active" : ""}
            onClick={() => navigate(n.route)}
          >
            {t(`nav.${n.key}`)}
          </button>
        ))}
      </nav>
      <main className="content">
        {visitDraft && draftPayload && route.name !== "visit" ? (
          <div className="banner" role="status" data-testid="draft-banner">
            {t("drafts.banner", { address: draftPayload.address, time: formatDateTime(visitDraft.updated_at) })}
            <button
              type="button"
              onClick={() =>
                navigate({ name: "visit", householdId: draftPayload.entry.visit.household_id, draftId: visitDraft.id })
              }
            >
              {t("drafts.resume")}
            </button>
            <button type="button" onClick={() => api.discardDraft(visitDraft.id).then(refreshStatus)}>
              {t("drafts.discard")}
            </button>
          </div>
        ) : null}
        <RefusalNotices refusals={refusals} navigate={navigate} onChanged={refreshStatus} />
        {route.name === "today" && <TodayScreen navigate={navigate} />}
        {route.name === "households" && <Households navigate={navigate} beats={info.device.beats} />}
        {route.name === "household" && <HouseholdPage key={route.id} id={route.id} navigate={navigate} onBack={back} />}
        {route.name === "visit" && (
          <VisitForm
            key={route.draftId ?? route.householdId}
            householdId={route.householdId}
            draftId={route.draftId}
            officer={info.device.officer_name}
            assignee={info.device.account_id ?? undefined}
            onDone={(householdId) => {
              refreshStatus();
              setRoute({ name: "household", id: householdId });
            }}
            onBack={back}
          />
        )}
        {route.name === "work" && <Work navigate={navigate} />}
        {route.name === "import" && <ImportLedger defaultBeat={info.device.beats[0] ?? ""} />}
        {route.name === "settings" && <Settings info={info} onDevice={(device) => setInfo({ ...info, device })} />}
      </main>
    </div>
  );
}
