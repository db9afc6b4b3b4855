// The station's morning overview: station totals, a row per beat and per officer, and charts —
// coverage over twelve weeks, open concerns by category, closure times, satisfaction this month
// against last. Every number is a button that lists the records behind it (the worklist below).
// Drawn as plain DOM, the charts by ECharts (./charts); the monthly summary on screen too.

import type { MonthlySummary } from "./bindings/MonthlySummary";
import type { Overview } from "./bindings/Overview";
import type { Worklist } from "./bindings/Worklist";
import type { WorklistItem } from "./bindings/WorklistItem";
import { api, type Query } from "./api";
import type { PhotoView } from "./bindings/PhotoView";
import { bars, disposeCharts } from "./charts";
import { el, type Child } from "./dom";
import { lang, vocab, type Lang } from "./i18n";

const TEXT: Record<Lang, Record<string, string>> = {
  "zh-CN": {
    overview: "概览",
    asOf: "截至",
    station: "全所",
    coverage: "走访覆盖率",
    overdue: "逾期未访",
    over30: "超30天",
    over90: "超90天",
    visitsWeek: "本周走访",
    visitsMonth: "本月走访",
    openConcerns: "未办结问题",
    awaiting: "待反馈群众",
    tasksOverdue: "逾期任务",
    beat: "责任区",
    households: "户数",
    officer: "民警",
    tasksOpen: "在办任务",
    byBeat: "各责任区",
    byOfficer: "各民警",
    coverageHistory: "覆盖率（近12周）",
    concernsByCategory: "未办结问题（按类别）",
    closureDays: "办结用时（近90天，天）",
    satisfaction: "开门评警满意度",
    thisMonth: "本月",
    lastMonth: "上月",
    list: "明细",
    close: "关闭",
    address: "地址",
    text: "内容",
    detail: "类别/责任人",
    date: "日期",
    days: "逾期天数",
    nothing: "没有记录。",
    photos: "照片",
    noPhotos: "没有照片。",
    photoPending: "照片待上传（民警电脑联网后自动上传）",
    photoWithheld: "保密问题的照片，仅所长和记录民警可见",
    noData: "暂无数据",
    noHouseholds: "还没有住户：民警同步后这里会显示各责任区的情况。",
    overdue_households: "逾期未访住户",
    overdue_tasks: "逾期任务",
    open_concerns: "未办结问题",
    awaiting_feedback: "待反馈群众",
    visits_this_week: "本周走访",
    visits_this_month: "本月走访",
    visits: "走访次数",
    byPurpose: "按走访目的",
    householdsVisited: "走访住户",
    vulnerableVisited: "困难群体住户走访",
    concerns: "群众反映问题",
    category: "类别",
    raised: "新增",
    closed: "办结",
    median: "办结用时中位数（天）",
    feedback: "已向群众反馈",
    opinions: "群众意见建议（按五访分类）",
    ratings: "开门评警",
  },
  en: {
    overview: "Overview",
    asOf: "as of",
    station: "Station",
    coverage: "Coverage",
    overdue: "Overdue",
    over30: "over 30 days",
    over90: "over 90 days",
    visitsWeek: "Visits this week",
    visitsMonth: "Visits this month",
    openConcerns: "Open concerns",
    awaiting: "Awaiting feedback",
    tasksOverdue: "Overdue tasks",
    beat: "Beat",
    households: "Households",
    officer: "Officer",
    tasksOpen: "Open tasks",
    byBeat: "By beat",
    byOfficer: "By officer",
    coverageHistory: "Coverage (last 12 weeks)",
    concernsByCategory: "Open concerns by category",
    closureDays: "Days to close (last 90 days)",
    satisfaction: "Satisfaction",
    thisMonth: "This month",
    lastMonth: "Last month",
    list: "Records",
    close: "Close",
    address: "Address",
    text: "What",
    detail: "Category / assignee",
    date: "Date",
    days: "Days overdue",
    nothing: "No records.",
    photos: "Photos",
    noPhotos: "No photos.",
    photoPending: "Photo still to arrive (sent when the officer's laptop is in reach)",
    photoWithheld: "Photo of a confidential concern: for the chief and the recording officer only",
    noData: "No data yet",
    noHouseholds: "No households yet: they appear here once officers sync.",
    overdue_households: "Overdue households",
    overdue_tasks: "Overdue tasks",
    open_concerns: "Open concerns",
    awaiting_feedback: "Awaiting feedback",
    visits_this_week: "Visits this week",
    visits_this_month: "Visits this month",
    visits: "Visits",
    byPurpose: "By purpose",
    householdsVisited: "Households visited",
    vulnerableVisited: "Vulnerable households visited",
    concerns: "Residents' concerns",
    category: "Category",
    raised: "Raised",
    closed: "Closed",
    median: "Median days to close",
    feedback: "Residents told the result",
    opinions: "Opinions by inquiry area",
    ratings: "Satisfaction",
  },
};

