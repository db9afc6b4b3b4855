// The station's merge queue for staff: conflicts side by side (base, station, incoming, with who and
// when), a choice per conflict or an edited value, applied with one click or by keyboard
// (J/K move, 1/2 pick, 3 edit, Enter apply). Every call goes through `api` below.

import { renderOverview, renderSummary, renderWorklist } from "/staff/overview.js";
import { renderAccounts, renderAudit, revokeButtons } from "/staff/admin.js";

const TEXT = {
  "zh-CN": {
    station: "派出所", queue: "待合并 / 冲突处理", login: "登录", staff: "用户名", password: "密码", signout: "退出",
    signin: "登录", keys: "键盘：J/K 上下移动，1 采用站内值，2 采用新到值，3 手动编辑，Enter 确认",
    empty: "没有待处理的冲突。", conflict: "冲突", field: "字段", base: "原值 (base)", stationValue: "站内",
    incoming: "新到", edited: "手动编辑", apply: "采用所选", applied: "当前采用", deleted: "该记录已在站内删除",
    keepDeleted: "保持删除", restore: "恢复并采用修改", wrongPassword: "用户名或密码不对", unreachable: "连不上服务器",
    changedMeanwhile: "这条冲突在您打开后有了变化（字段又被修改，或已被处理），列表已重新载入，请再看一遍。",
    accounts: "账号", audit: "审计记录", username: "用户名", displayName: "姓名", roles: "角色", role_officer: "民警", role_staff: "内勤",
    role_chief: "所长", role_admin: "管理员", active: "启用", inactive: "已停用", create: "新建账号", code: "登记码", codeFor: "给 {0} 的笔记本登记码（24 小时内有效，只能用一次）：",
    deactivate: "停用", activate: "启用", revoke: "注销", revokeWipe: "注销并清除数据", revoked: "已注销", wiped: "已清除", wipePending: "待清除",
    confirmRevoke: "确定注销这台笔记本？之后它的同步都会被拒绝。", confirmWipe: "确定注销并在它下次联网时清除本机数据？",
    actor: "操作人", source: "类别", action: "操作", target: "对象", outcome: "结果", detail: "详情", at: "时间", filter: "筛选", exportCsv: "导出 CSV",
    src_security: "安全", src_staff: "内勤决定", src_change: "数据变更", all: "全部",
    lang: "English", none: "（空）",
    duplicates: "重复登记", devices: "设备", noDuplicates: "没有疑似重复的住户或人员。", keepLeft: "合并，保留左边",
    keepRight: "合并，保留右边", undo: "撤销合并", merged: "已合并，保留", officer: "民警", beats: "责任区",
    lastSync: "上次同步", acked: "已收到变更至", never: "从未", address: "地址", kind: "类型", phone: "联系电话", tags: "标签",
    household: "住户", resident: "人员", sameBy: "相同的", id_number: "身份证号", name_birth_phone: "姓名、出生日期和电话",
    name: "姓名", sex: "性别", birth: "出生日期", idNumber: "身份证号", male: "男", female: "女",
    overview: "概览", summary: "月度小结", month: "月份", show: "查看", allBeats: "全所", records: "导出记录", from: "从", to: "到",
    visitsCsv: "走访 CSV", concernsCsv: "问题 CSV", tasks: "跟进任务", task: "任务内容", assignee: "责任人", due: "办理期限", save: "保存", saved: "已保存",
  },
  en: {
    station: "Station", queue: "Merge queue", login: "Sign in", staff: "Username", password: "Password", signout: "Sign out",
    signin: "Sign in", keys: "Keys: J/K move, 1 station value, 2 incoming value, 3 edit, Enter apply",
    empty: "Nothing to merge.", conflict: "Conflict", field: "Field", base: "Base", stationValue: "Station",
    incoming: "Incoming", edited: "Edited value", apply: "Apply choice", applied: "applied now", deleted: "Deleted at the station",
    keepDeleted: "Keep deleted", restore: "Restore with the edit", wrongPassword: "Wrong username or password", unreachable: "Station unreachable",
    changedMeanwhile: "This conflict changed after you opened it (the field was edited again, or it was settled); the queue has been reloaded: look at it again.",
    accounts: "Accounts", audit: "Audit trail", username: "Username", displayName: "Name", roles: "Roles", role_officer: "Officer", role_staff: "Staff",
    role_chief: "Chief", role_admin: "Administrator", active: "Active", inactive: "Deactivated", create: "Create account", code: "Enrolment code",
    codeFor: "Enrolment code for a laptop of {0} (valid 24 hours, once):", deactivate: "Deactivate", activate: "Activate", revoke: "Revoke",
    revokeWipe: "Revoke and erase", revoked: "Revoked", wiped: "Erased", wipePending: "Erase pending",
    confirmRevoke: "Revoke this laptop? Its syncs will be refused from now on.", confirmWipe: "Revoke it and erase its data when it next connects?",
    actor: "Who", source: "Kind", action: "Action", target: "Target", outcome: "Outcome", detail: "Detail", at: "When", filter: "Filter", exportCsv: "Export CSV",
    src_security: "Security", src_staff: "Staff decision", src_change: "Change", all: "All",
    lang: "中文", none: "(empty)",
    duplicates: "Duplicates", devices: "Devices", noDuplicates: "No suspected duplicate households or people.", keepLeft: "Merge, keep left",
    keepRight: "Merge, keep right", undo: "Undo merge", merged: "Merged, kept", officer: "Officer", beats: "Beats",
    lastSync: "Last sync", acked: "Changes received up to", never: "never", address: "Address", kind: "Kind", phone: "Contact phone", tags: "Tags",
    household: "Household", resident: "Person", sameBy: "same ", id_number: "ID number", name_birth_phone: "name, birth date and phone",
    name: "Name", sex: "Sex", birth: "Birth date", idNumber: "ID number", male: "male", female: "female",
    overview: "Overview", summary: "Monthly summary", month: "Month", show: "Show", allBeats: "Whole station", records: "Export records",
    from: "From", to: "To", visitsCsv: "Visits CSV", concernsCsv: "Concerns CSV", tasks: "Follow-up tasks", task: "Task", assignee: "Person responsible", due: "Due date", save: "Save", saved: "Saved",
  },
};
/// The closed lists' words, as the field app shows them.
const WORDS = {
  "zh-CN": { residence: "住宅", rental: "出租屋", shop: "商铺", unit: "单位/场所", elderly_alone: "独居老人", low_income: "低保户",
    left_behind_children: "留守儿童", disabled: "残疾人", migrant_workers: "流动人口", petitioner: "信访人员", key_person: "重点人员",
    community_correction: "社区矫正对象" },
  en: {},
};
const word = (w) => WORDS[lang][w] ?? w;
const FIELDS = {
  "zh-CN": { address: "地址", contact_phone: "联系电话", contact_name: "联系人", notes: "备注", tags: "标签", beat: "责任区",
    name: "姓名", phone: "电话", id_number: "身份证号", birth_date: "出生日期", summary: "问题描述", status: "状态",
    assignee: "责任人", due_date: "办理期限", result: "办理结果", purposes: "走访目的", opinions: "意见建议", "*": "整条记录" },
  en: {},
};

