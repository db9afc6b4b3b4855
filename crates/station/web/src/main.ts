// The station's staff pages: the merge queue (conflicts side by side: base, station, incoming, with
// who and when; a choice per conflict or an edited value, applied with one click or by keyboard —
// J/K move, 1/2 pick, 3 edit, Enter apply), duplicates, tasks, laptops, and the tabs of the other
// modules. Every call goes through `api`.

import "./style.css";
import { renderAccounts, renderAudit, revokeButtons } from "./admin";
import { ApiError, api, setCsrf, type Query } from "./api";
import type { Conflict } from "./bindings/Conflict";
import type { DeviceView } from "./bindings/DeviceView";
import type { Duplicate } from "./bindings/Duplicate";
import type { Principal } from "./bindings/Principal";
import type { Role } from "./bindings/Role";
import type { TaskView } from "./bindings/TaskView";
import type { Worklist } from "./bindings/Worklist";
import { byId, el, inside, messageOf } from "./dom";
import { fieldName, lang, t, toggleLang, vocab } from "./i18n";
import { renderOverview, renderSummary, renderWorklist } from "./overview";
import type { Officer } from "../../../../ui/src/bindings/Officer";
import type { JsonValue } from "../../../../ui/src/bindings/serde_json/JsonValue";

/** Who is signed in. The session itself is an HttpOnly cookie the page never sees. */
let account: Principal | null = null;
const has = (role: Role) => account?.roles.includes(role) ?? false;
const seesRecords = () => has("staff") || has("chief");

type Tab = "conflicts" | "duplicates" | "tasks" | "overview" | "summary" | "devices" | "accounts" | "audit";

let conflicts: Conflict[] = [];
let selected = 0;
let tab: Tab = "conflicts";
let duplicates: Duplicate[] = [];
let devices: DeviceView[] = [];
let tasks: TaskView[] = [];
let officers: Officer[] = [];

function show(value: JsonValue | undefined): string {
  if (value === null || value === undefined || value === "") return t("none");
  if (Array.isArray(value)) return value.join("、");
  if (typeof value === "object")
    return Object.entries(value)
      .map(([k, v]) => `${fieldName(k)}: ${show(v)}`)
      .join("；");
  return String(value);
}

/** A household's or a resident's kind and tags, in the page's language. */
const word = (w: string) => (vocab("household_kind", w) !== w ? vocab("household_kind", w) : vocab("tag", w));

function renderTasks() {
  const table = byId("tasks-table");
  table.replaceChildren(
    el("tr", {}, ...["task", "address", "assignee", "due", ""].map((k) => el("th", { text: k ? t(k) : "" }))),
  );
  for (const task of tasks) {
    // The person responsible is an officer's account, chosen by name (with the beats that tell two
    // officers of one name apart); a task from before accounts shows its name as typed.
    const assignee = el("select", { "aria-label": t("assignee") });
    const known = officers.some((o) => o.account_id === task.assignee);
    if (!known) assignee.append(el("option", { value: task.assignee, text: task.assignee_name }));
    for (const o of officers) {
      const option = el("option", { value: o.account_id, text: `${o.name}（${o.beats.join("、")}）` });
      if (o.account_id === task.assignee) option.selected = true;
      assignee.append(option);
    }
    const due = el("input", { type: "date", value: task.due_date, "aria-label": t("due") });
    const save = el("button", { type: "button", text: t("save") });
    save.addEventListener("click", async () => {
      const error = byId("tasks-error");
      try {
        await api.assign(task.id, assignee.value, due.value);
        error.textContent = t("saved");
        await load();
      } catch (e) {
        error.textContent = messageOf(e);
      }
    });
    table.append(
      el(
        "tr",
        { "data-task": task.id },
        el("td", { text: task.title }),
        el("td", { text: task.address }),
        el("td", {}, assignee),
        el("td", {}, due),
        el("td", {}, save),
      ),
    );
  }
}

