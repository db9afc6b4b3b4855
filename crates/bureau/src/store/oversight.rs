//! Oversight of complaints about the police (督察), across stations, for the bureau's inspectors:
//! concerns of the category police conduct, and visits whose inquiry areas include work style or
//! integrity, with their status, the person responsible for the follow-up, and whether the
//! resident was told the result. An inspector flags one for follow-up by the bureau; the flag
//! travels down to the station, which makes a follow-up task of it. A confidential reporter of such
//! a complaint is shown only to an inspector whose account holds that right, and each read is
//! logged.

use super::audit::{self, Outcome};
use super::{BureauError, Principal, Result, Role, bad};
use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;

/// The inquiry areas that make a visit's opinions a complaint about the police.
const AREAS: &[&str] = &["conduct", "integrity"];
const CATEGORY: &str = "police_conduct";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Complaint {
    pub station: String,
    pub beat: String,
    /// `concern` or `visit`.
    pub entity: String,
    pub id: String,
    pub household_id: String,
    pub at: String,
    /// The concern's summary, or the visit's opinions.
    pub text: String,
    /// The concern's status (`raised` … `closed`); for a visit, `noted`.
    pub status: String,
    /// The visit's inquiry areas, or the concern's category.
    pub areas: Vec<String>,
    pub confidential: bool,
    /// The reporter of a concern that is not confidential (a confidential one's is never here).
    pub reporter: Option<String>,
    /// Who is responsible for the follow-up (the tasks' assignees), and whether any is open.
    pub responsible: Vec<String>,
    pub follow_up_open: bool,
    /// The resident was told the result (the concern's feedback, or a follow-up task's).
    pub resident_told: bool,
    pub flag: Option<FlagView>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlagView {
    pub id: i64,
    pub reason: String,
    pub flagged_by: String,
    pub flagged_at: String,
    /// The follow-up task the station made of it, once it did.
    pub task_id: Option<String>,
}

fn inspector(who: &Principal) -> Result<()> {
    if who.has(Role::Inspector) {
        Ok(())
    } else {
        Err(BureauError::NotPermitted(
            "only the bureau's inspectors see complaints about the police".into(),
        ))
    }
}

fn time(t: DateTime<Utc>) -> String {
    doorstep_core::time::format(&t)
}

/// Every complaint about the police, newest first, optionally of one station and only open ones.
pub async fn complaints(
    client: &impl GenericClient,
    who: &Principal,
    station: Option<&str>,
    open_only: bool,
) -> Result<Vec<Complaint>> {
    inspector(who)?;
    let station = station.map(str::to_string);
    let areas: Vec<&str> = AREAS.to_vec();
    let rows = client
        .query(
            "WITH items AS (
                 SELECT c.station_id, c.beat, 'concern' AS entity, c.id, c.household_id, c.raised_at AS at,
                        COALESCE(c.fields->>'summary', '') AS text, c.status, ARRAY[c.category] AS areas, c.confidential,
                        CASE WHEN c.confidential THEN NULL ELSE NULLIF(c.fields->>'reporter_name', '') END AS reporter,
                        c.feedback_at IS NOT NULL OR c.status = 'closed' AS told,
                        c.status = 'closed' AS done
                 FROM concerns c WHERE NOT c.deleted AND c.category = $1
                 UNION ALL
                 SELECT v.station_id, v.beat, 'visit', v.id, v.household_id, v.visited_at,
                        COALESCE(v.fields->>'opinions', ''), 'noted', v.inquiry_areas, false, NULL, false, false
                 FROM visits v WHERE NOT v.deleted AND v.inquiry_areas && $2
             )
             SELECT s.name, i.beat, i.entity, i.id, i.household_id, i.at, i.text, i.status, i.areas, i.confidential, i.reporter,
                    COALESCE((SELECT array_agg(DISTINCT t.assignee) FROM tasks t WHERE t.station_id = i.station_id
                              AND NOT t.deleted AND t.assignee <> '' AND (t.concern_id = i.id OR t.id = f.task_id)), '{}'),
                    EXISTS (SELECT 1 FROM tasks t WHERE t.station_id = i.station_id AND NOT t.deleted
                            AND (t.concern_id = i.id OR t.id = f.task_id) AND t.status IN ('open', 'in_progress')),
                    i.told OR EXISTS (SELECT 1 FROM tasks t WHERE t.station_id = i.station_id AND NOT t.deleted
                            AND (t.concern_id = i.id OR t.id = f.task_id) AND t.feedback_at IS NOT NULL),
                    f.id, f.reason, f.flagged_by, f.flagged_at, f.task_id
             FROM items i JOIN stations s ON s.id = i.station_id
             LEFT JOIN LATERAL (SELECT * FROM flags f WHERE f.station_id = i.station_id AND f.entity = i.entity
                                AND f.record_id = i.id ORDER BY f.id DESC LIMIT 1) f ON true
             WHERE ($3::text IS NULL OR s.name = $3) AND (NOT $4 OR NOT i.done)
             ORDER BY i.at DESC LIMIT 2000",
            &[&CATEGORY, &areas, &station, &open_only],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Complaint {
            station: r.get(0),
            beat: r.get(1),
            entity: r.get(2),
            id: r.get(3),
            household_id: r.get(4),
            at: time(r.get(5)),
            text: r.get(6),
            status: r.get(7),
            areas: r.get(8),
            confidential: r.get(9),
            reporter: r.get(10),
            responsible: r.get(11),
            follow_up_open: r.get(12),
            resident_told: r.get(13),
            flag: r.get::<_, Option<i64>>(14).map(|id| FlagView {
                id,
                reason: r.get(15),
                flagged_by: r.get(16),
                flagged_at: time(r.get(17)),
                task_id: r.get(18),
            }),
        })
        .collect())
}

