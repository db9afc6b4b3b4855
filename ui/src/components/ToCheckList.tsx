// Values an imported ledger could not take as typed (an ID number Excel rounded, a phone that is no
// phone), shown where the officer looks at the record, with a button to mark them checked once the
// record is corrected.
import { useTranslation } from "react-i18next";
import type { ToCheck } from "../bindings/ToCheck";

export function ToCheckList({ items, onChecked }: { items: ToCheck[]; onChecked: () => void }) {
  const { t } = useTranslation();
  if (items.length === 0) return null;
  return (
    <div className="to-check" role="note" data-testid="to-check">
      <strong>{t("toCheck.title")}</strong>
      <ul>
        {items.map((c, i) => (
          <li key={i}>
            {t(`toCheck.fields.${c.field}`, { defaultValue: c.field })}：<code>{c.typed}</code> —{" "}
            {t(`toCheck.reason.${c.reason}`)}
          </li>
        ))}
      </ul>
      <button type="button" onClick={onChecked}>
        {t("toCheck.checked")}
      </button>
    </div>
  );
}