type Fields = Record<string, JsonValue>;
const field = (r: JsonValue, name: string): JsonValue | undefined =>
  r && typeof r === "object" && !Array.isArray(r) ? (r as Fields)[name] : undefined;
const words = (v: JsonValue | undefined): string[] => (Array.isArray(v) ? v.map((w) => word(String(w))) : []);

function household(h: JsonValue) {
  const dl = el("dl");
  const rows: [string, JsonValue | undefined][] = [
    ["address", field(h, "address")],
    ["beats", field(h, "beat")],
    ["kind", word(String(field(h, "kind") ?? ""))],
    ["phone", field(h, "contact_phone")],
    ["tags", words(field(h, "tags"))],
  ];
  for (const [key, value] of rows) dl.append(el("dt", { text: t(key) }), el("dd", { text: show(value) }));
  return dl;
}

/** An ID number is shown as much as staff need to compare two: where it was issued and its end. */
const masked = (id: string) =>
  id && id.length > 10 ? `${id.slice(0, 6)}${"*".repeat(id.length - 10)}${id.slice(-4)}` : id;

function person(r: JsonValue, address: string) {
  const dl = el("dl");
  const sex = field(r, "sex");
  const rows: [string, JsonValue | undefined][] = [
    ["name", field(r, "name")],
    ["sex", sex ? t(String(sex)) : ""],
    ["birth", field(r, "birth_date")],
    ["phone", field(r, "phone")],
    ["idNumber", masked(String(field(r, "id_number") ?? ""))],
    ["address", address],
    ["tags", words(field(r, "tags"))],
  ];
  for (const [key, value] of rows) dl.append(el("dt", { text: t(key) }), el("dd", { text: show(value) }));
  return dl;
}

function renderDuplicates() {
  const list = byId("duplicates");
  list.replaceChildren();
  byId("dups-empty").hidden = duplicates.length > 0;
  for (const d of duplicates) {
    const card = el("article", { class: "card", "data-duplicate": String(d.id) });
    const side = (r: JsonValue, address: string) => (d.entity === "resident" ? person(r, address) : household(r));
    card.append(
      el("p", { class: "reason", text: `${t(d.entity)} · ${t("sameBy")}${t(d.reason)}` }),
      el("div", { class: "pair" }, side(d.first, d.first_address), side(d.second, d.second_address)),
    );
    const actions = el("div", { class: "actions" });
    const button = (label: string, onClick: () => void) => {
      const b = el("button", { type: "button", text: label });
      b.addEventListener("click", onClick);
      return b;
    };
    if (d.status === "open") {
      actions.append(
        button(t("keepLeft"), () => decide(() => api.merge(d.id, d.first_id))),
        button(t("keepRight"), () => decide(() => api.merge(d.id, d.second_id))),
      );
    } else {
      const kept = d.survivor === d.first_id ? d.first : d.second;
      actions.append(
        el("span", {
          class: "applied",
          text: `${t("merged")}: ${String(field(kept, "address") ?? field(kept, "name"))}`,
        }),
        button(t("undo"), () => decide(() => api.undo(d.id))),
      );
    }
    card.append(actions);
    list.append(card);
  }
}

/** Where a laptop stands after the station was restored from a backup: what staff wait for. */
function afterRestore(d: DeviceView): string {
  const parts: string[] = [];
  if (d.behind_restore) parts.push(t("behindRestore"));
  if (d.awaiting > 0) parts.push(t("awaitingRecords").replace("{n}", String(d.awaiting)));
  return parts.join("；");
}

function renderDevices() {
  if (seesRecords() || has("admin")) void renderBureau();
  const table = byId("devices-table");
  table.replaceChildren(
    el("tr", {}, ...["officer", "beats", "lastSync", "acked", "afterRestore"].map((k) => el("th", { text: t(k) }))),
  );
  for (const d of devices) {
    table.append(
      el(
        "tr",
        { "data-device": d.device_id },
        el("td", { text: d.officer_name }),
        el("td", { text: d.beats.join("、") }),
        el("td", { text: d.last_seen_at ? d.last_seen_at.slice(0, 16).replace("T", " ") : t("never") }),
        el("td", { text: String(d.acked_seq) }),
        el("td", { class: d.behind_restore || d.awaiting > 0 ? "warn" : "", text: afterRestore(d) }),
        el("td", {}, ...revokeButtons(d, has("admin"), load)),
      ),
    );
  }
}

