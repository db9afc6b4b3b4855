// The administrator's pages: accounts (create, roles and beats, deactivate, one-time enrolment codes
// for officers' laptops), revoking a lost laptop, and the audit trail (filter, export) that staff,
// the chief and administrators read. Every text is set as text, never as markup.

import { api, type Query } from "./api";
import type { Account } from "./bindings/Account";
import type { DeviceView } from "./bindings/DeviceView";
import type { Role } from "./bindings/Role";
import { byId, el, inside, messageOf } from "./dom";
import { lang, t } from "./i18n";

const ROLES: Role[] = ["officer", "staff", "chief", "admin"];
/** What the trail's actions are called in Chinese (English readers see the codes). */
const ACTIONS: Record<string, string> = {
  sign_in: "登录",
  sign_out: "退出",
  account_created: "新建账号",
  account_changed: "修改账号",
  enrollment_code_issued: "发放登记码",
  enroll: "登记笔记本",
  device_revoked: "注销设备",
  device_revoked_wipe: "注销并清除设备",
  read_confidential: "查看保密问题",
  change: "数据变更",
  resolve_conflict: "处理冲突",
  merge_duplicate: "合并重复",
  undo_merge: "撤销合并",
  assign_task: "分派任务",
  audit_export: "导出审计记录",
};
const fill = (template: string, value: string) => template.replace("{0}", value);

/** The accounts table and the form for a new one. */
export async function renderAccounts(root: HTMLElement): Promise<void> {
  const error = el("p", { class: "error", role: "alert" });
  const output = el("p", { class: "code", "data-code": "" });
  const reload = () => renderAccounts(root);
  let accounts: Account[] = [];
  try {
    accounts = await api.accounts();
  } catch (e) {
    error.textContent = messageOf(e);
  }
  const table = el("table", { id: "accounts-table" });
  table.append(
    el(
      "tr",
      {},
      ...["username", "displayName", "roles", "beats", "active", ""].map((k) => el("th", { text: k ? t(k) : "" })),
    ),
  );
  for (const a of accounts) {
    const actions = el("td");
    if (a.roles.includes("officer") && a.active) {
      const code = el("button", { type: "button", text: t("code") });
      code.addEventListener("click", async () => {
        try {
          const issued = await api.enrollmentCode(a.id);
          output.replaceChildren(fill(t("codeFor"), a.display_name), " ", el("strong", { text: issued.code }));
        } catch (e) {
          error.textContent = messageOf(e);
        }
      });
      actions.append(code);
    }
    const toggle = el("button", { type: "button", text: a.active ? t("deactivate") : t("activate") });
    const update = { display_name: null, roles: null, beats: null, active: !a.active, password: null };
    toggle.addEventListener("click", () =>
      api.updateAccount(a.id, update).then(reload, (e: unknown) => (error.textContent = messageOf(e))),
    );
    actions.append(toggle);
    table.append(
      el(
        "tr",
        { "data-account": a.username },
        el("td", { text: a.username }),
        el("td", { text: a.display_name }),
        el("td", { text: a.roles.map((r) => t(`role_${r}`)).join("、") }),
        el("td", { text: a.beats.join("、") }),
        el("td", { text: a.active ? t("active") : t("inactive") }),
        actions,
      ),
    );
  }

  const input = (name: string, attrs: Record<string, string> = {}) =>
    el("input", { name, "aria-label": t(name), ...attrs });
  const form = el(
    "form",
    { class: "card grid", id: "new-account" },
    el("h3", { text: t("create") }),
    el("label", {}, t("username"), input("username", { required: "", autocomplete: "off" })),
    el("label", {}, t("displayName"), input("displayName", { required: "" })),
    el(
      "fieldset",
      {},
      el("legend", { text: t("roles") }),
      ...ROLES.map((r) => el("label", {}, el("input", { type: "checkbox", name: "role", value: r }), t(`role_${r}`))),
    ),
    el("label", {}, t("beats"), input("beats", { placeholder: "幸福社区、和平社区" })),
    el(
      "label",
      {},
      t("password"),
      input("password", { type: "password", required: "", minlength: "10", autocomplete: "new-password" }),
    ),
    el("button", { type: "submit", class: "primary", text: t("create") }),
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const account = {
      username: String(data.get("username")).trim(),
      display_name: String(data.get("displayName")).trim(),
      roles: data.getAll("role").map(String) as Role[],
      beats: String(data.get("beats"))
        .split(/[、,，\s]+/)
        .filter(Boolean),
      password: String(data.get("password")),
    };
    try {
      await api.createAccount(account);
      await reload();
    } catch (err) {
      error.textContent = messageOf(err);
    }
  });
  root.replaceChildren(table, output, error, form);
}

