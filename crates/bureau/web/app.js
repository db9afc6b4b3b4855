// The bureau's pages: the city overview (per station, drilled into beats), the monthly summary and
// its files, the cross-station look-up (a reason with every look-up), the inspectors' complaints
// about the police with their flags, the stations' replication state, the audit trail, and the
// accounts (an administrator's list; everyone's own password).
// zh-CN by default, English on demand. Every call goes through `api`; the session is an HttpOnly
// cookie the page never sees, and every change carries the session's CSRF token.

const TEXT = {
  "zh-CN": {
    bureau: "公安局",
    overview: "全局概况",
    summary: "月度工作小结",
    lookup: "跨所查询",
    oversight: "督察：涉警投诉",
    stations: "各派出所",
    audit: "审计记录",
    login: "登录",
    username: "用户名",
    password: "密码",
    signin: "登录",
    signout: "退出",
    wrong_password: "用户名或密码不对",
    unreachable: "连不上服务器",
    all_stations: "返回全局",
    station: "派出所",
    beat: "责任区",
    households: "住户",
    coverage: "走访覆盖率",
    overdue: "逾期未访",
    overdue_tasks: "逾期任务",
    open_concerns: "未办结诉求",
    satisfaction: "满意率（本月 / 上月）",
    open_by_category: "未办结诉求（按类别）",
    month: "月份",
    whole_bureau: "全局",
    show: "查看",
    download: "下载",
    visits: "走访次数",
    households_visited: "走访住户",
    vulnerable_visited: "困难群体住户走访",
    feedback_given: "已向群众反馈",
    median_days: "办结用时中位数（天）",
    raised: "新增",
    closed: "办结",
    lookup_note: "查询仅限工作需要。每次查询连同事由记入审计记录。",
    lookup_kind: "查询",
    person: "人员（身份证号、姓名或拼音）",
    address: "地址",
    lookup_text: "查询内容",
    birth_date: "出生日期（可选）",
    reason: "事由（必填）",
    search: "查询",
    no_hits: "没有查到。",
    more_hits: "结果较多，只列出前 100 户，请缩小范围。",
    last_visit: "最近走访",
    never: "从未",
    residents: "人员",
    oversight_note: "“对民警的意见/投诉”类诉求，以及走访中涉及作风形象、队伍廉洁的意见。保密反映人不在列表中显示。",
    open_only: "只看未办结",
    at: "时间",
    text: "内容",
    status: "状态",
    responsible: "责任人",
    told: "已告知群众",
    yes: "是",
    no: "否",
    flag: "督办",
    flagged: "已督办",
    flag_reason: "督办要求（将发往派出所）：",
    flag_applied: "派出所已立任务",
    flag_pending: "待派出所接收",
    reporter: "反映人",
    show_reporter: "查看反映人",
    reporter_reason: "查看保密反映人的事由（记入审计）：",
    confidential: "保密",
    noted: "走访意见",
    lag: "未上报版本",
    last_batch: "最近上报",
    silent: "超过一天未联系",
    revoked: "已撤销",
    new_station: "新派出所名称",
    issue_code: "生成接入码",
    code_issued: "接入码（72 小时内有效，只显示一次）：",
    actor: "操作人",
    action: "操作",
    target: "对象",
    outcome: "结果",
    accounts: "账号",
    current_password: "当前密码",
    new_password: "新密码（至少 10 位）",
    change_password: "修改我的密码",
    password_changed: "密码已修改，其他地方的登录已退出。",
    current_password_wrong: "当前密码不对",
    new_account: "新建账号",
    display_name: "姓名",
    role: "角色",
    roles: "角色",
    role_admin: "管理员",
    role_analyst: "分析人员",
    role_inspector: "督察",
    may_see_reporters: "可查看保密反映人",
    create_account: "新建",
    account_created: "账号已建：",
    active: "在用",
    deactivate: "停用",
    activate: "启用",
    set_password: "重设密码",
    set_password_prompt: "新密码（至少 10 位；对方的登录将退出）：",
    password_set: "密码已重设：",
    deactivate_confirm: "停用此账号？其登录将立即退出。",
  },
  en: {
    bureau: "Bureau",
    overview: "City overview",
    summary: "Monthly summary",
    lookup: "Look-up",
    oversight: "Oversight: complaints",
    stations: "Stations",
    audit: "Audit trail",
    login: "Sign in",
    username: "Username",
    password: "Password",
    signin: "Sign in",
    signout: "Sign out",
    wrong_password: "Wrong username or password",
    unreachable: "The server cannot be reached",
    all_stations: "Back to all stations",
    station: "Station",
    beat: "Beat",
    households: "Households",
    coverage: "Coverage",
    overdue: "Overdue",
    overdue_tasks: "Overdue tasks",
    open_concerns: "Open concerns",
    satisfaction: "Satisfied (this / last month)",
    open_by_category: "Open concerns by category",
    month: "Month",
    whole_bureau: "Whole bureau",
    show: "Show",
    download: "Download",
    visits: "Visits",
    households_visited: "Households visited",
    vulnerable_visited: "Vulnerable households visited",
    feedback_given: "Residents told the result",
    median_days: "Median days to close",
    raised: "Raised",
    closed: "Closed",
    lookup_note: "Look up only what your work needs. Every look-up is recorded with its reason.",
    lookup_kind: "Look up",
    person: "A person (ID number, name or pinyin)",
    address: "An address",
    lookup_text: "Text",
    birth_date: "Birth date (optional)",
    reason: "Reason (required)",
    search: "Search",
    no_hits: "Nothing found.",
    more_hits: "More than 100 households matched; only the first 100 are listed.",
    last_visit: "Last visit",
    never: "never",
    residents: "Residents",
    oversight_note: "Concerns about police conduct, and visits whose opinions are about work style or integrity. Confidential reporters are never listed.",
    open_only: "Open only",
    at: "When",
    text: "What",
    status: "Status",
    responsible: "Responsible",
    told: "Resident told",
    yes: "yes",
    no: "no",
    flag: "Flag",
    flagged: "Flagged",
    flag_reason: "What the station should follow up (sent to the station):",
    flag_applied: "task made at the station",
    flag_pending: "waiting for the station",
    reporter: "Reporter",
    show_reporter: "Show reporter",
    reporter_reason: "Why you need the confidential reporter (recorded):",
    confidential: "confidential",
    noted: "visit opinion",
    lag: "Versions not sent",
    last_batch: "Last sent",
    silent: "silent for over a day",
    revoked: "revoked",
    new_station: "New station's name",
    issue_code: "Issue an enrolment code",
    code_issued: "Enrolment code (valid 72 hours, shown once):",
    actor: "Who",
    action: "Action",
    target: "Target",
    outcome: "Outcome",
    accounts: "Accounts",
    current_password: "Current password",
    new_password: "New password (at least 10 characters)",
    change_password: "Change my password",
    password_changed: "Password changed; your sessions elsewhere were signed out.",
    current_password_wrong: "The current password is not right",
    new_account: "New account",
    display_name: "Name",
    role: "Role",
    roles: "Roles",
    role_admin: "administrator",
    role_analyst: "analyst",
    role_inspector: "inspector",
    may_see_reporters: "May see confidential reporters",
    create_account: "Create",
    account_created: "Account created:",
    active: "Active",
    deactivate: "Deactivate",
    activate: "Activate",
    set_password: "Set password",
    set_password_prompt: "New password (at least 10 characters; their sessions will end):",
    password_set: "Password set for",
    deactivate_confirm: "Deactivate this account? Its sessions end at once.",
  },
};