/** Where reporting to the bureau stands; staff may send now, the administrator enrols. */
async function renderBureau() {
  const state = byId("bureau-state");
  const error = byId("bureau-error");
  try {
    const b = await api.bureau();
    const when = (at: string | null) => (at ? at.slice(0, 16).replace("T", " ") : t("never"));
    state.textContent = b.enrolled
      ? t("bureauState")
          .replace("{bureau}", b.bureau_name ?? "")
          .replace("{name}", b.station_name ?? "")
          .replace("{sent}", when(b.last_sent_at))
          .replace("{lag}", String(b.lag))
      : t("bureauNone");
    error.textContent = b.last_error ? t("bureauFailed").replace("{error}", b.last_error) : "";
    byId("bureau-send").hidden = !b.enrolled || !seesRecords();
    byId("bureau-enroll").hidden = !has("admin");
  } catch (e) {
    error.textContent = messageOf(e);
  }
}

async function decide(action: () => Promise<unknown>) {
  const error = byId("dups-error");
  try {
    await action();
    error.textContent = "";
    await load();
  } catch (e) {
    error.textContent = messageOf(e);
  }
}

const SECTIONS: [Tab, string][] = [
  ["conflicts", "queue"],
  ["duplicates", "dups"],
  ["devices", "devs"],
  ["tasks", "tasklist"],
  ["overview", "overview"],
  ["summary", "monthly"],
  ["accounts", "accounts"],
  ["audit", "audit"],
];

function render() {
  document.querySelectorAll<HTMLElement>("[data-i18n]").forEach((n) => (n.textContent = t(n.dataset.i18n ?? "")));
  byId("lang").textContent = t("lang");
  document
    .querySelectorAll<HTMLElement>("[data-tab]")
    .forEach((b) => b.classList.toggle("active", b.dataset.tab === tab));
  if (!byId("login").hidden) return;
  for (const [name, section] of SECTIONS) byId(section).hidden = tab !== name;
  const allowed: Record<Tab, boolean> = {
    conflicts: seesRecords(),
    duplicates: seesRecords(),
    tasks: seesRecords(),
    overview: seesRecords(),
    summary: seesRecords() || has("officer"),
    devices: seesRecords() || has("admin"),
    accounts: has("admin"),
    audit: seesRecords() || has("admin"),
  };
  document.querySelectorAll<HTMLElement>("[data-tab]").forEach((b) => (b.hidden = !allowed[b.dataset.tab as Tab]));
  if (tab === "accounts") void renderAccounts(byId("accounts-body"));
  if (tab === "audit") void renderAudit(byId("audit-body"));
  if (tab === "summary") void prepareSummary();
  if (tab === "overview") void showOverview();
  renderTasks();
  renderDuplicates();
  renderDevices();
  document.documentElement.lang = lang();
  const list = byId("conflicts");
  list.replaceChildren();
  byId("count").textContent = String(conflicts.length);
  byId("empty").hidden = conflicts.length > 0;
  conflicts.forEach((c, i) => {
    const name = `pick-${c.id}`;
    const radio = (value: string, checked: boolean) => {
      const input = el("input", { type: "radio", name, value });
      input.checked = checked;
      return input;
    };
    const card = el("article", { class: i === selected ? "card selected" : "card", "data-conflict": String(c.id) });
    card.append(
      el("h3", { text: `${t("conflict")} · ${c.label || c.entity_id} · ${t("field")}: ${fieldName(c.field)}` }),
    );
    const table = el("table");
    const deleted = c.field === "*";
    table.append(
      el(
        "tr",
        {},
        el("th", { text: t("base") }),
        el("td", { class: "value", text: deleted ? "—" : show(c.base_value) }),
        el("td"),
      ),
      el(
        "tr",
        {},
        el("th", { text: `${t("stationValue")}${c.station_by ? ` (${c.station_by})` : ""}` }),
        el("td", { class: "value", "data-side": "station", text: deleted ? t("deleted") : show(c.station_value) }),
        el("td", {}, el("label", {}, radio("station", c.applied === "station"), deleted ? t("keepDeleted") : "1")),
      ),
      el(
        "tr",
        {},
        el("th", { text: `${t("incoming")} (${c.incoming_by} ${c.incoming_at.slice(0, 16).replace("T", " ")})` }),
        el("td", { class: "value", "data-side": "incoming", text: show(c.incoming_value) }),
        el("td", {}, el("label", {}, radio("incoming", c.applied === "incoming"), deleted ? t("restore") : "2")),
      ),
    );
    if (!deleted) {
      const edit = el("input", { "data-edit": String(c.id), placeholder: t("edited") });
      edit.addEventListener("focus", () => (inside<HTMLInputElement>(card, "input[value=edited]").checked = true));
      table.append(
        el(
          "tr",
          {},
          el("th", { text: t("edited") }),
          el("td", {}, edit),
          el("td", {}, el("label", {}, radio("edited", false), "3")),
        ),
      );
    }
    const applied = c.applied === "station" ? t("stationValue") : t("incoming");
    const button = el("button", { type: "button", class: "primary", text: t("apply") });
    button.addEventListener("click", () => apply(c));
    card.append(
      table,
      el("div", { class: "actions" }, button, el("span", { class: "applied", text: `${t("applied")}: ${applied}` })),
    );
    card.addEventListener("click", () => (selected = i));
    list.append(card);
  });
}

