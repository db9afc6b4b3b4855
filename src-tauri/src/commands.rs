//! Tauri commands: each adapts one core call (arguments in, the core's result or tagged error out).
//! Dates that depend on where the officer is ("today") use the laptop's local calendar.

use crate::error::CommandResult;
use crate::state::AppState;
use doorstep_core::ids::HouseholdId;
use doorstep_core::import::{ImportReport, ImportRequest, Preview};
use doorstep_core::model::{Concern, Household, Resident, Task};
use doorstep_core::policy::VisitPolicy;
use doorstep_core::search::SearchResults;
use doorstep_core::store::Device;
use doorstep_core::store::changes::SyncStatus;
use doorstep_core::store::drafts::Draft;
use doorstep_core::store::queries::{
    HouseholdDetail, HouseholdFilter, HouseholdPage, OpenWork, Today,
};
use doorstep_core::store::refusals::Refusal;
use doorstep_core::store::scopes::Officer;
use doorstep_core::store::visit_entry::VisitEntry;
use serde::Serialize;
use tauri::State;

use doorstep_core::time::local_today;

#[derive(Serialize)]
pub struct AppInfo {
    device: Option<Device>,
    database: String,
    version: &'static str,
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> CommandResult<AppInfo> {
    state.with(|s| {
        Ok(AppInfo {
            device: s.device().ok().cloned(),
            database: state.path.display().to_string(),
            version: env!("CARGO_PKG_VERSION"),
        })
    })
}

#[tauri::command]
pub fn setup_device(
    state: State<'_, AppState>,
    officer_name: String,
    beats: Vec<String>,
) -> CommandResult<Device> {
    state.with(|s| s.init_device(&officer_name, &beats))
}

/// The UI calls this once its first screen has rendered: the start-up time is logged (and measured
/// by the benchmark, which sets `DOORSTEP_EXIT_WHEN_READY` to quit right after).
#[tauri::command]
pub fn ui_ready(state: State<'_, AppState>, app: tauri::AppHandle) {
    let ms = state.started.elapsed().as_millis();
    println!("doorstep: first screen after {ms} ms");
    if std::env::var_os("DOORSTEP_EXIT_WHEN_READY").is_some() {
        app.exit(0);
    }
}

#[tauri::command]
pub fn today(state: State<'_, AppState>) -> CommandResult<Today> {
    state.with(|s| s.today(local_today()))
}

#[tauri::command]
pub fn households(
    state: State<'_, AppState>,
    filter: HouseholdFilter,
) -> CommandResult<HouseholdPage> {
    state.with(|s| s.households(&filter, local_today()))
}

#[tauri::command]
pub fn household_detail(
    state: State<'_, AppState>,
    id: HouseholdId,
) -> CommandResult<HouseholdDetail> {
    state.with(|s| s.household_detail(id, local_today()))
}

/// Saves a household; `seen` is the record as the form showed it when it opened (absent for a new
/// one), so that only what the officer changed is written (see `Store::save_edit`).
#[tauri::command]
pub fn save_household(
    state: State<'_, AppState>,
    household: Household,
    seen: Option<Household>,
) -> CommandResult<()> {
    state.with(|s| match &seen {
        Some(seen) => s.save_edit_on(seen, &household, local_today()).map(drop),
        None => s.save_on(&household, local_today()).map(drop),
    })
}

/// Saves a resident; `seen` is the record as the form showed it when it opened (absent for a new
/// one), so that only what the officer changed is written (see `Store::save_edit`).
#[tauri::command]
pub fn save_resident(
    state: State<'_, AppState>,
    resident: Resident,
    seen: Option<Resident>,
) -> CommandResult<()> {
    state.with(|s| match &seen {
        Some(seen) => s.save_edit_on(seen, &resident, local_today()).map(drop),
        None => s.save_on(&resident, local_today()).map(drop),
    })
}

/// Saves a concern; `seen` is the record as the form showed it when it opened (absent for a new
/// one), so that only what the officer changed is written (see `Store::save_edit`).
#[tauri::command]
pub fn save_concern(
    state: State<'_, AppState>,
    concern: Concern,
    seen: Option<Concern>,
) -> CommandResult<()> {
    state.with(|s| match &seen {
        Some(seen) => s.save_edit_on(seen, &concern, local_today()).map(drop),
        None => s.save_on(&concern, local_today()).map(drop),
    })
}

/// Saves a task; `seen` is the record as the form showed it when it opened (absent for a new
/// one), so that only what the officer changed is written (see `Store::save_edit`).
#[tauri::command]
pub fn save_task(state: State<'_, AppState>, task: Task, seen: Option<Task>) -> CommandResult<()> {
    state.with(|s| match &seen {
        Some(seen) => s.save_edit_on(seen, &task, local_today()).map(drop),
        None => s.save_on(&task, local_today()).map(drop),
    })
}

#[tauri::command]
pub fn record_visit(state: State<'_, AppState>, entry: VisitEntry) -> CommandResult<()> {
    state.with(|s| s.record_visit_on(&entry, local_today()))
}

/// The station's refusals of this laptop's edits that the officer has not dealt with.
#[tauri::command]
pub fn refusals(state: State<'_, AppState>) -> CommandResult<Vec<Refusal>> {
    state.with(|s| s.refusals())
}

/// The officer has read a refusal (`discard`: and takes the refused new record off this laptop).
#[tauri::command]
pub fn dismiss_refusal(
    state: State<'_, AppState>,
    change_id: String,
    discard: bool,
) -> CommandResult<()> {
    state.with(|s| s.dismiss_refusal(&change_id, discard))
}

/// The station's officers as of the last sync, to choose a task's person responsible from.
#[tauri::command]
pub fn officers(state: State<'_, AppState>) -> CommandResult<Vec<Officer>> {
    state.with(|s| s.officers())
}

#[tauri::command]
pub fn open_work(state: State<'_, AppState>) -> CommandResult<OpenWork> {
    state.with(|s| s.open_work())
}

#[tauri::command]
pub fn search(state: State<'_, AppState>, text: String) -> CommandResult<SearchResults> {
    state.with(|s| s.search_on(&text, 30, local_today()))
}

#[tauri::command]
pub fn drafts(state: State<'_, AppState>) -> CommandResult<Vec<Draft>> {
    state.with(|s| s.drafts())
}

#[tauri::command]
pub fn save_draft(
    state: State<'_, AppState>,
    id: String,
    kind: String,
    payload: serde_json::Value,
) -> CommandResult<()> {
    state.with(|s| s.save_draft(&id, &kind, &payload))
}

#[tauri::command]
pub fn discard_draft(state: State<'_, AppState>, id: String) -> CommandResult<()> {
    state.with(|s| s.discard_draft(&id))
}

#[tauri::command]
pub fn sync_status(state: State<'_, AppState>) -> CommandResult<SyncStatus> {
    state.with(|s| s.sync_status())
}

#[tauri::command]
pub fn visit_policy(state: State<'_, AppState>) -> CommandResult<VisitPolicy> {
    state.with(|s| s.visit_policy())
}

#[tauri::command]
pub fn set_visit_policy(state: State<'_, AppState>, policy: VisitPolicy) -> CommandResult<()> {
    state.with(|s| s.set_visit_policy(&policy))
}

#[tauri::command]
pub fn import_preview(file_name: String, bytes: Vec<u8>) -> CommandResult<Preview> {
    Ok(doorstep_core::import::preview(&file_name, &bytes).map_err(doorstep_core::Error::from)?)
}

/// Saves the import's per-row report as a workbook in the Downloads folder (the ledger's name with
/// 导入结果), for the station clerk to correct the rows and import again; its path.
#[tauri::command]
pub fn save_import_report(
    app: tauri::AppHandle,
    file_name: String,
    bytes: Vec<u8>,
    headings: [String; 3],
    rows: Vec<doorstep_core::import::report::ReportRow>,
) -> CommandResult<String> {
    use tauri::Manager;
    let headings = headings.each_ref().map(String::as_str);
    let book = doorstep_core::import::report::workbook(&file_name, &bytes, headings, &rows)
        .map_err(doorstep_core::Error::from)?;
    let dir = app
        .path()
        .download_dir()
        .or_else(|_| app.path().home_dir())
        .unwrap_or_else(|_| std::env::temp_dir());
    let stem = std::path::Path::new(&file_name)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "台账".into());
    let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
    let path = dir.join(format!("{stem}-导入结果-{stamp}.xlsx"));
    let cannot = |e: std::io::Error| {
        crate::error::CommandError::Shell(crate::error::ShellError::CannotSave {
            path: path.display().to_string(),
            detail: e.to_string(),
        })
    };
    std::fs::create_dir_all(&dir).map_err(cannot)?;
    std::fs::write(&path, book).map_err(cannot)?;
    Ok(path.display().to_string())
}

#[tauri::command]
pub fn import_ledger(
    state: State<'_, AppState>,
    request: ImportRequest,
    bytes: Vec<u8>,
) -> CommandResult<ImportReport> {
    state.with(|s| s.import_ledger_on(&request, &bytes, local_today()))
}
