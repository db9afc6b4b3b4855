// What the station refused of this laptop's edits, with why, until the officer has read it. A refused
// edit is already back to the station's copy; a refused new record stays here, marked, to correct
// (open it and save it again) or to discard. Nothing vanishes unannounced.
import { useTranslation } from "react-i18next";
import { api } from "../api";
import type { Refusal } from "../bindings/Refusal";
import type { Route } from "../route";

const REASONS = ["outside_beats", "confidential", "base_ahead", "unknown_record", "invalid"] as const;

export function RefusalNotices({
  refusals,
  navigate,
  onChanged,
}: {
  refusals: Refusal[];
  navigate: (r: Route) => void;
  onChanged: () => void;
}) {
  const { t } = useTranslation();
  if (refusals.length === 0) return null;
  return (
    <div className="banner refusals" role="alert" data-testid="refusals">
      <strong>{t("refusals.title", { count: refusals.length })}</strong>
      <ul>
        {refusals.map((r) => {
          const reason = (REASONS as readonly string[]).includes(r.reason) ? r.reason : "other";
          return (
            <li key={r.change_id} data-testid="refusal" data-reason={r.reason}>
              {t(`refusals.entity.${r.entity}`)}
              {r.label ? <> · {r.label}</> : null}
              {": "}
              {t(`refusals.reason.${reason}`)} {r.restored ? t("refusals.restored") : t("refusals.keptHere")}
              {r.household_id ? (
                <button type="button" onClick={() => navigate({ name: "household", id: r.household_id ?? "" })}>
                  {t("refusals.open")}
                </button>
              ) : null}
              {!r.restored ? (
                <button
                  type="button"
                  data-testid="refusal-discard"
                  onClick={() => void api.dismissRefusal(r.change_id, true).then(onChanged)}
                >
                  {t("refusals.discard")}
                </button>
              ) : null}
              <button
                type="button"
                data-testid="refusal-dismiss"
                onClick={() => void api.dismissRefusal(r.change_id, false).then(onChanged)}
              >
                {t("refusals.dismiss")}
              </button>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