let lang = localStorage.getItem("doorstep.staff.lang") === "en" ? "en" : "zh-CN";
const t = (key) => TEXT[lang][key] ?? key;
const fieldName = (f) => FIELDS[lang][f] ?? f;
/// Who is signed in. The session itself is an HttpOnly cookie the page never sees; every call that
/// changes something carries the session's CSRF token.
const session = { account: null, csrf: "" };
const has = (role) => session.account?.roles.includes(role) ?? false;
const seesRecords = () => has("staff") || has("chief");

const api = {
  async call(method, path, body) {
    const response = await fetch(`/api/v1/${path}`, {
      method,
      headers: { "X-CSRF-Token": session.csrf, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(data.message ?? response.statusText), { status: response.status });
    return data;
  },
  conflicts: () => api.call("GET", "conflicts"),
  duplicates: () => api.call("GET", "duplicates"),
  overview: () => api.call("GET", "overview"),
  worklist: (list, filter) => api.call("GET", `worklist?${new URLSearchParams({ list, ...filter })}`),
  summary: (query) => api.call("GET", `summary?${new URLSearchParams(query)}`),
  /// A file, fetched with the session and handed to the browser as a download named `name`.
  async download(path, query, name) {
    const response = await fetch(`/api/v1/${path}?${new URLSearchParams(query)}`);
    if (!response.ok) throw new Error((await response.json().catch(() => ({}))).message ?? response.statusText);
    const link = el("a", { href: URL.createObjectURL(await response.blob()), download: name });
    document.body.append(link);
    link.click();
    link.remove();
  },
  merge: (id, survivor) => api.call("POST", `duplicates/${id}/merge`, { survivor }),
  undo: (id) => api.call("POST", `duplicates/${id}/undo`),
  devices: () => api.call("GET", "devices"),
  tasks: () => api.call("GET", "tasks"),
  officers: () => api.call("GET", "officers"),
  assign: (id, assignee, due_date) => api.call("POST", `tasks/${id}/assign`, { assignee, due_date }),
  // `seen`: the two values this page showed, so the station refuses a choice made on a stale view.
  resolve: (c, value) =>
    api.call("POST", `conflicts/${c.id}/resolve`, { value, seen: { station_value: c.station_value, incoming_value: c.incoming_value } }),
  signIn: (username, password) => api.call("POST", "session", { username, password }),
  session: () => api.call("GET", "session"),
  signOut: () => api.call("DELETE", "session"),
  accounts: () => api.call("GET", "accounts"),
  createAccount: (account) => api.call("POST", "accounts", account),
  updateAccount: (id, update) => api.call("POST", `accounts/${id}`, update),
  enrollmentCode: (id) => api.call("POST", `accounts/${id}/enrollment-code`),
  revoke: (id, wipe) => api.call("POST", `devices/${id}/revoke`, { wipe }),
  audit: (filter) => api.call("GET", `audit?${new URLSearchParams(filter)}`),
};

function show(value) {
  if (value === null || value === undefined || value === "") return t("none");
  if (Array.isArray(value)) return value.join("、");
  if (typeof value === "object") return Object.entries(value).map(([k, v]) => `${fieldName(k)}: ${show(v)}`).join("；");
  return String(value);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

let conflicts = [];
let selected = 0;
let tab = "conflicts";
let duplicates = [];
let devices = [];
let tasks = [];
let officers = [];

function renderTasks() {
  const table = document.getElementById("tasks-table");
  table.replaceChildren(el("tr", {}, ...["task", "address", "assignee", "due", ""].map((k) => el("th", { text: k ? t(k) : "" }))));
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
      const error = document.getElementById("tasks-error");
      try {
        await api.assign(task.id, assignee.value, due.value);
        error.textContent = t("saved");
        await load();
      } catch (e) {
        error.textContent = e.message;
      }
    });
    table.append(el("tr", { "data-task": task.id }, el("td", { text: task.title }), el("td", { text: task.address }),
      el("td", {}, assignee), el("td", {}, due), el("td", {}, save)));
  }
}