const t = (k: string): string => TEXT[lang()][k] ?? k;
const percent = (part: number, whole: number) => (whole ? Math.round((part * 100) / whole) : 0);

/** Opens the records behind a number, titled. */
export type OpenList = (list: Worklist, filter: Query, title: string) => void;

export function renderOverview(root: HTMLElement, data: Overview, openList: OpenList) {
  disposeCharts();
  // A number that opens the records behind it.
  const number = (value: number, list: Worklist, filter: Query = {}, title = t(list)) => {
    const b = el("button", { type: "button", class: "number", text: String(value), "data-list": list });
    b.addEventListener("click", () => openList(list, filter, title));
    return b;
  };
  type Figure =
    | "households"
    | "covered"
    | "overdue"
    | "overdue_over_30"
    | "overdue_over_90"
    | "visits_this_week"
    | "visits_this_month"
    | "open_concerns"
    | "awaiting_feedback"
    | "tasks_overdue";
  const sum = (key: Figure) => data.beats.reduce((n, b) => n + Number(b[key]), 0);
  const households = sum("households");
  const covered = sum("covered");

  const cards: [string, Child, string][] = [
    [
      t("coverage"),
      el("span", { class: "big", text: households ? `${percent(covered, households)}%` : "—" }),
      `${covered} / ${households}`,
    ],
    [
      t("overdue"),
      number(sum("overdue"), "overdue_households"),
      `${t("over30")} ${sum("overdue_over_30")} · ${t("over90")} ${sum("overdue_over_90")}`,
    ],
    [
      t("visitsWeek"),
      number(sum("visits_this_week"), "visits_this_week"),
      `${t("visitsMonth")} ${sum("visits_this_month")}`,
    ],
    [t("openConcerns"), number(sum("open_concerns"), "open_concerns"), ""],
    [t("awaiting"), number(sum("awaiting_feedback"), "awaiting_feedback"), ""],
    [t("tasksOverdue"), number(sum("tasks_overdue"), "overdue_tasks"), ""],
  ];
  const summary = el("div", { class: "cards" });
  for (const [name, value, detail] of cards) {
    summary.append(
      el(
        "div",
        { class: "stat" },
        el("div", { class: "muted", text: name }),
        value,
        el("div", { class: "muted small", text: detail }),
      ),
    );
  }

  const beatTable = el("table", { "data-table": "beats" });
  beatTable.append(
    el(
      "tr",
      {},
      ...[
        "beat",
        "households",
        "coverage",
        "overdue",
        "visitsWeek",
        "visitsMonth",
        "openConcerns",
        "awaiting",
        "tasksOverdue",
      ].map((k) => el("th", { text: t(k) })),
    ),
  );
  for (const b of data.beats) {
    const share = percent(b.covered, b.households);
    // Width through the CSSOM: the page's security policy refuses inline style attributes.
    const fill = el("span");
    fill.style.width = `${share}%`;
    const meter = el("span", { class: "meter" }, fill);
    const beat = { beat: b.beat };
    beatTable.append(
      el(
        "tr",
        { "data-beat": b.beat },
        el("td", { text: b.beat }),
        el("td", { text: String(b.households) }),
        el("td", {}, meter, el("span", { text: ` ${share}%` })),
        el(
          "td",
          {},
          number(b.overdue, "overdue_households", beat, `${b.beat} · ${t("overdue_households")}`),
          el("span", { class: "muted small", text: ` (${b.overdue_over_30} / ${b.overdue_over_90})` }),
        ),
        el("td", {}, number(b.visits_this_week, "visits_this_week", beat, `${b.beat} · ${t("visits_this_week")}`)),
        el("td", {}, number(b.visits_this_month, "visits_this_month", beat, `${b.beat} · ${t("visits_this_month")}`)),
        el("td", {}, number(b.open_concerns, "open_concerns", beat, `${b.beat} · ${t("open_concerns")}`)),
        el("td", {}, number(b.awaiting_feedback, "awaiting_feedback", beat, `${b.beat} · ${t("awaiting_feedback")}`)),
        el("td", {}, number(b.tasks_overdue, "overdue_tasks", beat, `${b.beat} · ${t("overdue_tasks")}`)),
      ),
    );
  }

  const officerTable = el("table", { "data-table": "officers" });
  officerTable.append(
    el(
      "tr",
      {},
      ...["officer", "coverage", "visitsWeek", "visitsMonth", "tasksOpen", "tasksOverdue"].map((k) =>
        el("th", { text: t(k) }),
      ),
    ),
  );
  for (const o of data.officers) {
    const coverage = o.households ? `${percent(o.covered, o.households)}% (${o.covered} / ${o.households})` : "—";
    const officer = { officer: o.officer };
    officerTable.append(
      el(
        "tr",
        { "data-officer": o.officer },
        el("td", { text: o.officer }),
        el("td", { text: coverage }),
        el(
          "td",
          {},
          number(o.visits_this_week, "visits_this_week", officer, `${o.officer} · ${t("visits_this_week")}`),
        ),
        el(
          "td",
          {},
          number(o.visits_this_month, "visits_this_month", officer, `${o.officer} · ${t("visits_this_month")}`),
        ),
        el("td", { text: String(o.tasks_open) }),
        el("td", {}, number(o.tasks_overdue, "overdue_tasks", officer, `${o.officer} · ${t("overdue_tasks")}`)),
      ),
    );
  }

  const byCategory = new Map<string, number>();
  for (const c of data.open_concerns) byCategory.set(c.category, (byCategory.get(c.category) ?? 0) + c.count);
  const chart = (title: string, node: Child, empty: boolean) =>
    el(
      "figure",
      { class: "card" },
      el("figcaption", { text: title }),
      empty ? el("p", { class: "muted", text: t("noData") }) : node,
    );
  const history: [string, number][] = data.coverage_history.map((p) => [
    p.date.slice(5),
    percent(p.covered, p.households),
  ]);
  const ratings = ["satisfied", "basic", "dissatisfied"].map(
    (r) => data.satisfaction.find((s) => s.rating === r) ?? { rating: r, this_month: 0, last_month: 0 },
  );
  const satisfaction = el(
    "table",
    { "data-table": "satisfaction" },
    el("tr", {}, el("th"), el("th", { text: t("thisMonth") }), el("th", { text: t("lastMonth") })),
    ...ratings.map((r) =>
      el(
        "tr",
        {},
        el("td", { text: vocab("rating", r.rating) }),
        el("td", { text: String(r.this_month) }),
        el("td", { text: String(r.last_month) }),
      ),
    ),
  );
  const charts = el(
    "div",
    { class: "charts" },
    chart(
      t("coverageHistory"),
      bars(history, { max: 100, suffix: "%", label: t("coverageHistory") }),
      history.every(([, v]) => v === 0) && households === 0,
    ),
    chart(
      t("concernsByCategory"),
      bars(
        [...byCategory].map(([c, n]) => [vocab("category", c), n]),
        { label: t("concernsByCategory") },
      ),
      byCategory.size === 0,
    ),
    chart(
      t("closureDays"),
      bars(
        data.closure_days.map((b) => [String(b.days), b.count]),
        { label: t("closureDays") },
      ),
      data.closure_days.every((b) => b.count === 0),
    ),
    chart(t("satisfaction"), satisfaction, false),
  );

  const empty = data.beats.length
    ? []
    : [el("p", { class: "muted", "data-empty": "overview", text: t("noHouseholds") })];
  root.replaceChildren(
    el("h1", { text: `${t("overview")} · ${t("asOf")} ${data.date}` }),
    ...empty,
    summary,
    el("h2", { text: t("byBeat") }),
    beatTable,
    charts,
    el("h2", { text: t("byOfficer") }),
    officerTable,
  );
}

