// Every string exists in both languages, and messages read as officers expect.
import { describe, expect, it } from "vitest";
import i18n, { errorMessage, formatDate, setLang } from "./i18n";
import en from "./locales/en";
import zhCN from "./locales/zh-CN";

function keys(o: object, prefix = ""): string[] {
  return Object.entries(o).flatMap(([k, v]) => (typeof v === "object" ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

describe("i18n", () => {
  it("has the same keys in zh-CN and English, none empty", () => {
    expect(keys(en).sort()).toEqual(keys(zhCN).sort());
    for (const k of keys(zhCN)) expect(i18n.t(k, { lng: "zh-CN" })).not.toBe("");
  });

  it("defaults to Chinese and formats dates the Chinese way", () => {
    expect(i18n.language).toBe("zh-CN");
    expect(formatDate("2024-03-05")).toBe("2024年3月5日");
  });

  it("turns field errors and import errors into sentences", () => {
    expect(errorMessage({ kind: "invalid", errors: [{ field: "notes", code: "too_long", limit: 10000 }] })).toBe(
      "备注太长，最多 10000 个字",
    );
    expect(
      errorMessage({ kind: "import", error: { reason: "missing_columns", fields: ["address", "name"] } }),
    ).toContain("地址、姓名");
    setLang("en");
    expect(errorMessage({ kind: "locked" })).toMatch(/in use by another program/);
    setLang("zh-CN");
  });
});
