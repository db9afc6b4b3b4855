/** A set of on/off buttons for a closed list (purposes, tags, inquiry areas). */
export function Toggles<T extends string>(props: {
  options: readonly T[];
  selected: T[];
  label: (v: T) => string;
  onChange: (next: T[]) => void;
  numbered?: boolean;
  name: string;
}) {
  const { options, selected, label, onChange, numbered, name } = props;
  return (
    <div className="toggles" role="group" data-name={name}>
      {options.map((o, i) => {
        const on = selected.includes(o);
        return (
          <button
            type="button"
            key={o}
            data-value={o}
            className={on ? "toggle on" : "toggle"}
            aria-pressed={on}
            onClick={() => onChange(on ? selected.filter((s) => s !== o) : [...selected, o])}
          >
            {numbered ? <kbd>Alt+{i + 1}</kbd> : null}
            {label(o)}
          </button>
        );
      })}
    </div>
  );
}