function household(h) {
  const dl = el("dl");
  const tags = (h.tags ?? []).map(word);
  for (const [key, value] of [["address", h.address], ["beats", h.beat], ["kind", word(h.kind)], ["phone", h.contact_phone], ["tags", tags]]) {
    dl.append(el("dt", { text: t(key) }), el("dd", { text: show(value) }));
  }
  return dl;
}

/// An ID number is shown as much as staff need to compare two: where it was issued and its end.
const masked = (id) => (id && id.length > 10 ? `${id.slice(0, 6)}${"*".repeat(id.length - 10)}${id.slice(-4)}` : id);

function person(r, address) {
  const dl = el("dl");
  const rows = [["name", r.name], ["sex", r.sex ? t(r.sex) : ""], ["birth", r.birth_date], ["phone", r.phone],
    ["idNumber", masked(r.id_number)], ["address", address], ["tags", (r.tags ?? []).map(word)]];
  for (const [key, value] of rows) dl.append(el("dt", { text: t(key) }), el("dd", { text: show(value) }));
  return dl;
}

function renderDuplicates() {
  const list = document.getElementById("duplicates");
  list.replaceChildren();
  document.getElementById("dups-empty").hidden = duplicates.length > 0;
  for (const d of duplicates) {
    const card = el("article", { class: "card", "data-duplicate": String(d.id) });
    const side = (r, address) => (d.entity === "resident" ? person(r, address) : household(r));
    card.append(el("p", { class: "reason", text: `${t(d.entity)} · ${t("sameBy")}${t(d.reason)}` }),
      el("div", { class: "pair" }, side(d.first, d.first_address), side(d.second, d.second_address)));
    const actions = el("div", { class: "actions" });
    const button = (label, onClick) => {
      const b = el("button", { type: "button", text: label });
      b.addEventListener("click", onClick);
      return b;
    };
    if (d.status === "open") {
      actions.append(button(t("keepLeft"), () => decide(() => api.merge(d.id, d.first_id))),
        button(t("keepRight"), () => decide(() => api.merge(d.id, d.second_id))));
    } else {
      const kept = d.survivor === d.first_id ? d.first : d.second;
      actions.append(el("span", { class: "applied", text: `${t("merged")}: ${kept.address ?? kept.name}` }), button(t("undo"), () => decide(() => api.undo(d.id))));
    }
    card.append(actions);
    list.append(card);
  }
}