/// The station's id, and the record's household, if the record is a complaint held there.
async fn complaint_of(
    client: &impl GenericClient,
    station: &str,
    entity: &str,
    id: &str,
) -> Result<i32> {
    let sql = match entity {
        "concern" => "SELECT c.station_id FROM concerns c JOIN stations s ON s.id = c.station_id
                      WHERE s.name = $1 AND c.id = $2 AND NOT c.deleted AND c.category = $3 AND $4::text[] IS NOT NULL",
        "visit" => "SELECT v.station_id FROM visits v JOIN stations s ON s.id = v.station_id
                    WHERE s.name = $1 AND v.id = $2 AND NOT v.deleted AND v.inquiry_areas && $4 AND $3 <> ''",
        _ => return Err(bad("a flag is on a concern or a visit")),
    };
    let areas: Vec<&str> = AREAS.to_vec();
    client
        .query_opt(sql, &[&station, &id, &CATEGORY, &areas])
        .await?
        .map(|r| r.get(0))
        .ok_or_else(|| {
            BureauError::NotFound(format!(
                "no complaint about the police {entity} {id} at {station}"
            ))
        })
}

/// Flags a complaint for follow-up by the bureau. A complaint already flagged and not yet applied
/// by its station is not flagged twice.
pub async fn flag(
    client: &impl GenericClient,
    who: &Principal,
    station: &str,
    entity: &str,
    id: &str,
    reason: &str,
) -> Result<FlagView> {
    inspector(who)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(bad(
            "say what the station should follow up (at most 500 characters)",
        ));
    }
    let station_id = complaint_of(client, station, entity, id).await?;
    let pending = client
        .query_opt(
            "SELECT id FROM flags WHERE station_id = $1 AND entity = $2 AND record_id = $3 AND applied_at IS NULL",
            &[&station_id, &entity, &id],
        )
        .await?;
    if pending.is_some() {
        return Err(bad(
            "this complaint is flagged already and its station has not taken the flag yet",
        ));
    }
    let row = client
        .query_one(
            "INSERT INTO flags (station_id, entity, record_id, reason, flagged_by) VALUES ($1, $2, $3, $4, $5)
             RETURNING id, flagged_at",
            &[&station_id, &entity, &id, &reason, &who.display_name],
        )
        .await?;
    audit::record(
        client,
        &who.username,
        "flag",
        &format!("{station} {entity} {id}"),
        Outcome::Ok,
        reason,
        "",
    )
    .await?;
    Ok(FlagView {
        id: row.get(0),
        reason: reason.to_string(),
        flagged_by: who.display_name.clone(),
        flagged_at: time(row.get(1)),
        task_id: None,
    })
}

/// The confidential reporter of a complaint about the police: for an inspector holding that right
/// explicitly, with a reason; each read is logged (and each refusal).
pub async fn reporter(
    client: &impl GenericClient,
    who: &Principal,
    station: &str,
    concern_id: &str,
    reason: &str,
) -> Result<String> {
    let target = format!("{station} concern {concern_id}");
    if !who.has(Role::Inspector) || !who.may_see_reporters {
        audit::record(
            client,
            &who.username,
            "read_reporter",
            &target,
            Outcome::Refused,
            reason,
            "",
        )
        .await?;
        return Err(BureauError::NotPermitted(
            "this account may not see confidential reporters (the right is given to an inspector's account explicitly)".into(),
        ));
    }
    let reason = reason.trim();
    if reason.chars().count() < 2 {
        return Err(bad(
            "say why you need the reporter (the reason is recorded)",
        ));
    }
    let station_id = complaint_of(client, station, "concern", concern_id).await?;
    let row = client
        .query_opt(
            "SELECT r.reporter_name FROM concern_reporters r JOIN concerns c
                 ON c.station_id = r.station_id AND c.id = r.concern_id AND c.confidential
             WHERE r.station_id = $1 AND r.concern_id = $2",
            &[&station_id, &concern_id],
        )
        .await?
        .ok_or_else(|| BureauError::NotFound(format!("{target} has no confidential reporter")))?;
    audit::record(
        client,
        &who.username,
        "read_reporter",
        &target,
        Outcome::Ok,
        reason,
        "",
    )
    .await?;
    Ok(row.get(0))
}