let lang = localStorage.getItem("doorstep-bureau-lang") === "en" ? "en" : "zh-CN";
let csrf = "";
let account = null;
let vocabulary = {};
let drilled = null;

const t = (key) => TEXT[lang][key] ?? key;
const vocab = (group, word) => vocabulary[lang]?.[group]?.[word] ?? word;
const byId = (id) => document.getElementById(id);
const has = (role) => account?.roles.includes(role) ?? false;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v;
    else if (k === "onclick") node.addEventListener("click", v);
    // Through the CSSOM: the pages' content security policy refuses style attributes.
    else if (k === "width") node.style.width = v;
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function api(method, path, body) {
  const headers = { accept: "application/json" };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET") headers["x-csrf-token"] = csrf;
  let response;
  try {
    response = await fetch(`/api/v1/${path}`, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, t("unreachable"));
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, data.message ?? response.statusText);
  return data;
}

const pct = (part, whole) => (whole ? `${Math.round((part * 100) / whole)}%` : "—");
const satisfied = (r) => pct(r.satisfied + r.basic, r.satisfied + r.basic + r.dissatisfied);
const day = (iso) => (iso ? iso.slice(0, 10) : t("never"));
/** A stored time (UTC) as the reader's local date and minute. */
const minute = (iso) => {
  if (!iso) return t("never");
  const d = new Date(iso);
  const two = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
};

