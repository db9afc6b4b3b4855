// Registering a household, or editing one: address, beat, kind, tags, contact phone.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { v7 as uuidv7 } from "uuid";
import { api } from "../api";
import type { Failure } from "../api";
import type { Household } from "../bindings/Household";
import { toReport } from "../hooks";
import { KINDS, TAGS } from "../vocab";
import { ErrorNote } from "./ErrorNote";
import { Toggles } from "./Toggle";

export function HouseholdForm({
  beat,
  initial,
  onSaved,
}: {
  beat: string;
  initial?: Household;
  onSaved: (id: string) => void;
}) {
  const { t } = useTranslation();
  const [h, setH] = useState<Household>(
    () =>
      initial ?? {
        id: uuidv7(),
        version: 0,
        beat,
        address: "",
        kind: "residence",
        tags: [],
        contact_name: "",
        contact_phone: "",
        notes: "",
        registered_at: new Date().toISOString(),
        to_check: [],
        deleted: false,
      },
  );
  const [error, setError] = useState<Failure | null>(null);
  return (
    <form
      className="card"
      onSubmit={(e) => (
        e.preventDefault(),
        void api.saveHousehold(h, initial).then(
          () => onSaved(h.id),
          (err) => setError(toReport(err)),
        )
      )}
    >
      <label>
        {t("fields.address")}
        <input value={h.address} onChange={(e) => setH({ ...h, address: e.target.value })} autoFocus={!initial} />
      </label>
      <label>
        {t("fields.beat")}
        <input value={h.beat} onChange={(e) => setH({ ...h, beat: e.target.value })} />
      </label>
      <label>
        {t("household.kind")}
        <select value={h.kind} onChange={(e) => setH({ ...h, kind: e.target.value as Household["kind"] })}>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {t(`vocab.household_kind.${k}`)}
            </option>
          ))}
        </select>
      </label>
      <Toggles
        name="tags"
        options={TAGS}
        selected={h.tags}
        label={(v) => t(`vocab.tag.${v}`)}
        onChange={(tags) => setH({ ...h, tags })}
      />
      <label>
        {t("household.contactName")}
        <input value={h.contact_name} onChange={(e) => setH({ ...h, contact_name: e.target.value })} />
      </label>
      <label>
        {t("household.contactPhone")}
        <input value={h.contact_phone} onChange={(e) => setH({ ...h, contact_phone: e.target.value })} />
      </label>
      <label>
        {t("household.notes")}
        <textarea rows={2} value={h.notes} onChange={(e) => setH({ ...h, notes: e.target.value })} />
      </label>
      <ErrorNote error={error} />
      <button type="submit" className="primary">
        {t("common.save")}
      </button>
    </form>
  );
}
