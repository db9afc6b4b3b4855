// Adding a resident to a household, or editing one, inline.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { v7 as uuidv7 } from "uuid";
import { api } from "../api";
import type { Failure } from "../api";
import type { Resident } from "../bindings/Resident";
import { toReport } from "../hooks";
import { RELATIONS, SEXES, TAGS } from "../vocab";
import { ErrorNote } from "./ErrorNote";
import { Toggles } from "./Toggle";

export function newResident(householdId: string, name = ""): Resident {
  return {
    id: uuidv7(),
    version: 0,
    household_id: householdId,
    name,
    sex: null,
    birth_date: null,
    phone: "",
    id_number: "",
    relation: null,
    tags: [],
    notes: "",
    to_check: [],
    deleted: false,
  };
}

export function ResidentForm({
  householdId,
  initial,
  onSaved,
}: {
  householdId: string;
  initial?: Resident;
  onSaved: (r: Resident) => void;
}) {
  const { t } = useTranslation();
  const [r, setR] = useState<Resident>(() => initial ?? newResident(householdId));
  const [error, setError] = useState<Failure | null>(null);
  return (
    <form
      className="card grid"
      onSubmit={(e) => (
        e.preventDefault(),
        void api.saveResident(r, initial).then(
          () => onSaved(r),
          (err) => setError(toReport(err)),
        )
      )}
    >
      <label>
        {t("resident.name")}
        <input value={r.name} onChange={(e) => setR({ ...r, name: e.target.value })} autoFocus={!initial} />
      </label>
      <label>
        {t("resident.sex")}
        <select value={r.sex ?? ""} onChange={(e) => setR({ ...r, sex: (e.target.value || null) as Resident["sex"] })}>
          <option value="" />
          {SEXES.map((s) => (
            <option key={s} value={s}>
              {t(`vocab.sex.${s}`)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t("resident.birthDate")}
        <input
          type="date"
          value={r.birth_date ?? ""}
          onChange={(e) => setR({ ...r, birth_date: e.target.value || null })}
        />
      </label>
      <label>
        {t("resident.phone")}
        <input value={r.phone} onChange={(e) => setR({ ...r, phone: e.target.value })} />
      </label>
      <label>
        {t("resident.idNumber")}
        <input value={r.id_number} onChange={(e) => setR({ ...r, id_number: e.target.value })} />
      </label>
      <label>
        {t("resident.relation")}
        <select
          value={r.relation ?? ""}
          onChange={(e) => setR({ ...r, relation: (e.target.value || null) as Resident["relation"] })}
        >
          <option value="" />
          {RELATIONS.map((s) => (
            <option key={s} value={s}>
              {t(`vocab.relation.${s}`)}
            </option>
          ))}
        </select>
      </label>
      <Toggles
        name="resident-tags"
        options={TAGS}
        selected={r.tags}
        label={(v) => t(`vocab.tag.${v}`)}
        onChange={(tags) => setR({ ...r, tags })}
      />
      <ErrorNote error={error} />
      <button type="submit" className="primary">
        {t("common.save")}
      </button>
    </form>
  );
}