function applyText() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  byId("lang").textContent = lang === "en" ? "中文" : "English";
}

function showTab(tab) {
  for (const section of document.querySelectorAll("main > section")) section.hidden = section.id !== tab;
  for (const b of document.querySelectorAll("#tabs button")) b.removeAttribute("aria-current");
  button(tab)?.setAttribute("aria-current", "page");
  location.hash = tab;
  const load = { overview: loadOverview, summary: prepareSummary, oversight: loadOversight, stations: loadStations, audit: loadAudit, accounts: loadAccounts }[tab];
  load?.().catch(report);
}

const button = (tab) => document.querySelector(`#tabs button[data-tab="${tab}"]`);

function report(error) {
  if (error instanceof ApiError && error.status === 401) return showLogin();
  alert(error.message);
}

// Overview ----------------------------------------------------------------------------------------

async function loadOverview() {
  const query = drilled ? `?station=${encodeURIComponent(drilled)}` : "";
  const data = await api("GET", `overview${query}`);
  byId("overview-scope").textContent = drilled ?? t("whole_bureau");
  byId("overview-up").hidden = !drilled;
  const total = data.total;
  byId("overview-totals").replaceChildren(
    ...[
      ["households", total.households],
      ["coverage", pct(total.covered, total.households)],
      ["overdue", total.overdue],
      ["overdue_tasks", total.overdue_tasks],
      ["open_concerns", total.open_concerns],
      ["satisfaction", `${satisfied(total.satisfaction_this_month)} / ${satisfied(total.satisfaction_last_month)}`],
    ].map(([k, v]) => el("div", { class: "card" }, el("b", { text: String(v) }), t(k))),
  );
  const head = el("tr", {}, ...[drilled ? "beat" : "station", "households", "coverage", "overdue", "overdue_tasks", "open_concerns", "satisfaction"].map((k) => el("th", { text: t(k) })));
  const rows = data.rows.map((r) => {
    const name = drilled
      ? el("span", { text: r.name })
      : el("button", { class: "link", type: "button", text: r.name, onclick: () => { drilled = r.name; loadOverview().catch(report); } });
    return el(
      "tr",
      {},
      el("td", {}, name),
      ...[r.households, pct(r.covered, r.households), r.overdue, r.overdue_tasks, r.open_concerns,
        `${satisfied(r.satisfaction_this_month)} / ${satisfied(r.satisfaction_last_month)}`].map((v) => el("td", { class: "num", text: String(v) })),
    );
  });
  byId("overview-table").replaceChildren(head, ...rows);
  const most = Math.max(1, ...data.open_concerns_by_category.map((c) => c.open));
  byId("overview-categories").replaceChildren(
    ...data.open_concerns_by_category.map((c) =>
      el("div", { class: "bar" }, el("span", { text: vocab("category", c.category) }),
        el("span", {}, el("span", { class: "fill", width: `${(c.open * 100) / most}%` })),
        el("span", { class: "num", text: String(c.open) })),
    ),
  );
}

// Summary -----------------------------------------------------------------------------------------

async function prepareSummary() {
  const month = byId("summary-month");
  if (!month.value) month.value = new Date().toISOString().slice(0, 7);
  const stations = await api("GET", "stations");
  const select = byId("summary-station");
  const chosen = select.value;
  select.replaceChildren(el("option", { value: "", text: t("whole_bureau") }), ...stations.map((s) => el("option", { value: s.name, text: s.name })));
  select.value = chosen;
}