function chosenValue(c: Conflict): JsonValue {
  const card = inside(document, `[data-conflict="${c.id}"]`);
  const pick = card.querySelector<HTMLInputElement>(`input[name=pick-${c.id}]:checked`)?.value ?? c.applied;
  if (c.field === "*") return pick === "station" ? true : c.incoming_value;
  if (pick === "station") return c.station_value;
  if (pick === "incoming") return c.incoming_value;
  const text = inside<HTMLInputElement>(card, `[data-edit="${c.id}"]`).value.trim();
  // A list field is edited as words separated by commas.
  return Array.isArray(c.station_value)
    ? text
        .split(/[,，、]/)
        .map((s) => s.trim())
        .filter(Boolean)
    : text;
}

async function apply(c: Conflict) {
  const error = byId("queue-error");
  try {
    await api.resolve(c, chosenValue(c));
    error.textContent = "";
    await load();
  } catch (e) {
    // Changed or settled meanwhile: show the queue as it stands now, and say why.
    if (e instanceof ApiError && e.status === 409) {
      await load().catch(() => {});
      error.textContent = t("changedMeanwhile");
    } else {
      error.textContent = messageOf(e);
    }
  }
}

/** Each read that draws a tab is numbered: an answer that comes back after a later read of the same
 * tab was asked for is dropped, so a slow answer for an earlier choice (last month, while the month
 * was being changed) never overwrites what was chosen since. */
const latest = { overview: 0, summary: 0 };

/** The overview is read when its tab is shown (it is computed over the whole station). */
async function showOverview() {
  const mine = ++latest.overview;
  const error = byId("overview-error");
  const openList = async (list: Worklist, filter: Query, title: string) => {
    try {
      renderWorklist(byId("worklist"), title, await api.worklist(list, filter));
    } catch (e) {
      error.textContent = messageOf(e);
    }
  };
  try {
    const overview = await api.overview();
    if (mine !== latest.overview) return;
    renderOverview(byId("overview-body"), overview, openList);
    error.textContent = "";
  } catch (e) {
    error.textContent = messageOf(e);
  }
}

/** The month and beat chosen for the summary (last month and the whole station at first). */
function summaryQuery(format?: string): Query {
  const month = byId<HTMLInputElement>("summary-month").value;
  const beat = byId<HTMLSelectElement>("summary-beat").value;
  return { month, lang: lang(), ...(beat ? { beat } : {}), ...(format ? { format } : {}) };
}

