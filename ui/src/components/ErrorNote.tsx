import { errorMessage } from "../i18n";
import type { Failure } from "../api";

/** A failed command, said in the officer's language. */
export function ErrorNote({ error }: { error: Failure | null }) {
  if (!error) return null;
  return (
    <p className="error" role="alert">
      {errorMessage(error)}
    </p>
  );
}