function renderDevices() {
  const table = document.getElementById("devices-table");
  table.replaceChildren(el("tr", {}, ...["officer", "beats", "lastSync", "acked"].map((k) => el("th", { text: t(k) }))));
  for (const d of devices) {
    table.append(el("tr", { "data-device": d.device_id }, el("td", { text: d.officer_name }), el("td", { text: d.beats.join("、") }),
      el("td", { text: d.last_seen_at ? d.last_seen_at.slice(0, 16).replace("T", " ") : t("never") }), el("td", { text: String(d.acked_seq) }),
      el("td", {}, ...revokeButtons(d, { el, t, api, admin: has("admin"), reload: load }))));
  }
}

async function decide(action) {
  const error = document.getElementById("dups-error");
  try {
    await action();
    error.textContent = "";
    await load();
  } catch (e) {
    error.textContent = e.message;
  }
}

function render() {
  document.querySelectorAll("[data-i18n]").forEach((n) => (n.textContent = t(n.dataset.i18n)));
  document.getElementById("lang").textContent = t("lang");
  document.querySelectorAll("[data-tab]").forEach((b) => b.classList.toggle("active", b.dataset.tab === tab));
  if (!document.getElementById("login").hidden) return;
  document.getElementById("queue").hidden = tab !== "conflicts";
  document.getElementById("dups").hidden = tab !== "duplicates";
  document.getElementById("devs").hidden = tab !== "devices";
  document.getElementById("tasklist").hidden = tab !== "tasks";
  document.getElementById("overview").hidden = tab !== "overview";
  document.getElementById("monthly").hidden = tab !== "summary";
  document.getElementById("accounts").hidden = tab !== "accounts";
  document.getElementById("audit").hidden = tab !== "audit";
  const allowed = { conflicts: seesRecords(), duplicates: seesRecords(), tasks: seesRecords(), overview: seesRecords(),
    summary: seesRecords() || has("officer"), devices: seesRecords() || has("admin"), accounts: has("admin"),
    audit: seesRecords() || has("admin") };
  document.querySelectorAll("[data-tab]").forEach((b) => (b.hidden = !allowed[b.dataset.tab]));
  if (tab === "accounts") void renderAccounts(document.getElementById("accounts-body"), { el, t, api });
  if (tab === "audit") void renderAudit(document.getElementById("audit-body"), { el, t, api });
  if (tab === "summary") void prepareSummary();
  if (tab === "overview") void showOverview();
  renderTasks();
  renderDuplicates();
  renderDevices();
  document.documentElement.lang = lang;
  const list = document.getElementById("conflicts");
  list.replaceChildren();
  document.getElementById("count").textContent = String(conflicts.length);
  document.getElementById("empty").hidden = conflicts.length > 0;
  conflicts.forEach((c, i) => {
    const name = `pick-${c.id}`;
    const radio = (value, checked) => {
      const input = el("input", { type: "radio", name, value });
      input.checked = checked;
      return input;
    };
    const card = el("article", { class: i === selected ? "card selected" : "card", "data-conflict": String(c.id) });
    card.append(el("h3", { text: `${t("conflict")} · ${c.label || c.entity_id} · ${t("field")}: ${fieldName(c.field)}` }));
    const table = el("table");
    const deleted = c.field === "*";
    table.append(
      el("tr", {}, el("th", { text: t("base") }), el("td", { class: "value", text: deleted ? "—" : show(c.base_value) }), el("td")),
      el("tr", {},
        el("th", { text: `${t("stationValue")}${c.station_by ? ` (${c.station_by})` : ""}` }),
        el("td", { class: "value", "data-side": "station", text: deleted ? t("deleted") : show(c.station_value) }),
        el("td", {}, el("label", {}, radio("station", c.applied === "station"), deleted ? t("keepDeleted") : "1"))),
      el("tr", {},
        el("th", { text: `${t("incoming")} (${c.incoming_by} ${c.incoming_at.slice(0, 16).replace("T", " ")})` }),
        el("td", { class: "value", "data-side": "incoming", text: show(c.incoming_value) }),
        el("td", {}, el("label", {}, radio("incoming", c.applied === "incoming"), deleted ? t("restore") : "2"))),
    );
    if (!deleted) {
      const edit = el("input", { "data-edit": String(c.id), placeholder: t("edited") });
      edit.addEventListener("focus", () => (card.querySelector("input[value=edited]").checked = true));
      table.append(el("tr", {}, el("th", { text: t("edited") }), el("td", {}, edit), el("td", {}, el("label", {}, radio("edited", false), "3"))));
    }
    const applied = c.applied === "station" ? t("stationValue") : t("incoming");
    const button = el("button", { type: "button", class: "primary", text: t("apply") });
    button.addEventListener("click", () => apply(c));
    card.append(table, el("div", { class: "actions" }, button, el("span", { class: "applied", text: `${t("applied")}: ${applied}` })));
    card.addEventListener("click", () => (selected = i));
    list.append(card);
  });
}