async function loadSummary() {
  const month = byId("summary-month").value;
  const station = byId("summary-station").value;
  const query = `month=${encodeURIComponent(month)}${station ? `&station=${encodeURIComponent(station)}` : ""}`;
  const s = await api("GET", `summary?${query}`);
  byId("summary-files").replaceChildren(
    t("download"),
    ...["pdf", "xlsx", "csv"].map((f) => el("a", { href: `/api/v1/summary?${query}&format=${f}&lang=${lang === "en" ? "en" : "zh-CN"}`, text: f.toUpperCase() })),
  );
  const figures = [
    ["visits", s.visits],
    ["households_visited", `${s.households_visited} / ${s.households}`],
    ["vulnerable_visited", `${s.vulnerable_visited} / ${s.vulnerable_households}`],
    ["feedback_given", s.feedback_given],
    ["median_days", s.median_days_to_close === null ? "—" : s.median_days_to_close.toFixed(1)],
  ];
  const concerns = el("table", {},
    el("tr", {}, ...["text", "raised", "closed"].map((k) => el("th", { text: t(k) }))),
    ...s.concerns.map((c) => el("tr", {}, el("td", { text: vocab("category", c.category) }), el("td", { class: "num", text: String(c.raised) }), el("td", { class: "num", text: String(c.closed) }))),
  );
  byId("summary-body").replaceChildren(
    el("div", { class: "cards" }, ...figures.map(([k, v]) => el("div", { class: "card" }, el("b", { text: String(v) }), t(k)))),
    concerns,
  );
}

// Look-up -----------------------------------------------------------------------------------------

async function lookUp(event) {
  event.preventDefault();
  byId("lookup-error").textContent = "";
  const kind = byId("lookup-kind").value;
  const body = { q: byId("lookup-q").value, reason: byId("lookup-reason").value };
  if (kind === "person" && byId("lookup-birth").value) body.birth_date = byId("lookup-birth").value;
  let answer;
  try {
    answer = await api("POST", `lookup/${kind}`, body);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return showLogin();
    byId("lookup-error").textContent = error.message;
    return;
  }
  const results = byId("lookup-results");
  if (answer.households.length === 0) return results.replaceChildren(el("p", { class: "muted", text: t("no_hits") }));
  results.replaceChildren(
    ...(answer.truncated ? [el("p", { class: "muted", text: t("more_hits") })] : []),
    ...answer.households.map((h) =>
      el("div", { class: "hit" },
        el("h3", { text: `${h.station} · ${h.beat} · ${h.address}` }),
        el("p", { text: `${t("last_visit")}: ${day(h.last_visit)}` }),
        el("p", { text: `${t("residents")}: ${h.residents.map((r) => `${r.name}${r.birth_date ? `（${r.birth_date}）` : ""} ${r.id_number}`).join("；")}` }),
        ...(h.open_concerns.length
          ? [el("ul", {}, ...h.open_concerns.map((c) => el("li", { text: `${day(c.raised_at)} ${vocab("category", c.category)} · ${vocab("concern_status", c.status)} · ${c.summary}` })))]
          : []),
      ),
    ),
  );
}

// Oversight ---------------------------------------------------------------------------------------

async function loadOversight() {
  const open = byId("oversight-open").checked;
  const items = await api("GET", `oversight/complaints${open ? "?open=true" : ""}`);
  const head = el("tr", {}, ...["station", "at", "text", "status", "responsible", "told", "flag"].map((k) => el("th", { text: t(k) })));
  const rows = items.map((c) => {
    const status = c.entity === "visit" ? `${t("noted")}（${c.areas.map((a) => vocab("inquiry", a)).join("、")}）` : vocab("concern_status", c.status);
    const flagCell = el("td", {});
    if (c.flag) {
      flagCell.append(el("span", { class: "flagged", text: `${t("flagged")}：${c.flag.reason}（${c.flag.task_id ? t("flag_applied") : t("flag_pending")}）` }));
    } else {
      flagCell.append(el("button", { type: "button", class: "link", text: t("flag"), "data-testid": `flag-${c.id}`, onclick: () => flag(c) }));
    }
    const text = el("td", { text: c.text });
    if (c.confidential) {
      text.append(el("span", { class: "muted", text: `（${t("confidential")}）` }));
      if (account.may_see_reporters)
        text.append(" ", el("button", { type: "button", class: "link", text: t("show_reporter"), onclick: () => showReporter(c, text) }));
    } else if (c.reporter) {
      text.append(el("div", { class: "muted", text: `${t("reporter")}：${c.reporter}` }));
    }
    return el("tr", {},
      el("td", { text: `${c.station} · ${c.beat}` }), el("td", { text: day(c.at) }), text, el("td", { text: status }),
      el("td", { text: c.responsible.join("、") || "—" }), el("td", { text: c.resident_told ? t("yes") : t("no") }), flagCell);
  });
  byId("oversight-table").replaceChildren(head, ...rows);
}

