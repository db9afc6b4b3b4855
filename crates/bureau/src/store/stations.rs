//! Stations at the bureau: the one-time code an administrator issues for a station, the station's
//! enrolment with it (a credential, and the station's partitions in every table of station data),
//! the credential checked on every batch, revocation, and each station's replication state.

use super::audit::{self, Outcome};
use super::{BureauError, Result, bad};
use doorstep_protocol::bureau::Cursors;
use doorstep_station::store::{digest, new_code, normalize_code, random_hex};
use tokio_postgres::{Client, GenericClient};

/// How long a code stays usable.
const CODE_VALID_HOURS: i32 = 72;

/// A station silent for longer than this is flagged on the bureau's pages.
pub const SILENT_AFTER_HOURS: i64 = 24;

/// The tables of station data, each partitioned by station. `visits` is partitioned again by
/// month (see [`ensure_visit_months`]).
const PARTITIONED: &[&str] = &[
    "households",
    "residents",
    "concerns",
    "concern_reporters",
    "tasks",
    "station_staff_actions",
    "station_audit",
    "household_status",
];

#[derive(Debug, Clone, serde::Serialize)]
pub struct IssuedCode {
    pub code: String,
    pub station_name: String,
    pub expires_at: String,
}

/// A station as the bureau sees it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StationView {
    pub id: i32,
    pub name: String,
    pub enrolled_at: Option<String>,
    pub revoked: bool,
    pub cursors: Cursors,
    pub station_head: i64,
    /// Station versions the bureau does not hold yet, as of the station's last batch.
    pub lag: i64,
    pub last_batch_at: Option<String>,
    pub last_seen_at: Option<String>,
    /// Not heard from for a day or more (or never, once enrolled).
    pub silent: bool,
    pub generation: i32,
}

/// The station a credential belongs to.
#[derive(Debug, Clone)]
pub struct StationAuth {
    pub id: i32,
    pub name: String,
    pub revoked: bool,
}

fn text_time(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    t.map(|t| doorstep_core::time::format(&t))
}

/// A one-time code for enrolling the station called `station_name` (a new station, or one
/// enrolled before that must enrol again: a new machine, a revoked credential).
pub async fn issue_code(client: &Client, actor: &str, station_name: &str) -> Result<IssuedCode> {
    let name = station_name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(bad("give the station's name (at most 100 characters)"));
    }
    let code = new_code().map_err(|e| BureauError::Internal(e.to_string()))?;
    let expires: chrono::DateTime<chrono::Utc> = client
        .query_one(
            "INSERT INTO station_codes (code_hash, station_name, created_by, expires_at)
             VALUES ($1, $2, $3, now() + make_interval(hours => $4)) RETURNING expires_at",
            &[
                &digest(&normalize_code(&code)),
                &name,
                &actor,
                &CODE_VALID_HOURS,
            ],
        )
        .await?
        .get(0);
    audit::record(
        client,
        actor,
        "station_code_issued",
        name,
        Outcome::Ok,
        "",
        "",
    )
    .await?;
    Ok(IssuedCode {
        code,
        station_name: name.to_string(),
        expires_at: doorstep_core::time::format(&expires),
    })
}

/// Exchanges a code for the station's credential: the station is made (or, enrolling again, given
/// a new credential and its revocation lifted) with its partitions, all in one transaction.
pub async fn enroll(client: &mut Client, code: &str) -> Result<(String, String)> {
    let tx = client.transaction().await?;
    let row = tx
        .query_opt(
            "UPDATE station_codes SET used_at = now()
             WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()
             RETURNING station_name",
            &[&digest(&normalize_code(code))],
        )
        .await?;
    let Some(row) = row else {
        drop(tx);
        audit::record(
            client,
            "(a station)",
            "station_enrol",
            "",
            Outcome::Refused,
            "",
            "unknown, used or expired code",
        )
        .await?;
        return Err(BureauError::WrongCredential(
            "the code is not known, was used already or has expired: ask the bureau for a new one"
                .into(),
        ));
    };
    let name: String = row.get(0);
    let credential = format!(
        "b.{}",
        random_hex(32).map_err(|e| BureauError::Internal(e.to_string()))?
    );
    let id: i32 = tx
        .query_one(
            "INSERT INTO stations (name, credential_hash, enrolled_at) VALUES ($1, $2, now())
             ON CONFLICT (name) DO UPDATE SET credential_hash = EXCLUDED.credential_hash,
                 enrolled_at = now(), revoked_at = NULL
             RETURNING id",
            &[&name, &digest(&credential)],
        )
        .await?
        .get(0);
    make_partitions(&tx, id).await?;
    audit::record(&tx, &name, "station_enrolled", &name, Outcome::Ok, "", "").await?;
    tx.commit().await?;
    Ok((name, credential))
}

