//! Photos' bytes: laptops send each blob in acknowledged chunks and ask where an upload stands (to
//! resume after a cut); laptops and the staff pages read the bytes of the photos their account may
//! see. The rules are the store's (`store::blobs`); here requests are unpacked and answered.

use super::auth::{Caller, require};
use super::error::{ApiError, ApiQuery};
use super::state::{AppState, with_store};
use crate::store::{PhotoPart, PhotoView};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use doorstep_protocol::{ApiErrorBody, BlobStatus, limits};
use serde::Deserialize;

#[derive(Deserialize, utoipa::IntoParams)]
pub(super) struct UploadQuery {
    /// The blob's size in bytes.
    size: i64,
    /// Where this chunk starts (for `PUT`): the `received` the station last answered.
    #[serde(default)]
    offset: i64,
}

fn laptop(caller: &crate::store::Principal) -> Result<doorstep_core::ids::DeviceId, ApiError> {
    caller
        .device_id
        .ok_or_else(|| ApiError::Forbidden("photos are sent by the laptop that took them".into()))
}

/// Where this laptop's upload of a blob stands: send the next chunk from `received`.
#[utoipa::path(get, path = "/api/v1/blobs/{sha256}/status", params(("sha256" = String, Path), UploadQuery),
    responses((status = 200, body = BlobStatus), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub(super) async fn status(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(sha256): Path<String>,
    ApiQuery(q): ApiQuery<UploadQuery>,
) -> Result<Json<BlobStatus>, ApiError> {
    let device = laptop(&caller)?;
    Ok(Json(
        with_store(&state, move |s| s.blob_status(device, &sha256, q.size)).await?,
    ))
}

/// One chunk of a blob (at most 4 MiB) at `offset`, stored durably before it is acknowledged; the
/// last one is checked against the SHA-256. A chunk at another offset than the station's is
/// refused with 409 (ask the status and resume there), bytes that do not match with 422.
#[utoipa::path(put, path = "/api/v1/blobs/{sha256}", params(("sha256" = String, Path), UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 200, body = BlobStatus), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody),
              (status = 403, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 413, body = ApiErrorBody),
              (status = 422, body = ApiErrorBody)))]
pub(super) async fn put_chunk(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(sha256): Path<String>,
    ApiQuery(q): ApiQuery<UploadQuery>,
    body: Bytes,
) -> Result<Json<BlobStatus>, ApiError> {
    let device = laptop(&caller)?;
    if body.len() > limits::MAX_BLOB_CHUNK {
        return Err(ApiError::Blob {
            code: "size",
            message: format!("a chunk is at most {} bytes", limits::MAX_BLOB_CHUNK),
        });
    }
    Ok(Json(
        with_store(&state, move |s| {
            s.put_blob_chunk(device, &sha256, q.size, q.offset, &body)
        })
        .await?,
    ))
}

fn jpeg(bytes: Vec<u8>) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            // Addressed by content: the bytes behind a name never change.
            (
                header::CACHE_CONTROL,
                "private, max-age=31536000, immutable",
            ),
        ],
        bytes,
    )
}

/// A blob's bytes, for an account that may see a photo with them.
#[utoipa::path(get, path = "/api/v1/blobs/{sha256}", params(("sha256" = String, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 400, body = ApiErrorBody),
              (status = 401, body = ApiErrorBody), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub(super) async fn read(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(sha256): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let target = sha256.clone();
    let viewer = caller.clone();
    let bytes = with_store(&state, move |s| s.blob_for(&sha256, &viewer)).await;
    if let Err(ApiError::Forbidden(_)) = &bytes {
        require(&state, &caller, false, "read_photo", &target).await?;
    }
    Ok(jpeg(bytes?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub(super) struct PhotosQuery {
    /// `household`, `visit` or `concern`.
    of: String,
    id: String,
}

/// The photos of a household, a visit or a concern, newest first: pending ones (bytes not yet at
/// the station) and withheld ones (a confidential concern's) marked.
#[utoipa::path(get, path = "/api/v1/photos", params(PhotosQuery),
    responses((status = 200, body = Vec<PhotoView>), (status = 400, body = ApiErrorBody), (status = 401, body = ApiErrorBody)))]
pub(super) async fn photos(
    State(state): State<AppState>,
    Caller(caller): Caller,
    ApiQuery(q): ApiQuery<PhotosQuery>,
) -> Result<Json<Vec<PhotoView>>, ApiError> {
    Ok(Json(
        with_store(&state, move |s| s.photos_of(&q.of, &q.id, &caller)).await?,
    ))
}

/// One photo's thumbnail or whole photo, by the photo's id.
async fn part(
    state: AppState,
    caller: crate::store::Principal,
    id: String,
    part: PhotoPart,
) -> Result<impl IntoResponse, ApiError> {
    let target = id.clone();
    let viewer = caller.clone();
    let bytes = with_store(&state, move |s| s.photo_part(&id, part, &viewer)).await;
    if let Err(ApiError::Forbidden(_)) = &bytes {
        require(&state, &caller, false, "read_photo", &target).await?;
    }
    Ok(jpeg(bytes?))
}

/// A photo's thumbnail.
#[utoipa::path(get, path = "/api/v1/photos/{id}/thumb", params(("id" = String, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub(super) async fn thumb(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    part(state, caller, id, PhotoPart::Thumb).await
}

/// A whole photo.
#[utoipa::path(get, path = "/api/v1/photos/{id}/full", params(("id" = String, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 403, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub(super) async fn full(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    part(state, caller, id, PhotoPart::Full).await
}

/// This resource's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/blobs/{sha256}", get(read).put(put_chunk))
        .route("/api/v1/blobs/{sha256}/status", get(status))
        .route("/api/v1/photos", get(photos))
        .route("/api/v1/photos/{id}/thumb", get(thumb))
        .route("/api/v1/photos/{id}/full", get(full))
}