/** A worklist's detail word (a concern's category, a visit's purpose, a household's tag) as people
 * read it. */
const detailWord = (w: string) =>
  (["category", "purpose", "tag"] as const).map((g) => vocab(g, w)).find((label) => label !== w) ?? w;

/** A photo as staff see it: its thumbnail (opening the whole photo), or why it is not shown. */
function photoTile(p: PhotoView): HTMLElement {
  const caption = el("figcaption", { text: p.caption });
  if (p.withheld)
    return el("figure", { class: "photo", "data-photo": "withheld" }, el("span", { text: t("photoWithheld") }));
  if (p.pending)
    return el("figure", { class: "photo", "data-photo": "pending" }, el("span", { text: t("photoPending") }), caption);
  const img = el("img", { src: `/api/v1/photos/${p.id}/thumb`, alt: p.caption || p.taken_at, loading: "lazy" });
  const open = el("a", { href: `/api/v1/photos/${p.id}/full`, target: "_blank", rel: "noopener" }, img);
  return el("figure", { class: "photo", "data-photo": "shown" }, open, caption);
}

/** A row under a worklist's row with that record's photos, loaded when asked for. */
async function showPhotos(row: HTMLTableRowElement, item: WorklistItem) {
  const next = row.nextElementSibling;
  if (next?.classList.contains("photos-row")) return void next.remove();
  const cell = el("td", { colspan: "7", text: "…" });
  row.after(el("tr", { class: "photos-row" }, cell));
  try {
    const photos = await api.photos(item.entity, item.id);
    cell.replaceChildren(
      photos.length
        ? el("div", { class: "photos" }, ...photos.map(photoTile))
        : el("span", { class: "muted", text: t("noPhotos") }),
    );
  } catch (e) {
    cell.textContent = e instanceof Error ? e.message : String(e);
  }
}

