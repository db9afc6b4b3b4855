//! The API document, generated from the handlers and the wire types, served at
//! `/api/v1/openapi.json`.

use super::state::AppState;
use super::{
    accounts, audit, blobs, bundles, bureau, concerns, conflicts, duplicates, reports, session,
    sync, tasks,
};
use crate::store::{
    Account, AccountUpdate, AuditEntry, ConcernView, EnrollmentCode, NewAccount, Principal, Role,
};
use axum::routing::get;
use axum::{Json, Router};
use doorstep_protocol::{
    ApiErrorBody, EnrollRequest, EnrollResponse, Health, PullResponse, PushRequest, PushResponse,
    Scopes,
};

/// The API document, generated from the handlers and the wire types below.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Doorstep station API", description = "Sync between officers' laptops and their station, and the staff merge queue."),
    paths(sync::health, sync::enroll, sync::push, sync::pull, sync::scopes,
          session::sign_in, session::session_info, session::sign_out,
          accounts::accounts, accounts::create_account, accounts::update_account, accounts::enrollment_code,
          accounts::officers, accounts::devices, accounts::revoke, bundles::import,
          bureau::status, bureau::enroll, bureau::send,
          blobs::status, blobs::put_chunk, blobs::read, blobs::photos, blobs::thumb, blobs::full,
          audit::audit, audit::audit_export, concerns::concern,
          conflicts::conflicts, conflicts::resolve,
          duplicates::duplicates, duplicates::merge_duplicate, duplicates::undo_duplicate_merge,
          tasks::tasks, tasks::assign,
          reports::overview, reports::worklist, reports::summary, reports::summary_export, reports::export),
    components(schemas(ApiErrorBody, EnrollRequest, EnrollResponse, session::SignIn, session::SessionInfo,
                       accounts::Revocation, bundles::BundleAnswered, bureau::BureauEnrolment, crate::store::BureauStatus, doorstep_protocol::BlobStatus, crate::store::PhotoView, crate::store::BundleImport, Account, NewAccount, AccountUpdate, EnrollmentCode, AuditEntry, ConcernView,
                       Principal, Role, crate::report::Lang, crate::report::SummaryFormat, crate::report::ExportFormat,
                       crate::report::RecordKind, crate::store::Worklist, Health, PullResponse, Scopes,
                       doorstep_protocol::WorkScope, doorstep_protocol::Standing,
                       PushRequest, PushResponse, conflicts::Resolution, duplicates::MergeDecision, tasks::Assignment)),
    modifiers(&BearerAuth),
    security(("session" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let scheme =
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build());
        api.components
            .get_or_insert_with(Default::default)
            .add_security_scheme("session", scheme);
    }
}

async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(<ApiDoc as utoipa::OpenApi>::openapi())
}

/// This resource's routes.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/api/v1/openapi.json", get(openapi))
}
