import { useCallback, useEffect, useState } from "react";
import { CommandError } from "./api";
import type { Failure } from "./api";

/** Loads data with a command; `reload` runs it again (after a save). */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<Failure | null>(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    load().then(
      (d) => live && (setData(d), setError(null)),
      (e) => live && setError(toReport(e)),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, reload };
}

export function toReport(e: unknown): Failure {
  return e instanceof CommandError ? e.report : { kind: "internal", message: String(e) };
}
