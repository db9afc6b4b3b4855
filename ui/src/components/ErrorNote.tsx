import { errorMessage } from "../i18n";
import type { ErrorReport } from "../bindings/ErrorReport";

/** A failed command, said in the officer's language. */
export function ErrorNote({ error }: { error: ErrorReport | null }) {
  if (!error) return null;
  return <p className="error" role="alert">{errorMessage(error)}</p>;
}
