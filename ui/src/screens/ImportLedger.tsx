// Importing a station ledger: pick a file, check the column mapping against a preview (the header
// row found below any title), run a check (nothing saved) to see what would be rejected and what
// imported with values to check, then import.
import { useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api";
import type { Failure } from "../api";
import type { ImportReport } from "../bindings/ImportReport";
import type { LedgerField } from "../bindings/LedgerField";
import type { Preview } from "../bindings/Preview";
import { ErrorNote } from "../components/ErrorNote";
import { toReport } from "../hooks";
import { fieldMessage } from "../i18n";

const FIELDS: LedgerField[] = [
  "address",
  "beat",
  "household_kind",
  "household_tags",
  "contact_phone",
  "name",
  "sex",
  "birth_date",
  "phone",
  "id_number",
  "relation",
  "resident_tags",
];

/** The rows not imported or imported with values to check, in the sheet's order. */
function reportRows(report: ImportReport) {
  return [
    ...report.rejected.map((r) => ({ ...r, rejected: true })),
    ...report.warnings.map((r) => ({ ...r, rejected: false })),
  ].sort((a, b) => a.row - b.row);
}

export function ImportLedger({ defaultBeat }: { defaultBeat: string }) {
  const { t } = useTranslation();
  const [file, setFile] = useState<{ name: string; bytes: number[] } | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [mapping, setMapping] = useState<Preview["suggested"]>({});
  const [beat, setBeat] = useState(defaultBeat);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [error, setError] = useState<Failure | null>(null);
  const [savedTo, setSavedTo] = useState<string | null>(null);

  // The same rows, worded as on screen, in a workbook the clerk corrects and imports again.
  const saveReport = (r: ImportReport) => {
    if (!file) return;
    const rows = reportRows(r).map((x) => ({
      row: x.row,
      outcome: x.rejected ? t("import.rejected") : t("import.warned"),
      why: x.errors.map(fieldMessage).join("；"),
    }));
    const headings: [string, string, string] = [t("import.rowNumber"), t("import.outcome"), t("import.why")];
    api.saveImportReport(file.name, file.bytes, headings, rows).then(setSavedTo, (e) => setError(toReport(e)));
  };

  const choose = async (f: File | undefined) => {
    if (!f) return;
    setReport(null);
    setError(null);
    const bytes = Array.from(new Uint8Array(await f.arrayBuffer()));
    setFile({ name: f.name, bytes });
    api.importPreview(f.name, bytes).then(
      (p) => (setPreview(p), setMapping(p.suggested)),
      (e) => (setPreview(null), setError(toReport(e))),
    );
  };
  const run = (dry_run: boolean) => {
    if (!file) return;
    setError(null);
    setSavedTo(null);
    api
      .importLedger({ file_name: file.name, mapping, default_beat: beat, dry_run }, file.bytes)
      .then(setReport, (e) => setError(toReport(e)));
  };

  return (
    <section>
      <h1>{t("import.title")}</h1>
      <label>
        {t("import.choose")}
        <input type="file" accept=".csv,.xlsx,.xls,.ods" onChange={(e) => void choose(e.target.files?.[0])} />
      </label>
      <ErrorNote error={error} />
      {preview ? (
        <>
          <p className="muted">
            {t("import.rows", { count: preview.row_count })} · {t("import.headerRow", { row: preview.header_row })}
          </p>
          <h2>{t("import.mapping")}</h2>
          <div className="grid">
            {FIELDS.map((f) => (
              <label key={f}>
                {t(`import.fields.${f}`)}
                <select
                  value={mapping[f] ?? ""}
                  onChange={(e) =>
                    setMapping({ ...mapping, [f]: e.target.value === "" ? undefined : Number(e.target.value) })
                  }
                >
                  <option value="">{t("import.notMapped")}</option>
                  {preview.headers.map((h, i) => (
                    <option key={i} value={i}>
                      {h || `#${i + 1}`}
                    </option>
                  ))}
                </select>
              </label>
            ))}
            <label>
              {t("import.defaultBeat")}
              <input value={beat} onChange={(e) => setBeat(e.target.value)} />
            </label>
          </div>
          <table className="table small">
            <thead>
              <tr>
                {preview.headers.map((h, i) => (
                  <th key={i}>{h}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {preview.sample.map((row, i) => (
                <tr key={i}>
                  {row.map((c, j) => (
                    <td key={j}>{c}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          <div className="actions">
            <button type="button" onClick={() => run(true)}>
              {t("import.dryRun")}
            </button>
            <button type="button" className="primary" onClick={() => run(false)}>
              {t("import.run")}
            </button>
          </div>
        </>
      ) : null}
      {report ? (
        <div className="card" data-testid="import-report">
          <p>
            {t("import.report", {
              households: report.households_created,
              created: report.residents_created,
              updated: report.residents_updated,
              unchanged: report.unchanged,
              rejected: report.rejected.length,
              warned: report.warnings.length,
            })}
          </p>
          {report.dry_run ? <p className="muted">{t("import.dryRunNote")}</p> : null}
          {report.rejected.length + report.warnings.length > 0 ? (
            <div className="actions">
              <button type="button" data-testid="save-report" onClick={() => void saveReport(report)}>
                {t("import.saveReport")}
              </button>
              {savedTo ? (
                <span role="status" data-testid="report-saved">
                  {t("import.reportSaved", { path: savedTo })}
                </span>
              ) : null}
            </div>
          ) : null}
          {report.rejected.length + report.warnings.length > 0 ? (
            <table className="table small" data-testid="import-rows">
              <thead>
                <tr>
                  <th>{t("import.rowNumber")}</th>
                  <th>{t("import.outcome")}</th>
                  <th>{t("import.why")}</th>
                </tr>
              </thead>
              <tbody>
                {reportRows(report).map((r) => (
                  <tr key={`${r.row}-${r.rejected}`} className={r.rejected ? "rejected" : "warned"}>
                    <td>{r.row}</td>
                    <td>{r.rejected ? t("import.rejected") : t("import.warned")}</td>
                    <td>{r.errors.map(fieldMessage).join("；")}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
