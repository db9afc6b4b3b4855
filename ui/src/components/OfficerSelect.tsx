// Who is responsible for a task: one of the station's officers, chosen by name (with the beats that
// tell two officers of one name apart); the value is the officer's account. Before the laptop has
// synced, or for a task from before accounts, the stored value is offered as it is.
import { useEffect, useState } from "react";
import { api } from "../api";
import type { Officer } from "../bindings/Officer";

let cached: Promise<Officer[]> | null = null;

/** The station's officers as last synced (asked once per window). */
export function useOfficers(): Officer[] {
  const [officers, setOfficers] = useState<Officer[]>([]);
  useEffect(() => {
    cached ??= Promise.resolve()
      .then(() => api.officers())
      .catch(() => []);
    void cached.then(setOfficers);
  }, []);
  return officers;
}

/** The name to show for an assignee (an account id, or a name from before accounts). */
export function officerName(officers: Officer[], assignee: string): string {
  return officers.find((o) => o.account_id === assignee)?.name ?? assignee;
}

export function OfficerSelect({
  value,
  onChange,
  label,
}: {
  value: string;
  onChange: (accountId: string) => void;
  label: string;
}) {
  const officers = useOfficers();
  const known = officers.some((o) => o.account_id === value);
  return (
    <select aria-label={label} value={value} onChange={(e) => onChange(e.target.value)}>
      {known ? null : <option value={value}>{value}</option>}
      {officers.map((o) => (
        <option key={o.account_id} value={o.account_id}>
          {o.name}（{o.beats.join("、")}）
        </option>
      ))}
    </select>
  );
}
