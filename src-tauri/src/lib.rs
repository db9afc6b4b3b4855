//! The desktop shell: finds the officer's (encrypted) database in the per-user app data directory,
//! opens it when the lock screen is given the passphrase, hands it to the commands, and starts the
//! window. No rule and no SQL lives here; see `doorstep-core`.

mod backup;
mod commands;
mod error;
mod lock;
mod photos;
mod state;
mod sync;
mod webview;

use state::AppState;
use std::path::PathBuf;
use tauri::Manager;

/// Where the database lives: `DOORSTEP_DB` if set (tests, several officers on one machine), else
/// `doorstep.sqlite` in the OS's per-user app data directory.
fn database_path(app: &tauri::App) -> Result<PathBuf, Box<dyn std::error::Error>> {
    if let Some(path) = std::env::var_os("DOORSTEP_DB") {
        return Ok(PathBuf::from(path));
    }
    let dir = app.path().app_data_dir()?;
    std::fs::create_dir_all(&dir)?;
    Ok(dir.join("doorstep.sqlite"))
}

pub fn run() {
    let started = std::time::Instant::now();
    tauri::Builder::default()
        .setup(move |app| {
            let path = database_path(app)?;
            app.manage(AppState::new(path, started));
            webview::tune(app)?;
            if std::env::var_os("DOORSTEP_NO_AUTO_SYNC").is_none() {
                sync::start_auto_sync(app.handle().clone());
            }
            backup::start_daily_backup(app.handle().clone());
            if std::env::var_os("DOORSTEP_NO_AUTO_SYNC").is_none() {
                photos::start_upload_timer(app.handle().clone());
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::setup_device,
            commands::ui_ready,
            commands::today,
            commands::households,
            commands::household_detail,
            commands::save_household,
            commands::save_resident,
            commands::save_concern,
            commands::save_task,
            commands::record_visit,
            commands::refusals,
            commands::officers,
            commands::dismiss_refusal,
            commands::open_work,
            commands::search,
            commands::drafts,
            commands::save_draft,
            commands::discard_draft,
            commands::sync_status,
            commands::visit_policy,
            commands::set_visit_policy,
            commands::import_preview,
            commands::import_ledger,
            commands::save_import_report,
            lock::lock_state,
            lock::unlock,
            lock::create_passphrase,
            lock::lock,
            lock::change_passphrase,
            sync::sync_now,
            sync::enroll_station,
            sync::station,
            sync::bundle_export,
            sync::bundle_import,
            backup::backup_settings,
            backup::set_backup_folder,
            backup::backup_now,
            photos::photo_attach,
            photos::photos_of,
            photos::photo_image,
            photos::photo_delete,
            photos::photo_caption,
            photos::photo_space,
            photos::set_photo_budget,
            photos::set_photo_keep_full_size,
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            eprintln!("doorstep: the window could not start: {e}");
            std::process::exit(1);
        });
}