/// The station's partition of every table of station data (made once; enrolling again finds them).
async fn make_partitions(tx: &impl GenericClient, station: i32) -> Result<()> {
    for table in PARTITIONED {
        tx.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS {table}_s{station} PARTITION OF {table} FOR VALUES IN ({station})"
        ))
        .await?;
    }
    tx.batch_execute(&format!(
        "CREATE TABLE IF NOT EXISTS visits_s{station} PARTITION OF visits FOR VALUES IN ({station})
         PARTITION BY RANGE (visited_at)"
    ))
    .await?;
    Ok(())
}

/// Makes the month partitions of a station's visits that `times` fall in (a month's partition is
/// made with its first visit; no default partition, so a new month never has to move rows).
pub async fn ensure_visit_months(
    tx: &impl GenericClient,
    station: i32,
    times: impl IntoIterator<Item = chrono::DateTime<chrono::Utc>>,
) -> Result<()> {
    use chrono::Datelike;
    let mut months: Vec<(i32, u32)> = times.into_iter().map(|t| (t.year(), t.month())).collect();
    months.sort_unstable();
    months.dedup();
    for (year, month) in months {
        let (next_year, next_month) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
        // Bounds are UTC instants: a partition holds the visits of one UTC month.
        tx.batch_execute(&format!(
            "CREATE TABLE IF NOT EXISTS visits_s{station}_{year:04}{month:02} PARTITION OF visits_s{station}
             FOR VALUES FROM ('{year:04}-{month:02}-01 00:00:00+00') TO ('{next_year:04}-{next_month:02}-01 00:00:00+00')"
        ))
        .await?;
    }
    Ok(())
}

/// The station a credential (`b.…`) belongs to, if any.
pub async fn by_credential(client: &Client, credential: &str) -> Result<Option<StationAuth>> {
    let row = client
        .query_opt(
            "UPDATE stations SET last_seen_at = now() WHERE credential_hash = $1
             RETURNING id, name, revoked_at IS NOT NULL",
            &[&digest(credential)],
        )
        .await?;
    Ok(row.map(|r| StationAuth {
        id: r.get(0),
        name: r.get(1),
        revoked: r.get(2),
    }))
}

/// Revokes a station's enrolment: its batches are refused until it enrols again. What it sent
/// stays.
pub async fn revoke(client: &Client, actor: &str, name: &str) -> Result<()> {
    let n = client
        .execute(
            "UPDATE stations SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL",
            &[&name],
        )
        .await?;
    if n == 0 {
        return Err(BureauError::NotFound(format!("no enrolled station {name}")));
    }
    audit::record(client, actor, "station_revoked", name, Outcome::Ok, "", "").await?;
    Ok(())
}

/// Every station, with how far behind the bureau is and whether it went silent.
pub async fn list(client: &impl GenericClient) -> Result<Vec<StationView>> {
    let rows = client
        .query(
            "SELECT id, name, enrolled_at, revoked_at IS NOT NULL, records_cursor, staff_cursor,
                    audit_cursor, station_head, last_batch_at, last_seen_at, generation,
                    COALESCE(last_seen_at, enrolled_at) < now() - make_interval(hours => $1::int)
             FROM stations ORDER BY name",
            &[&(SILENT_AFTER_HOURS as i32)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| {
            let cursors = Cursors {
                records: r.get(4),
                staff: r.get(5),
                audit: r.get(6),
            };
            let head: i64 = r.get(7);
            StationView {
                id: r.get(0),
                name: r.get(1),
                enrolled_at: text_time(r.get(2)),
                revoked: r.get(3),
                cursors,
                station_head: head,
                lag: (head - cursors.records).max(0),
                last_batch_at: text_time(r.get(8)),
                last_seen_at: text_time(r.get(9)),
                generation: r.get(10),
                silent: r.get::<_, Option<bool>>(11).unwrap_or(false),
            }
        })
        .collect())
}