async function prepareSummary() {
  const monthInput = byId<HTMLInputElement>("summary-month");
  if (!monthInput.value) {
    const d = new Date();
    d.setDate(1);
    d.setMonth(d.getMonth() - 1);
    monthInput.value = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
  }
  // The export range starts as the summary's month.
  const [year, monthNumber] = monthInput.value.split("-").map(Number);
  const from = byId<HTMLInputElement>("export-from");
  const to = byId<HTMLInputElement>("export-to");
  if (!from.value) from.value = `${monthInput.value}-01`;
  if (!to.value) to.value = `${monthInput.value}-${String(new Date(year, monthNumber, 0).getDate()).padStart(2, "0")}`;
  const select = byId<HTMLSelectElement>("summary-beat");
  const chosen = select.value;
  // Staff choose among the station's beats (or the whole station); an officer among their own.
  const beats = seesRecords() ? [...new Set(devices.flatMap((d) => d.beats))].sort() : [...(account?.beats ?? [])];
  const whole = seesRecords() ? [el("option", { value: "", text: t("allBeats") })] : [];
  select.replaceChildren(...whole, ...beats.map((b) => el("option", { value: b, text: b })));
  select.value = beats.includes(chosen) ? chosen : seesRecords() ? "" : (beats[0] ?? "");
  await showSummary();
}

async function showSummary() {
  const mine = ++latest.summary;
  const error = byId("summary-error");
  try {
    const { lang: _shown, ...query } = summaryQuery();
    void _shown;
    const summary = await api.summary(query);
    if (mine !== latest.summary) return;
    renderSummary(byId("summary-body"), summary);
    error.textContent = "";
  } catch (e) {
    error.textContent = messageOf(e);
  }
}

async function load() {
  const records = seesRecords();
  [conflicts, duplicates, devices, tasks, officers] = await Promise.all([
    records ? api.conflicts() : [],
    records ? api.duplicates() : [],
    records || has("admin") ? api.devices() : [],
    records ? api.tasks() : [],
    records ? api.officers() : [],
  ]);
  selected = Math.min(selected, Math.max(0, conflicts.length - 1));
  render();
}

async function start(signingIn: boolean) {
  const login = byId("login");
  const queue = byId("queue");
  try {
    const session = await api.session();
    account = session.account;
    setCsrf(session.csrf);
    byId("who").textContent = account.display_name;
    byId("signout").hidden = false;
    if (!seesRecords()) tab = has("admin") ? "accounts" : "summary";
    login.hidden = true;
    queue.hidden = tab !== "conflicts";
    await load();
  } catch (e) {
    login.hidden = false;
    queue.hidden = true;
    byId("signout").hidden = true;
    const unauthorized = e instanceof ApiError && e.status === 401;
    byId("login-error").textContent = unauthorized ? (signingIn ? messageOf(e) : "") : messageOf(e) || t("unreachable");
    render();
  }
}

byId("bundle-file").addEventListener("change", async (e) => {
  const input = e.target as HTMLInputElement;
  const file = input.files?.[0];
  if (!file) return;
  const [state, error] = [byId("bundle-state"), byId("bundle-error")];
  state.textContent = t("bundleImporting");
  error.textContent = "";
  try {
    const done = await api.importBundle(file);
    const bytes = Uint8Array.from(atob(done.answer_base64), (c) => c.charCodeAt(0));
    api.save(bytes, done.answer_name);
    const figures: Record<string, string> = {
      officer: done.officer_name,
      changes: String(done.changes),
      stored: String(done.stored),
      duplicates: String(done.duplicates),
      held: String(done.held),
      refused: String(done.refused),
      conflicts: String(done.conflicts),
      records: String(done.records),
      file: done.answer_name,
    };
    state.textContent = t("bundleDone").replace(/\{(\w+)\}/g, (_, k: string) => figures[k] ?? "");
    await load();
  } catch (err) {
    state.textContent = "";
    const said = err instanceof ApiError && err.code ? t(`bundleError_${err.code}`) : "";
    error.textContent = said && !said.startsWith("bundleError_") ? said : messageOf(err);
  } finally {
    input.value = "";
  }
});