async function flag(c) {
  const reason = prompt(t("flag_reason"));
  if (!reason) return;
  try {
    await api("POST", "oversight/flags", { station: c.station, entity: c.entity, id: c.id, reason });
    await loadOversight();
  } catch (error) {
    byId("oversight-error").textContent = error.message;
  }
}

async function showReporter(c, cell) {
  const reason = prompt(t("reporter_reason"));
  if (!reason) return;
  try {
    const answer = await api("POST", "oversight/reporter", { station: c.station, concern_id: c.id, reason });
    cell.append(el("div", { class: "flagged", text: `${t("reporter")}：${answer.reporter_name}` }));
  } catch (error) {
    byId("oversight-error").textContent = error.message;
  }
}

// Stations and audit ------------------------------------------------------------------------------

async function loadStations() {
  const stations = await api("GET", "stations");
  const head = el("tr", {}, ...["station", "lag", "last_batch", "status"].map((k) => el("th", { text: t(k) })));
  byId("stations-table").replaceChildren(
    head,
    ...stations.map((s) => {
      const state = s.revoked ? el("span", { class: "silent", text: t("revoked") }) : s.silent ? el("span", { class: "silent", text: t("silent") }) : el("span", { text: "✓" });
      return el("tr", {}, el("td", { text: s.name }), el("td", { class: "num", text: String(s.lag) }), el("td", { text: minute(s.last_batch_at) }), el("td", {}, state));
    }),
  );
}

async function issueCode(event) {
  event.preventDefault();
  try {
    const code = await api("POST", "stations/codes", { station_name: byId("code-station").value });
    byId("code-result").textContent = `${t("code_issued")} ${code.code}`;
  } catch (error) {
    byId("code-result").textContent = error.message;
  }
}

async function loadAudit() {
  const entries = await api("GET", "audit?limit=300");
  byId("audit-table").replaceChildren(
    el("tr", {}, ...["at", "actor", "action", "target", "reason", "outcome"].map((k) => el("th", { text: t(k) }))),
    ...entries.map((e) => el("tr", {}, ...[minute(e.at), e.actor, e.action, e.target, e.reason, e.outcome].map((v) => el("td", { text: v })))),
  );
}

// Accounts ----------------------------------------------------------------------------------------

async function loadAccounts() {
  if (!has("admin")) return;
  const accounts = await api("GET", "accounts");
  const change = async (a, body, done) => {
    try {
      await api("POST", `accounts/${a.account_id}`, body);
      byId("account-result").textContent = done ?? "";
      await loadAccounts();
    } catch (error) {
      byId("account-result").textContent = error.message;
    }
  };
  const actions = (a) => {
    const cell = el("td");
    // Never one's own account's active switch: the bureau refuses it anyway.
    if (a.account_id !== account.account_id)
      cell.append(
        el("button", {
          type: "button",
          text: t(a.active ? "deactivate" : "activate"),
          onclick: () => (a.active ? confirm(t("deactivate_confirm")) : true) && change(a, { active: !a.active }),
        }),
      );
    cell.append(
      el("button", {
        type: "button",
        text: t("set_password"),
        onclick: () => {
          const password = prompt(t("set_password_prompt"));
          if (password) change(a, { password }, `${t("password_set")} ${a.username}`);
        },
      }),
    );
    return cell;
  };
  byId("accounts-table").replaceChildren(
    el("tr", {}, ...["username", "display_name", "roles", "may_see_reporters", "active", ""].map((k) => el("th", { text: k ? t(k) : "" }))),
    ...accounts.map((a) =>
      el(
        "tr",
        { class: a.active ? "" : "muted" },
        el("td", { text: a.username }),
        el("td", { text: a.display_name }),
        el("td", { text: a.roles.map((r) => t(`role_${r}`)).join("、") }),
        el("td", { text: t(a.may_see_reporters ? "yes" : "no") }),
        el("td", { text: t(a.active ? "yes" : "no") }),
        actions(a),
      ),
    ),
  );
}