function chosenValue(c) {
  const card = document.querySelector(`[data-conflict="${c.id}"]`);
  const pick = card.querySelector(`input[name=pick-${c.id}]:checked`)?.value ?? c.applied;
  if (c.field === "*") return pick === "station" ? true : c.incoming_value;
  if (pick === "station") return c.station_value;
  if (pick === "incoming") return c.incoming_value;
  const text = card.querySelector(`[data-edit="${c.id}"]`).value.trim();
  // A list field is edited as words separated by commas.
  return Array.isArray(c.station_value) ? text.split(/[,，、]/).map((s) => s.trim()).filter(Boolean) : text;
}

async function apply(c) {
  const error = document.getElementById("queue-error");
  try {
    await api.resolve(c, chosenValue(c));
    error.textContent = "";
    await load();
  } catch (e) {
    // Changed or settled meanwhile: show the queue as it stands now, and say why.
    if (e.status === 409) {
      await load().catch(() => {});
      error.textContent = t("changedMeanwhile");
    } else {
      error.textContent = e.message;
    }
  }
}

/// The overview is read when its tab is shown (it is computed over the whole station).
async function showOverview() {
  const error = document.getElementById("overview-error");
  const ctx = {
    el,
    lang,
    openList: async (list, filter, title) => {
      try {
        renderWorklist(document.getElementById("worklist"), title, await api.worklist(list, filter), ctx);
      } catch (e) {
        error.textContent = e.message;
      }
    },
  };
  try {
    renderOverview(document.getElementById("overview-body"), await api.overview(), ctx);
    error.textContent = "";
  } catch (e) {
    error.textContent = e.message;
  }
}

/// The month and beat chosen for the summary (last month and the whole station at first).
function summaryQuery(format) {
  const month = document.getElementById("summary-month").value;
  const beat = document.getElementById("summary-beat").value;
  return { month, lang, ...(beat ? { beat } : {}), ...(format ? { format } : {}) };
}

async function prepareSummary() {
  const monthInput = document.getElementById("summary-month");
  if (!monthInput.value) {
    const d = new Date();
    d.setDate(1);
    d.setMonth(d.getMonth() - 1);
    monthInput.value = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
  }
  // The export range starts as the summary's month.
  const [year, monthNumber] = monthInput.value.split("-").map(Number);
  const from = document.getElementById("export-from");
  const to = document.getElementById("export-to");
  if (!from.value) from.value = `${monthInput.value}-01`;
  if (!to.value) to.value = `${monthInput.value}-${String(new Date(year, monthNumber, 0).getDate()).padStart(2, "0")}`;
  const select = document.getElementById("summary-beat");
  const chosen = select.value;
  // Staff choose among the station's beats (or the whole station); an officer among their own.
  const beats = seesRecords() ? [...new Set(devices.flatMap((d) => d.beats))].sort() : [...session.account.beats];
  const whole = seesRecords() ? [el("option", { value: "", text: t("allBeats") })] : [];
  select.replaceChildren(...whole, ...beats.map((b) => el("option", { value: b, text: b })));
  select.value = beats.includes(chosen) ? chosen : seesRecords() ? "" : beats[0] ?? "";
  await showSummary();
}

