//! The bureau's own trail, append-only (a trigger refuses edits and deletions): sign-ins and
//! refusals, stations enrolled and revoked, every cross-station look-up with who asked and why,
//! every read of a confidential reporter, every inspector's flag.

use super::Result;
use tokio_postgres::GenericClient;

#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    Ok,
    Refused,
}

/// Appends one entry.
pub async fn record(
    client: &impl GenericClient,
    actor: &str,
    action: &str,
    target: &str,
    outcome: Outcome,
    reason: &str,
    detail: &str,
) -> Result<()> {
    let outcome = match outcome {
        Outcome::Ok => "ok",
        Outcome::Refused => "refused",
    };
    client
        .execute(
            "INSERT INTO audit (actor, action, target, outcome, reason, detail) VALUES ($1, $2, $3, $4, $5, $6)",
            &[&actor, &action, &target, &outcome, &reason, &detail],
        )
        .await?;
    Ok(())
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub reason: String,
    pub detail: String,
}

/// The newest entries first, optionally of one action.
pub async fn list(
    client: &impl GenericClient,
    action: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditEntry>> {
    let rows = client
        .query(
            "SELECT id, at, actor, action, target, outcome, reason, detail FROM audit
             WHERE $1::text IS NULL OR action = $1 ORDER BY id DESC LIMIT $2",
            &[&action, &limit.clamp(1, 5000)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| AuditEntry {
            id: r.get(0),
            at: doorstep_core::time::format(&r.get::<_, chrono::DateTime<chrono::Utc>>(1)),
            actor: r.get(2),
            action: r.get(3),
            target: r.get(4),
            outcome: r.get(5),
            reason: r.get(6),
            detail: r.get(7),
        })
        .collect())
}
