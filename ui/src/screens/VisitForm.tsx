// New visit: one dense screen. Who was met, purposes, notes, the five inquiries, the rating and
// opinions, and concerns with their follow-up tasks inline. By keyboard: Alt+1…6 toggle the purposes
// even while typing (1…6 outside a text field), Alt+Q/W/E set the rating, Ctrl+1…9 tick the people
// met, Alt+N goes to the notes, Alt+C adds a concern, Alt+T gives it a follow-up task, Ctrl+Enter
// saves and returns, Esc goes back and keeps the draft, ? lists the keys. Focus
// starts on the first person, where the eye starts. Everything typed is saved as a draft within a
// moment, and at once when the window loses focus, is hidden or closes, so a closed lid or a dead
// battery loses nothing.
import { useCallback, useEffect, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { v7 as uuidv7 } from "uuid";
import { api } from "../api";
import type { Concern } from "../bindings/Concern";
import type { Failure } from "../api";
import type { HouseholdDetail } from "../bindings/HouseholdDetail";
import type { Task } from "../bindings/Task";
import type { VisitEntry } from "../bindings/VisitEntry";
import { ErrorNote } from "../components/ErrorNote";
import { OfficerSelect } from "../components/OfficerSelect";
import { newResident } from "../components/ResidentForm";
import { Toggles } from "../components/Toggle";
import { toReport } from "../hooks";
import { fieldMessage, formatTime } from "../i18n";
import { CATEGORIES, INQUIRIES, PURPOSES, RATINGS, URGENCIES } from "../vocab";

/** What a visit draft holds: the entry being typed and the address it is for (for the banner). */
export type VisitDraft = { address: string; entry: VisitEntry };

const AUTOSAVE_MS = 300;
/** A draft that could not be written (a full disk) is tried again this often, until it is. */
const RETRY_MS = 5000;
/** Alt+Q/W/E: the ratings in order (satisfied, basic, dissatisfied), by physical key. */
const RATING_KEYS = ["KeyQ", "KeyW", "KeyE"];

/** The letter key pressed (by physical key where the browser says, else by the character). */
function letter(e: KeyboardEvent): string {
  return /^Key[A-Z]$/.test(e.code) ? e.code.slice(3).toLowerCase() : e.key.toLowerCase();
}

/** Whether a key goes into the field that has it (text typed), rather than being a command. */
function isTextField(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  if (!el) return false;
  if (el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
  return el.tagName === "INPUT" && !["checkbox", "radio", "button", "submit"].includes((el as HTMLInputElement).type);
}

function newEntry(householdId: string, officer: string): VisitEntry {
  const id = uuidv7();
  return {
    visit: {
      id,
      version: 0,
      household_id: householdId,
      visited_at: new Date().toISOString(),
      officers: [officer],
      purposes: [],
      met: [],
      notes: "",
      inquiry_areas: [],
      rating: null,
      opinions: "",
      location: "",
      deleted: false,
    },
    concerns: [],
    tasks: [],
    draft_id: `visit-${id}`,
  };
}

/** Focuses the last element matching `css` once the next render has put it on the page. */
function focusLast(css: string) {
  setTimeout(() => {
    const all = document.querySelectorAll<HTMLElement>(css);
    all[all.length - 1]?.focus();
  }, 0);
}

function newConcern(entry: VisitEntry): Concern {
  return {
    id: uuidv7(),
    version: 0,
    household_id: entry.visit.household_id,
    visit_id: entry.visit.id,
    raised_at: new Date().toISOString(),
    category: "dispute",
    urgency: "normal",
    summary: "",
    reporter_id: entry.visit.met[0] ?? null,
    reporter_name: "",
    confidential: false,
    status: "raised",
    feedback_at: null,
    feedback_method: null,
    feedback_note: "",
    closed_at: null,
    deleted: false,
  };
}

function newTask(concern: Concern, officer: string): Task {
  const due = new Date(Date.now() + 7 * 86400_000).toISOString().slice(0, 10);
  return {
    id: uuidv7(),
    version: 0,
    household_id: concern.household_id,
    concern_id: concern.id,
    kind: "follow_up",
    title: "",
    assignee: officer,
    due_date: due,
    status: "open",
    result: "",
    feedback_at: null,
    feedback_method: null,
    feedback_note: "",
    deleted: false,
  };
}

export function VisitForm(props: {
  householdId: string;
  draftId?: string;
  officer: string;
  assignee?: string;
  onDone: (householdId: string) => void;
  onBack: () => void;
}) {
  const { householdId, draftId, officer, onDone, onBack } = props;
  // A new task is the officer's own: their account at the station (their name before enrolment).
  const me = props.assignee ?? officer;
  const { t } = useTranslation();
  const [detail, setDetail] = useState<HouseholdDetail | null>(null);
  const [entry, setEntry] = useState<VisitEntry | null>(null);
  const [error, setError] = useState<Failure | null>(null);
  const [savedAt, setSavedAt] = useState<Date | null>(null);
  const [newPerson, setNewPerson] = useState("");
  const dirty = useRef(false);
  const saving = useRef(false);
  const [showKeys, setShowKeys] = useState(false);
  const firstPerson = useRef<HTMLInputElement>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const onKey = useRef<(e: KeyboardEvent) => void>(() => undefined);
  // The draft not yet written, for the flush when the window goes away.
  const pending = useRef<{ id: string; draft: VisitDraft } | null>(null);

  useEffect(() => {
    api.householdDetail(householdId).then(setDetail, (e) => setError(toReport(e)));
    if (draftId) {
      api.drafts().then(
        (drafts) => {
          const found = drafts.find((d) => d.id === draftId);
          setEntry(found ? (found.payload as VisitDraft).entry : newEntry(householdId, officer));
        },
        (e) => setError(toReport(e)),
      );
    } else {
      setEntry(newEntry(householdId, officer));
    }
  }, [householdId, draftId, officer]);

  const update = (next: VisitEntry) => {
    dirty.current = true;
    setEntry(next);
  };

  const retry = useRef<ReturnType<typeof setTimeout> | null>(null);
  const flush = useCallback((): Promise<void> => {
    const p = pending.current;
    if (!p) return Promise.resolve();
    pending.current = null;
    if (retry.current) clearTimeout(retry.current);
    retry.current = null;
    return api.saveDraft(p.id, "visit", p.draft).then(
      () => {
        setSavedAt(new Date());
        // Room again: the full-disk notice goes with it (a refused save's reason stays).
        setError((e) => (e?.kind === "disk_full" ? null : e));
      },
      (e) => {
        setError(toReport(e));
        // The entry stays on screen; the draft is written as soon as it can be, even if nothing
        // more is typed (unless something newer is already waiting).
        pending.current ??= p;
        retry.current = setTimeout(() => void flush(), RETRY_MS);
      },
    );
  }, []);
  useEffect(
    () => () => {
      if (retry.current) clearTimeout(retry.current);
    },
    [],
  );

  // Autosave: every change is written to the draft shortly after typing pauses.
  useEffect(() => {
    if (!entry || !detail || !dirty.current || !entry.draft_id) return;
    pending.current = { id: entry.draft_id, draft: { address: detail.household.address, entry } };
    const timer = setTimeout(() => void flush(), AUTOSAVE_MS);
    return () => clearTimeout(timer);
  }, [entry, detail, flush]);

  // ...and at once when the lid closes or the window goes: the last second typed is in the draft.
  useEffect(() => {
    const now = () => void flush();
    const onHidden = () => document.visibilityState === "hidden" && now();
    window.addEventListener("blur", now);
    window.addEventListener("pagehide", now);
    document.addEventListener("visibilitychange", onHidden);
    let unlisten: (() => void) | undefined;
    let gone = false;
    if ("__TAURI_INTERNALS__" in window) {
      import("@tauri-apps/api/window")
        // The window closes once the draft is written (or after a second, whatever happens).
        .then(({ getCurrentWindow }) =>
          getCurrentWindow().onCloseRequested(() =>
            Promise.race([flush(), new Promise<void>((done) => setTimeout(done, 1000))]),
          ),
        )
        .then(
          (u) => (gone ? u() : (unlisten = u)),
          () => undefined,
        );
    }
    return () => {
      gone = true;
      now();
      window.removeEventListener("blur", now);
      window.removeEventListener("pagehide", now);
      document.removeEventListener("visibilitychange", onHidden);
      unlisten?.();
    };
  }, [flush]);

  // Focus starts on the first person met (else the heading): keys work from the first moment.
  const ready = !!entry && !!detail;
  useEffect(() => {
    if (ready) (firstPerson.current ?? heading.current)?.focus();
  }, [ready]);

  const save = useCallback(() => {
    if (!entry || saving.current) return;
    saving.current = true;
    api.recordVisit(entry).then(
      () => onDone(householdId),
      (e) => {
        saving.current = false;
        setError(toReport(e));
      },
    );
  }, [entry, householdId, onDone]);

  // The keys see this render's state: the handler is replaced on every render, the listener is not.
  onKey.current = (e: KeyboardEvent) => {
    if (!entry || !detail) return;
    const typing = isTextField(e.target);
    // Digits by physical key: Alt+digit gives other characters on some layouts.
    const digit = /^Digit[1-9]$/.test(e.code) ? Number(e.code.slice(5)) : /^[1-9]$/.test(e.key) ? Number(e.key) : null;
    const togglePurpose = (n: number) => {
      const p = PURPOSES[n - 1];
      const purposes = entry.visit.purposes.includes(p)
        ? entry.visit.purposes.filter((x) => x !== p)
        : [...entry.visit.purposes, p];
      update({ ...entry, visit: { ...entry.visit, purposes } });
    };
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      save();
    } else if (e.key === "Escape") {
      e.preventDefault();
      if (showKeys) setShowKeys(false);
      else onBack();
    } else if (e.altKey && !e.ctrlKey && digit !== null && digit <= PURPOSES.length) {
      e.preventDefault();
      togglePurpose(digit);
    } else if (e.altKey && !e.ctrlKey && ["q", "w", "e"].includes(letter(e))) {
      e.preventDefault();
      update({ ...entry, visit: { ...entry.visit, rating: RATINGS[["q", "w", "e"].indexOf(letter(e))] } });
    } else if (e.altKey && !e.ctrlKey && letter(e) === "n") {
      // Alt+N: to the notes.
      e.preventDefault();
      document.querySelector<HTMLElement>("[data-testid=visit-notes]")?.focus();
    } else if (e.altKey && !e.ctrlKey && letter(e) === "c") {
      // Alt+C: a new concern, its description ready for typing.
      e.preventDefault();
      update({ ...entry, concerns: [...entry.concerns, newConcern(entry)] });
      focusLast("[data-testid=concern-summary]");
    } else if (e.altKey && !e.ctrlKey && letter(e) === "t" && entry.concerns.length > 0) {
      // Alt+T: a follow-up task for the last concern (or it is taken off again).
      e.preventDefault();
      const c = entry.concerns[entry.concerns.length - 1];
      const has = entry.tasks.some((x) => x.concern_id === c.id);
      update({
        ...entry,
        tasks: has ? entry.tasks.filter((x) => x.concern_id !== c.id) : [...entry.tasks, newTask(c, me)],
      });
      if (!has) focusLast("[data-testid=task-title]");
    } else if (e.ctrlKey && !e.altKey && digit !== null && digit <= detail.residents.length) {
      e.preventDefault();
      const id = detail.residents[digit - 1].id;
      const met = entry.visit.met.includes(id) ? entry.visit.met.filter((m) => m !== id) : [...entry.visit.met, id];
      update({ ...entry, visit: { ...entry.visit, met } });
    } else if (!typing && !e.ctrlKey && !e.altKey && digit !== null && digit <= PURPOSES.length) {
      e.preventDefault();
      togglePurpose(digit);
    } else if (!typing && e.key === "?") {
      e.preventDefault();
      setShowKeys(!showKeys);
    }
  };
  useEffect(() => {
    const listener = (e: KeyboardEvent) => onKey.current(e);
    window.addEventListener("keydown", listener);
    return () => window.removeEventListener("keydown", listener);
  }, []);

  if (!entry || !detail)
    return (
      <>
        <ErrorNote error={error} />
        <p>{t("common.loading")}</p>
      </>
    );
  const v = entry.visit;
  const setVisit = (patch: Partial<typeof v>) => update({ ...entry, visit: { ...v, ...patch } });
  const fieldErrors = error?.kind === "invalid" ? error.errors : [];
  const errorFor = (field: string) =>
    fieldErrors
      .filter((e) => e.field === field)
      .map(fieldMessage)
      .join("；");
  const setConcern = (i: number, c: Concern) =>
    update({ ...entry, concerns: entry.concerns.map((x, j) => (j === i ? c : x)) });
  const taskOf = (c: Concern) => entry.tasks.find((task) => task.concern_id === c.id);
  const setTask = (task: Task) => update({ ...entry, tasks: entry.tasks.map((x) => (x.id === task.id ? task : x)) });

  return (
    <form className="visit-form" data-testid="visit-form" onSubmit={(e) => (e.preventDefault(), save())}>
      <h1 ref={heading} tabIndex={-1}>
        {t("visit.title", { address: detail.household.address })}
      </h1>
      {/* A full disk is said where the draft's state is, in view while typing (not only by Save). */}
      {error?.kind === "disk_full" ? (
        <div data-testid="draft-state">
          <ErrorNote error={error} />
        </div>
      ) : (
        <p className="muted" data-testid="draft-state">
          {savedAt ? t("visit.draftSaved", { time: formatTime(savedAt) }) : ""}
        </p>
      )}
      <p className="keys muted" data-testid="visit-keys">
        {t("visit.keysLine")}
      </p>
      {showKeys ? (
        <dl className="keys-help" data-testid="keys-help">
          {(["purposes", "rating", "met", "notes", "concern", "task", "save", "back", "help"] as const).map((k) => (
            <div key={k}>
              <dt>
                <kbd>{t(`visit.keys.${k}.key`)}</kbd>
              </dt>
              <dd>{t(`visit.keys.${k}.does`)}</dd>
            </div>
          ))}
        </dl>
      ) : null}

      <fieldset>
        <legend>{t("visit.met")}</legend>
        {detail.residents.map((r, i) => (
          <label key={r.id} className="check">
            <input
              type="checkbox"
              aria-label={r.name}
              ref={i === 0 ? firstPerson : undefined}
              checked={v.met.includes(r.id)}
              onChange={(e) => setVisit({ met: e.target.checked ? [...v.met, r.id] : v.met.filter((m) => m !== r.id) })}
            />
            {i < 9 ? <kbd>Ctrl+{i + 1}</kbd> : null}
            {r.name}
          </label>
        ))}
        <span className="inline">
          <input
            data-testid="new-person"
            value={newPerson}
            placeholder={t("resident.name")}
            onChange={(e) => setNewPerson(e.target.value)}
          />
          <button
            type="button"
            onClick={() => {
              // Someone met who is not on the register yet: registered now, and ticked as met.
              const person = newResident(householdId, newPerson.trim());
              api.saveResident(person).then(
                () => {
                  setDetail({ ...detail, residents: [...detail.residents, person] });
                  setVisit({ met: [...v.met, person.id] });
                  setNewPerson("");
                },
                (e) => setError(toReport(e)),
              );
            }}
          >
            {t("visit.addPerson")}
          </button>
        </span>
      </fieldset>

      <fieldset>
        <legend>{t("visit.purposes")}</legend>
        <Toggles
          name="purposes"
          numbered
          options={PURPOSES}
          selected={v.purposes}
          label={(p) => t(`vocab.purpose.${p}`)}
          onChange={(purposes) => setVisit({ purposes })}
        />
        <span className="field-error">{errorFor("purposes")}</span>
      </fieldset>

      <label>
        {t("visit.notes")}
        <textarea
          data-testid="visit-notes"
          rows={6}
          value={v.notes}
          onChange={(e) => setVisit({ notes: e.target.value })}
        />
        <span className="field-error">{errorFor("notes")}</span>
      </label>

      <fieldset>
        <legend>{t("visit.inquiry")}</legend>
        <Toggles
          name="inquiry"
          options={INQUIRIES}
          selected={v.inquiry_areas}
          label={(p) => t(`vocab.inquiry.${p}`)}
          onChange={(inquiry_areas) => setVisit({ inquiry_areas })}
        />
      </fieldset>

      <fieldset>
        <legend>{t("visit.rating")}</legend>
        {RATINGS.map((r, i) => (
          <label key={r} className="check">
            <input type="radio" name="rating" checked={v.rating === r} onChange={() => setVisit({ rating: r })} />
            <kbd>Alt+{RATING_KEYS[i].slice(3)}</kbd>
            {t(`vocab.rating.${r}`)}
          </label>
        ))}
        <textarea
          rows={2}
          placeholder={t("visit.opinions")}
          value={v.opinions}
          onChange={(e) => setVisit({ opinions: e.target.value })}
        />
      </fieldset>

      {entry.concerns.map((c, i) => {
        const task = taskOf(c);
        return (
          <fieldset key={c.id} className="concern-entry" data-testid="concern-entry">
            <legend>
              {t("household.concerns")} {i + 1}
            </legend>
            <label>
              {t("concern.category")}
              <select
                value={c.category}
                onChange={(e) => setConcern(i, { ...c, category: e.target.value as Concern["category"] })}
              >
                {CATEGORIES.map((x) => (
                  <option key={x} value={x}>
                    {t(`vocab.category.${x}`)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t("concern.urgency")}
              <select
                value={c.urgency}
                onChange={(e) => setConcern(i, { ...c, urgency: e.target.value as Concern["urgency"] })}
              >
                {URGENCIES.map((x) => (
                  <option key={x} value={x}>
                    {t(`vocab.urgency.${x}`)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              {t("concern.summary")}
              <textarea
                data-testid="concern-summary"
                rows={2}
                value={c.summary}
                onChange={(e) => setConcern(i, { ...c, summary: e.target.value })}
              />
              <span className="field-error">{errorFor(`concerns.${i}.summary`)}</span>
            </label>
            <label>
              {t("concern.reporter")}
              <select
                value={c.reporter_id ?? ""}
                onChange={(e) => setConcern(i, { ...c, reporter_id: e.target.value || null })}
              >
                <option value="">{t("concern.otherReporter")}</option>
                {detail.residents.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name}
                  </option>
                ))}
              </select>
            </label>
            {!c.reporter_id && (
              <input
                placeholder={t("concern.otherReporter")}
                value={c.reporter_name}
                onChange={(e) => setConcern(i, { ...c, reporter_name: e.target.value })}
              />
            )}
            <label className="check">
              <input
                type="checkbox"
                checked={c.confidential}
                onChange={(e) => setConcern(i, { ...c, confidential: e.target.checked })}
              />
              {t("concern.confidential")}
            </label>
            <label className="check">
              <input
                type="checkbox"
                data-testid="concern-task"
                checked={!!task}
                onChange={(e) =>
                  update({
                    ...entry,
                    tasks: e.target.checked
                      ? [...entry.tasks, newTask(c, me)]
                      : entry.tasks.filter((x) => x.concern_id !== c.id),
                  })
                }
              />
              {t("concern.createTask")}
            </label>
            {task ? (
              <div className="grid">
                <label>
                  {t("task.title")}
                  <input
                    data-testid="task-title"
                    value={task.title}
                    onChange={(e) => setTask({ ...task, title: e.target.value })}
                  />
                  <span className="field-error">{errorFor(`tasks.${entry.tasks.indexOf(task)}.title`)}</span>
                </label>
                <label>
                  {t("task.assignee")}
                  <OfficerSelect
                    label={t("task.assignee")}
                    value={task.assignee}
                    onChange={(assignee) => setTask({ ...task, assignee })}
                  />
                </label>
                <label>
                  {t("task.due")}
                  <input
                    type="date"
                    value={task.due_date}
                    onChange={(e) => setTask({ ...task, due_date: e.target.value })}
                  />
                </label>
              </div>
            ) : null}
            <button
              type="button"
              onClick={() =>
                update({
                  ...entry,
                  concerns: entry.concerns.filter((x) => x.id !== c.id),
                  tasks: entry.tasks.filter((x) => x.concern_id !== c.id),
                })
              }
            >
              {t("concern.remove")}
            </button>
          </fieldset>
        );
      })}
      <button
        type="button"
        data-testid="add-concern"
        onClick={() => update({ ...entry, concerns: [...entry.concerns, newConcern(entry)] })}
      >
        {t("visit.addConcern")}
      </button>

      <ErrorNote error={error} />
      <div className="actions">
        <button type="submit" className="primary" data-testid="save-visit">
          {t("visit.save")}
        </button>
        <button type="button" onClick={onBack}>
          {t("visit.cancel")}
        </button>
      </div>
    </form>
  );
}