async function showSummary() {
  const error = document.getElementById("summary-error");
  try {
    const { lang: _, ...query } = summaryQuery();
    renderSummary(document.getElementById("summary-body"), await api.summary(query), { el, lang });
    error.textContent = "";
  } catch (e) {
    error.textContent = e.message;
  }
}

async function load() {
  const none = async () => [];
  [conflicts, duplicates, devices, tasks, officers] = await Promise.all([
    seesRecords() ? api.conflicts() : none(), seesRecords() ? api.duplicates() : none(),
    seesRecords() || has("admin") ? api.devices() : none(), seesRecords() ? api.tasks() : none(),
    seesRecords() ? api.officers() : none()]);
  selected = Math.min(selected, Math.max(0, conflicts.length - 1));
  render();
}

async function start(signingIn) {
  const login = document.getElementById("login");
  const queue = document.getElementById("queue");
  try {
    Object.assign(session, await api.session());
    document.getElementById("who").textContent = session.account.display_name;
    document.getElementById("signout").hidden = false;
    if (!seesRecords()) tab = has("admin") ? "accounts" : "summary";
    login.hidden = true;
    queue.hidden = tab !== "conflicts";
    await load();
  } catch (e) {
    login.hidden = false;
    queue.hidden = true;
    document.getElementById("signout").hidden = true;
    document.getElementById("login-error").textContent = e.status === 401 ? (signingIn ? e.message : "") : e.message || t("unreachable");
    render();
  }
}

document.getElementById("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  const error = document.getElementById("login-error");
  try {
    await api.signIn(document.getElementById("staff").value.trim(), document.getElementById("password").value);
    document.getElementById("password").value = "";
    await start(true);
  } catch (err) {
    error.textContent = err.status === 401 ? t("wrongPassword") : err.message;
  }
});
document.getElementById("signout").addEventListener("click", async () => {
  await api.signOut().catch(() => {});
  Object.assign(session, { account: null, csrf: "" });
  document.getElementById("who").textContent = "";
  await start(false);
});
document.getElementById("summary-show").addEventListener("click", () => void showSummary());
const showError = (e) => (document.getElementById("summary-error").textContent = e.message);
document.querySelectorAll("[data-download]").forEach((b) =>
  b.addEventListener("click", () => {
    const query = summaryQuery(b.dataset.download);
    const name = `${t("summary")}-${query.month}${query.beat ? `-${query.beat}` : ""}.${query.format}`;
    api.download("summary/export", query, name).catch(showError);
  }),
);
document.querySelectorAll("[data-export]").forEach((b) =>
  b.addEventListener("click", () => {
    const { beat } = summaryQuery();
    const from = document.getElementById("export-from").value;
    const to = document.getElementById("export-to").value;
    const format = b.dataset.export;
    const query = { from, to, format, lang, ...(beat ? { beat } : {}), ...(b.dataset.kind ? { kind: b.dataset.kind } : {}) };
    const name = `${b.dataset.kind ?? t("records")}-${from}-${to}.${format}`;
    api.download("export", query, name).catch(showError);
  }),
);
document.querySelectorAll("[data-tab]").forEach((b) =>
  b.addEventListener("click", () => {
    tab = b.dataset.tab;
    render();
  }),
);
document.getElementById("lang").addEventListener("click", () => {
  lang = lang === "en" ? "zh-CN" : "en";
  localStorage.setItem("doorstep.staff.lang", lang);
  render();
});
document.addEventListener("keydown", (e) => {
  if (document.getElementById("queue").hidden || (e.target.tagName === "INPUT" && e.target.type !== "radio")) return;
  const c = conflicts[selected];
  if (e.key === "j" || e.key === "J") selected = Math.min(selected + 1, conflicts.length - 1);
  else if (e.key === "k" || e.key === "K") selected = Math.max(selected - 1, 0);
  else if (c && ["1", "2", "3"].includes(e.key)) {
    const card = document.querySelector(`[data-conflict="${c.id}"]`);
    const value = { 1: "station", 2: "incoming", 3: "edited" }[e.key];
    const input = card.querySelector(`input[value=${value}]`);
    if (input) input.checked = true;
    if (value === "edited") card.querySelector("[data-edit]")?.focus();
    return;
  } else if (c && e.key === "Enter") return void apply(c);
  else return;
  render();
});
void start(false);
