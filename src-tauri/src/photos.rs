//! Photos from the window: attaching one (its bytes come raw in the request body, not as a JSON
//! array of numbers, so a 10 MB photo costs 10 MB), listing those of a household, visit or concern,
//! handing the window a thumbnail or the full photo (fetched from the station the first time it is
//! opened, when another officer took it), and the upload timer: a photo whose upload failed is tried
//! again when its back-off has passed, not only at the next sync or the next edit.

use crate::error::{CommandError, CommandResult};
use crate::state::AppState;
use doorstep_core::ids::PhotoId;
use doorstep_core::photo::PhotoOptions;
use doorstep_core::store::photos::{PhotoEntry, PhotoOf, PhotoSpace};
use std::time::Duration;
use tauri::ipc::{InvokeBody, Request, Response};
use tauri::{AppHandle, Manager, State};

/// The header carrying what the photo is attached to, its caption and whether to keep its location,
/// as JSON, percent-encoded (header values are ASCII; captions are Chinese).
const META_HEADER: &str = "doorstep-photo";

#[derive(serde::Deserialize)]
struct AttachMeta {
    of: PhotoOf,
    #[serde(default)]
    caption: String,
    #[serde(default)]
    keep_location: bool,
}

fn bad_request(message: &str) -> CommandError {
    CommandError::Core(doorstep_core::ErrorReport::Internal {
        message: message.into(),
    })
}

/// Attaches the photo in the request's body (see [`META_HEADER`]); shrinking and encoding it takes a
/// moment, so it runs off the window's thread.
#[tauri::command]
pub async fn photo_attach(app: AppHandle, request: Request<'_>) -> CommandResult<PhotoEntry> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(bad_request(
            "photo_attach takes the photo's bytes as its body",
        ));
    };
    let meta = request
        .headers()
        .get(META_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            percent_encoding::percent_decode_str(v)
                .decode_utf8_lossy()
                .into_owned()
        })
        .ok_or_else(|| bad_request("photo_attach needs its doorstep-photo header"))?;
    let meta: AttachMeta =
        serde_json::from_str(&meta).map_err(|e| bad_request(&format!("doorstep-photo: {e}")))?;
    let bytes = bytes.clone();
    let entry = crate::sync::blocking(move || {
        let state = app.state::<AppState>();
        // Full size or not is the laptop's setting, read by the store itself.
        let options = PhotoOptions {
            keep_location: meta.keep_location,
            ..PhotoOptions::default()
        };
        let photo = state.with(|s| s.attach_photo(meta.of, &bytes, &meta.caption, options))?;
        let entry = state.with(|s| s.photo(photo.id))?;
        Ok(entry)
    })
    .await?;
    Ok(entry)
}

#[tauri::command]
pub fn photos_of(state: State<'_, AppState>, of: PhotoOf) -> CommandResult<Vec<PhotoEntry>> {
    state.with(|s| s.photos(of))
}

/// A photo's JPEG (`full`) or thumbnail, raw. One this laptop does not hold (another officer's) is
/// fetched from the station and kept within the space budget; offline, that fails calmly with the
/// sync's "unreachable" and the window shows the thumbnail it has.
#[tauri::command]
pub async fn photo_image(app: AppHandle, id: PhotoId, full: bool) -> CommandResult<Response> {
    crate::sync::blocking(move || {
        let state = app.state::<AppState>();
        let entry = state.with(|s| s.photo(id))?;
        let sha = if full {
            entry.photo.sha256
        } else {
            entry.photo.thumb_sha256
        };
        if sha.is_empty() {
            return Err(
                doorstep_core::Error::Photo(doorstep_core::error::PhotoError::Withheld).into(),
            );
        }
        if let Some(bytes) = state.with(|s| s.blob(&sha))? {
            return Ok(Response::new(bytes));
        }
        let mut store = crate::sync::own_store(&app)?;
        let bytes = doorstep_sync::photos::fetch_blob(&mut store, &sha)?;
        Ok(Response::new(bytes))
    })
    .await
}

#[tauri::command]
pub fn photo_delete(state: State<'_, AppState>, id: PhotoId) -> CommandResult<()> {
    state.with(|s| s.delete_photo(id))
}

#[tauri::command]
pub fn photo_caption(
    state: State<'_, AppState>,
    id: PhotoId,
    caption: String,
) -> CommandResult<PhotoEntry> {
    state.with(|s| {
        s.caption_photo(id, &caption)?;
        s.photo(id)
    })
}

#[tauri::command]
pub fn photo_space(state: State<'_, AppState>) -> CommandResult<PhotoSpace> {
    state.with(|s| s.photo_space())
}

#[tauri::command]
pub fn set_photo_budget(state: State<'_, AppState>, mb: u32) -> CommandResult<PhotoSpace> {
    state.with(|s| {
        s.set_photo_budget_mb(mb)?;
        s.photo_space()
    })
}

/// Settings: whether new photos keep their own size instead of being shrunk.
#[tauri::command]
pub fn set_photo_keep_full_size(
    state: State<'_, AppState>,
    keep: bool,
) -> CommandResult<PhotoSpace> {
    state.with(|s| {
        s.set_photo_keep_full_size(keep)?;
        s.photo_space()
    })
}

/// How often the timer looks at the upload queue when nothing is due sooner.
const LOOK_EVERY: Duration = Duration::from_secs(15);

/// Starts the upload timer (a plain thread: it sleeps most of the time). Each round it asks when the
/// next upload is due; when that time has come it syncs (records first, so the station knows the
/// photo the bytes belong to, then the photos that are due). A failed round waits as the automatic
/// sync does (5 s doubling to a minute); a photo the station refuses waits its own back-off (see
/// `Store::upload_failed`), never the others.
pub fn start_upload_timer(app: AppHandle) {
    std::thread::spawn(move || {
        let mut failures = 0;
        loop {
            let state = app.state::<AppState>();
            let next = state.with(|s| {
                Ok(match s.station()? {
                    Some(_) => s.next_upload_ms()?,
                    None => None,
                })
            });
            let now = chrono::Utc::now().timestamp_millis();
            let wait = match next {
                Ok(Some(at)) if at <= now => {
                    // The sync tells the window (progress, finished); a failure shows as the
                    // calm offline state of the sync bar.
                    match crate::sync::run(&app) {
                        Ok(_) => failures = 0,
                        Err(_) => failures += 1,
                    }
                    if failures == 0 {
                        Duration::from_secs(1)
                    } else {
                        crate::sync::wait_after(failures)
                    }
                }
                Ok(Some(at)) => Duration::from_millis((at - now) as u64).min(LOOK_EVERY),
                // Locked, no station, or nothing queued.
                _ => LOOK_EVERY,
            };
            std::thread::sleep(wait);
        }
    });
}
