// Strings and dates in the officer's language: zh-CN by default, English as the second language.
// The choice is remembered on this laptop.
import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import en from "./locales/en";
import zhCN from "./locales/zh-CN";
import type { Failure } from "./api";
import type { FieldError } from "./bindings/FieldError";

export type Lang = "zh-CN" | "en";
const STORAGE_KEY = "doorstep.lang";

function savedLang(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === "en" ? "en" : "zh-CN";
  } catch {
    return "zh-CN";
  }
}

void i18n.use(initReactI18next).init({
  resources: { "zh-CN": { translation: zhCN }, en: { translation: en } },
  lng: savedLang(),
  fallbackLng: "zh-CN",
  interpolation: { escapeValue: false },
});

export function setLang(lang: Lang) {
  void i18n.changeLanguage(lang);
  document.documentElement.lang = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    /* private mode: the choice lasts for this session only */
  }
}

export function currentLang(): Lang {
  return i18n.language === "en" ? "en" : "zh-CN";
}

/** 2024年3月5日 in Chinese, 5 Mar 2024 in English. Accepts `YYYY-MM-DD` or an RFC 3339 time. */
export function formatDate(value: string | null | undefined): string {
  if (!value) return "";
  const date = value.length === 10 ? new Date(`${value}T00:00:00`) : new Date(value);
  return new Intl.DateTimeFormat(currentLang(), { year: "numeric", month: "long", day: "numeric" }).format(date);
}

export function formatDateTime(value: string | null | undefined): string {
  if (!value) return "";
  return new Intl.DateTimeFormat(currentLang(), { dateStyle: "medium", timeStyle: "short" }).format(new Date(value));
}

export function formatTime(value: Date): string {
  return new Intl.DateTimeFormat(currentLang(), { hour: "2-digit", minute: "2-digit", second: "2-digit" }).format(
    value,
  );
}

/** One field's problem as a sentence. The field may carry a prefix (`concerns.0.summary`). */
export function fieldMessage(e: FieldError): string {
  const name = e.field.split(".").pop() ?? e.field;
  const field = i18n.exists(`fields.${name}`)
    ? i18n.t(`fields.${name}`)
    : i18n.exists(`import.fields.${name}`)
      ? i18n.t(`import.fields.${name}`)
      : name;
  return i18n.t(`errors.${e.code}`, { field, limit: e.limit ?? undefined });
}

/** What went wrong, in the officer's language, with what to do about it. */
export function errorMessage(report: Failure): string {
  switch (report.kind) {
    case "unreachable":
      return i18n.t("errors.sync.unreachable", { url: report.url });
    case "refused":
      return i18n.t("errors.sync.refused", { message: report.message });
    case "not_enrolled":
      return i18n.t("errors.sync.not_enrolled");
    case "wrong_passphrase":
      return i18n.t("errors.wrong_passphrase", { left: report.left });
    case "locked_out":
      return i18n.t("errors.locked_out", { minutes: Math.ceil(report.seconds / 60) });
    case "protocol":
      return i18n.t("errors.sync.protocol", { message: report.message });
    case "bundle":
      return i18n.t(`errors.bundle.${report.reason}`, { message: report.message, defaultValue: report.message });
    case "store":
      return errorMessage(report.report);
    case "invalid":
      return report.errors.map(fieldMessage).join("；");
    case "import": {
      const e = report.error;
      const fields =
        e.reason === "missing_columns" ? e.fields.map((f) => i18n.t(`import.fields.${f}`)).join("、") : undefined;
      return i18n.t(`errors.import.${e.reason}`, { ...e, fields });
    }
    case "photo": {
      const e = report.error;
      return i18n.t(`errors.photo.${e.reason}`, { ...e });
    }
    case "cannot_save":
      return i18n.t("errors.cannot_save", { path: report.path, detail: report.detail });
    default:
      return i18n.t(`errors.${report.kind}`);
  }
}

export default i18n;
