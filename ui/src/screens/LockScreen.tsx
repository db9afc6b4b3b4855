// The lock screen: the first thing the window shows, and what it returns to after idle time, after
// the laptop slept (lid closed), or on the lock button. A new laptop (or one whose data is from
// before encryption) chooses its passphrase here; afterwards the passphrase opens the data. A damaged
// file is explained and left alone.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api, type Failure, type LockState } from "../api";
import { ErrorNote } from "../components/ErrorNote";
import { toReport } from "../hooks";

export function LockScreen({ state, onUnlocked }: { state: LockState; onUnlocked: () => void }) {
  const { t } = useTranslation();
  const [passphrase, setPassphrase] = useState("");
  const [confirm, setConfirm] = useState("");
  const [error, setError] = useState<Failure | null>(null);
  const [mismatch, setMismatch] = useState(false);
  const [working, setWorking] = useState(false);

  if (state.file === "damaged") {
    return (
      <main className="fatal">
        <h1>{t("app.title")}</h1>
        <ErrorNote error={{ kind: "corrupt" }} />
      </main>
    );
  }
  const choosing = state.file === "missing" || state.file === "plain";
  const submit = async () => {
    if (choosing && passphrase !== confirm) return setMismatch(true);
    setMismatch(false);
    setWorking(true);
    try {
      await (choosing ? api.createPassphrase(passphrase) : api.unlock(passphrase));
      setPassphrase("");
      setConfirm("");
      setError(null);
      onUnlocked();
    } catch (e) {
      setError(toReport(e));
    } finally {
      setWorking(false);
    }
  };
  return (
    <main className="lock" data-testid="lock-screen">
      <form className="card grid" onSubmit={(e) => (e.preventDefault(), void submit())}>
        <h1>{choosing ? t("lock.create") : t("lock.title")}</h1>
        {choosing ? (
          <p className="muted">{state.file === "plain" ? t("lock.encryptNote") : t("lock.createNote")}</p>
        ) : null}
        <label>
          {choosing ? t("lock.passphrase") : t("lock.enter")}
          <input
            data-testid="passphrase"
            type="password"
            autoFocus
            autoComplete="current-password"
            value={passphrase}
            onChange={(e) => setPassphrase(e.target.value)}
          />
        </label>
        {choosing ? (
          <label>
            {t("lock.confirm")}
            <input
              data-testid="passphrase-confirm"
              type="password"
              autoComplete="new-password"
              value={confirm}
              onChange={(e) => setConfirm(e.target.value)}
            />
          </label>
        ) : null}
        <button type="submit" className="primary" disabled={working}>
          {working ? t("lock.working") : choosing ? t("lock.start") : t("lock.unlock")}
        </button>
        {mismatch ? (
          <p className="error" role="alert">
            {t("lock.mismatch")}
          </p>
        ) : null}
        <ErrorNote error={error} />
      </form>
    </main>
  );
}