async function createAccount(event) {
  event.preventDefault();
  try {
    const made = await api("POST", "accounts", {
      username: byId("account-username").value,
      display_name: byId("account-name").value,
      roles: [byId("account-role").value],
      may_see_reporters: byId("account-reporters").checked,
      password: byId("account-password").value,
    });
    byId("account-form").reset();
    byId("account-result").textContent = `${t("account_created")} ${made.username}`;
    await loadAccounts();
  } catch (error) {
    byId("account-result").textContent = error.message;
  }
}

async function changeOwnPassword(event) {
  event.preventDefault();
  try {
    await api("POST", "session/password", { current: byId("own-current").value, new: byId("own-new").value });
    byId("own-password-form").reset();
    byId("own-password-result").textContent = t("password_changed");
  } catch (error) {
    // The form asks for ten characters before sending, so a 400 is the current password.
    byId("own-password-result").textContent = error.status === 400 ? t("current_password_wrong") : error.message;
  }
}

// Signing in --------------------------------------------------------------------------------------

function showLogin() {
  account = null;
  byId("tabs").hidden = true;
  byId("signout").hidden = true;
  byId("who").textContent = "";
  for (const section of document.querySelectorAll("main > section")) section.hidden = true;
  byId("login").hidden = false;
}

function signedIn(session) {
  account = session.account;
  csrf = session.csrf;
  byId("bureau-name").textContent = session.bureau;
  byId("login").hidden = true;
  byId("tabs").hidden = false;
  byId("signout").hidden = false;
  byId("who").textContent = account.display_name;
  for (const node of document.querySelectorAll("[data-role]"))
    node.hidden = !node.dataset.role.split(" ").some((role) => has(role));
  const wanted = location.hash.slice(1);
  showTab(button(wanted) && !button(wanted).hidden ? wanted : "overview");
}

async function start() {
  applyText();
  vocabulary = await api("GET", "vocabulary").catch(() => ({}));
  byId("lang").addEventListener("click", () => {
    lang = lang === "en" ? "zh-CN" : "en";
    localStorage.setItem("doorstep-bureau-lang", lang);
    applyText();
    if (account) showTab(location.hash.slice(1) || "overview");
  });
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  byId("overview-up").addEventListener("click", () => { drilled = null; loadOverview().catch(report); });
  byId("summary-form").addEventListener("submit", (e) => { e.preventDefault(); loadSummary().catch(report); });
  byId("lookup-form").addEventListener("submit", lookUp);
  byId("lookup-kind").addEventListener("change", () => { byId("lookup-birth").disabled = byId("lookup-kind").value !== "person"; });
  byId("oversight-open").addEventListener("change", () => loadOversight().catch(report));
  byId("code-form").addEventListener("submit", issueCode);
  byId("account-form").addEventListener("submit", createAccount);
  byId("own-password-form").addEventListener("submit", changeOwnPassword);
  byId("signout").addEventListener("click", async () => {
    await api("DELETE", "session").catch(() => undefined);
    showLogin();
  });
  byId("login").addEventListener("submit", async (event) => {
    event.preventDefault();
    byId("login-error").textContent = "";
    try {
      signedIn(await api("POST", "session", { username: byId("username").value, password: byId("password").value }));
    } catch (error) {
      byId("login-error").textContent = error.status === 401 ? t("wrong_password") : error.message;
    }
  });
  try {
    signedIn(await api("GET", "session"));
  } catch {
    showLogin();
  }
}

start();