/** The records behind a number. */
export function renderWorklist(root: HTMLElement, title: string, items: WorklistItem[]) {
  const close = el("button", { type: "button", text: t("close") });
  close.addEventListener("click", () => (root.hidden = true));
  const table = el("table", { "data-table": "worklist" });
  table.append(
    el(
      "tr",
      {},
      ...["beat", "address", "text", "detail", "date", "days", ""].map((k) => el("th", { text: k ? t(k) : "" })),
    ),
  );
  for (const i of items) {
    const photos = el("td", {});
    const row = el(
      "tr",
      {},
      el("td", { text: i.beat }),
      el("td", { text: i.address }),
      el("td", { text: i.text }),
      el("td", { text: i.detail.split(",").map(detailWord).join("、") }),
      el("td", { text: i.date }),
      el("td", { text: i.days == null ? "" : String(i.days) }),
      photos,
    );
    if (i.entity === "household" || i.entity === "concern") {
      const button = el("button", { type: "button", text: t("photos"), "data-photos": i.id });
      button.addEventListener("click", () => void showPhotos(row, i));
      photos.append(button);
    }
    table.append(row);
  }
  root.replaceChildren(
    el("div", { class: "actions" }, el("h2", { text: `${title} (${items.length})` }), close),
    items.length ? table : el("p", { class: "muted", text: t("nothing") }),
  );
  root.hidden = false;
  root.scrollIntoView({ block: "start" });
}

/** The monthly summary on screen: the same sections as the PDF. */
export function renderSummary(root: HTMLElement, s: MonthlySummary) {
  const table = (name: string, head: string[] | null, rows: (string | number)[][]) =>
    el(
      "table",
      { "data-table": name },
      ...(head ? [el("tr", {}, ...head.map((h) => el("th", { text: h })))] : []),
      ...rows.map((r) => el("tr", {}, ...r.map((c) => el("td", { text: String(c) })))),
    );
  const share = (a: number, b: number) => `${a} / ${b} (${percent(a, b)}%)`;
  const rated = s.satisfaction.reduce((n, r) => n + r.count, 0);
  root.replaceChildren(
    el("h2", { text: `${s.beat ?? t("station")} · ${s.month}` }),
    table("summary-visits", null, [
      [t("visits"), s.visits],
      ...s.visits_by_purpose.map((p) => [vocab("purpose", p.key), p.count]),
      [t("householdsVisited"), share(s.households_visited, s.households)],
      [t("vulnerableVisited"), share(s.vulnerable_visited, s.vulnerable_households)],
    ]),
    el("h2", { text: t("concerns") }),
    table(
      "summary-concerns",
      [t("category"), t("raised"), t("closed")],
      s.concerns.map((c) => [vocab("category", c.category), c.raised, c.closed]),
    ),
    table("summary-closing", null, [
      [t("median"), s.median_days_to_close == null ? "—" : s.median_days_to_close.toFixed(1)],
      [t("feedback"), s.feedback_given],
    ]),
    el("h2", { text: t("ratings") }),
    table(
      "summary-ratings",
      null,
      s.satisfaction.map((r) => [vocab("rating", r.key), r.count, `${percent(r.count, rated)}%`]),
    ),
    el("h2", { text: t("opinions") }),
    s.opinions.length
      ? el(
          "div",
          {},
          ...s.opinions.map((o) =>
            el(
              "div",
              { class: "card" },
              el("strong", { text: `${vocab("inquiry", o.area)} (${o.count})` }),
              el("ul", {}, ...o.quoted.map((q) => el("li", { text: q }))),
            ),
          ),
        )
      : el("p", { class: "muted", text: t("nothing") }),
  );
}