byId("bureau-send").addEventListener("click", async () => {
  byId("bureau-error").textContent = "";
  try {
    await api.bureauSend();
  } catch (e) {
    byId("bureau-error").textContent = messageOf(e);
  }
  await renderBureau();
});

byId("bureau-enroll").addEventListener("submit", async (e) => {
  e.preventDefault();
  byId("bureau-error").textContent = "";
  try {
    await api.bureauEnroll(
      (byId("bureau-url") as HTMLInputElement).value,
      (byId("bureau-code") as HTMLInputElement).value,
    );
  } catch (err) {
    byId("bureau-error").textContent = messageOf(err);
  }
  await renderBureau();
});

byId("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  const error = byId("login-error");
  try {
    await api.signIn(byId<HTMLInputElement>("staff").value.trim(), byId<HTMLInputElement>("password").value);
    byId<HTMLInputElement>("password").value = "";
    await start(true);
  } catch (err) {
    error.textContent = err instanceof ApiError && err.status === 401 ? t("wrongPassword") : messageOf(err);
  }
});
byId("signout").addEventListener("click", async () => {
  await api.signOut().catch(() => {});
  account = null;
  setCsrf("");
  byId("who").textContent = "";
  await start(false);
});
byId("summary-show").addEventListener("click", () => void showSummary());
const showError = (e: unknown) => (byId("summary-error").textContent = messageOf(e));
document.querySelectorAll<HTMLElement>("[data-download]").forEach((b) =>
  b.addEventListener("click", () => {
    const query = summaryQuery(b.dataset.download);
    const name = `${t("summary")}-${query.month}${query.beat ? `-${query.beat}` : ""}.${query.format}`;
    api.download("summary/export", query, name).catch(showError);
  }),
);
document.querySelectorAll<HTMLElement>("[data-export]").forEach((b) =>
  b.addEventListener("click", () => {
    const { beat } = summaryQuery();
    const from = byId<HTMLInputElement>("export-from").value;
    const to = byId<HTMLInputElement>("export-to").value;
    const format = b.dataset.export ?? "xlsx";
    const kind = b.dataset.kind;
    const query: Query = { from, to, format, lang: lang(), ...(beat ? { beat } : {}), ...(kind ? { kind } : {}) };
    const name = `${kind ?? t("records")}-${from}-${to}.${format}`;
    api.download("export", query, name).catch(showError);
  }),
);
document.querySelectorAll<HTMLElement>("[data-tab]").forEach((b) =>
  b.addEventListener("click", () => {
    tab = b.dataset.tab as Tab;
    render();
  }),
);
byId("lang").addEventListener("click", () => {
  toggleLang();
  render();
});
document.addEventListener("keydown", (e) => {
  const target = e.target as HTMLElement | null;
  const typing = target instanceof HTMLInputElement && target.type !== "radio";
  if (byId("queue").hidden || typing) return;
  const c = conflicts[selected];
  if (e.key === "j" || e.key === "J") selected = Math.min(selected + 1, conflicts.length - 1);
  else if (e.key === "k" || e.key === "K") selected = Math.max(selected - 1, 0);
  else if (c && ["1", "2", "3"].includes(e.key)) {
    const card = inside(document, `[data-conflict="${c.id}"]`);
    const value = ({ "1": "station", "2": "incoming", "3": "edited" } as Record<string, string>)[e.key];
    const input = card.querySelector<HTMLInputElement>(`input[value=${value}]`);
    if (input) input.checked = true;
    if (value === "edited") card.querySelector<HTMLInputElement>("[data-edit]")?.focus();
    return;
  } else if (c && e.key === "Enter") return void apply(c);
  else return;
  render();
});
void start(false);