/** Revoke buttons for a laptop (administrators only), or what became of it. */
export function revokeButtons(device: DeviceView, admin: boolean, reload: () => Promise<void>): HTMLElement[] {
  if (device.revoked_at) {
    const state = device.wiped_at ? t("wiped") : device.wipe ? t("wipePending") : t("revoked");
    return [el("span", { class: "muted", text: `${state} ${device.revoked_at.slice(0, 16).replace("T", " ")}` })];
  }
  if (!admin) return [];
  const button = (text: string, wipe: boolean, question: string) => {
    const b = el("button", { type: "button", text, "data-revoke": wipe ? "wipe" : "revoke" });
    b.addEventListener("click", async () => {
      if (!window.confirm(question)) return;
      try {
        await api.revoke(device.device_id, wipe);
        await reload();
      } catch (e) {
        byId("devices-error").textContent = messageOf(e);
      }
    });
    return b;
  };
  return [button(t("revoke"), false, t("confirmRevoke")), button(t("revokeWipe"), true, t("confirmWipe"))];
}

/** The audit trail with its filter and a CSV export of what the filter selects. */
export async function renderAudit(root: HTMLElement): Promise<void> {
  if (!root.firstChild) {
    const field = (name: string, attrs: Record<string, string> = {}) =>
      el("label", {}, t(name), el("input", { name, ...attrs }));
    const source = el(
      "select",
      { name: "source" },
      el("option", { value: "", text: t("all") }),
      ...["security", "staff", "change"].map((s) => el("option", { value: s, text: t(`src_${s}`) })),
    );
    const form = el(
      "form",
      { class: "actions", id: "audit-filter" },
      field("from", { type: "date" }),
      field("to", { type: "date" }),
      field("actor"),
      el("label", {}, t("source"), source),
      el("button", { type: "submit", class: "primary", text: t("filter") }),
      el("button", { type: "button", "data-audit-export": "", text: t("exportCsv") }),
    );
    root.replaceChildren(form, el("p", { class: "error", role: "alert" }), el("table", { id: "audit-table" }));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void renderAudit(root);
    });
    inside(form, "[data-audit-export]").addEventListener("click", () =>
      api
        .download("audit/export", filterOf(form), "audit.csv")
        .catch((e: unknown) => (inside(root, ".error").textContent = messageOf(e))),
    );
  }
  const form = inside<HTMLFormElement>(root, "form");
  const error = inside(root, ".error");
  const table = inside(root, "table");
  try {
    const entries = await api.audit(filterOf(form));
    table.replaceChildren(
      el(
        "tr",
        {},
        ...["at", "source", "actor", "action", "target", "outcome", "detail"].map((k) => el("th", { text: t(k) })),
      ),
    );
    for (const e of entries) {
      table.append(
        el(
          "tr",
          { class: e.outcome === "refused" ? "refused" : "" },
          el("td", { text: e.at.slice(0, 19).replace("T", " ") }),
          el("td", { text: t(`src_${e.source}`) }),
          el("td", { text: e.actor }),
          el("td", { text: (lang() === "zh-CN" && ACTIONS[e.action]) || e.action }),
          el("td", { text: e.target }),
          el("td", { text: e.outcome }),
          el("td", { text: e.detail }),
        ),
      );
    }
    error.textContent = "";
  } catch (e) {
    error.textContent = messageOf(e);
  }
}

function filterOf(form: HTMLFormElement): Query {
  const data = new FormData(form);
  return Object.fromEntries([...data.entries()].map(([k, v]) => [k, String(v)]).filter(([, v]) => v.trim() !== ""));
}
