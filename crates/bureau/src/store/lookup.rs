//! A person or an address looked up across every station: which stations know them, their
//! households, last visits and open concerns. For the bureau's staff only; every look-up is written
//! to the audit trail with who asked, what for (a reason is required) and what they typed. A
//! confidential reporter is never part of an answer: concerns are listed by household, never by
//! who reported them, and their reporter was kept apart when they arrived.

use super::audit::{self, Outcome};
use super::{Principal, Result, bad};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tokio_postgres::GenericClient;

/// At most this many households in one answer.
const MAX_HITS: i64 = 100;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LookupAnswer {
    /// How the text was read: `id_number`, `pinyin`, `name` or `address`.
    pub matched_by: String,
    pub households: Vec<HouseholdHit>,
    /// More matched than are listed.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HouseholdHit {
    pub station: String,
    pub beat: String,
    pub household_id: String,
    pub address: String,
    /// The residents who matched (for an address, every resident of the household).
    pub residents: Vec<PersonHit>,
    pub last_visit: Option<String>,
    pub open_concerns: Vec<ConcernHit>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PersonHit {
    pub resident_id: String,
    pub name: String,
    pub birth_date: Option<NaiveDate>,
    /// The ID number with its middle digits hidden.
    pub id_number: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConcernHit {
    pub concern_id: String,
    pub category: String,
    pub status: String,
    pub raised_at: String,
    pub summary: String,
}

/// What a look-up needs besides the text: the reason, recorded with it.
fn check_reason(reason: &str) -> Result<&str> {
    let reason = reason.trim();
    if reason.chars().count() < 2 {
        return Err(bad(
            "say why you look this up (the reason is recorded in the audit trail)",
        ));
    }
    if reason.chars().count() > 500 {
        return Err(bad("the reason is at most 500 characters"));
    }
    Ok(reason)
}

fn masked(id_number: &str) -> String {
    let chars: Vec<char> = id_number.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < 4 || i >= chars.len() - 4 {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

/// How a typed text is read: an ID number (digits, perhaps ending in X), pinyin (Latin letters),
/// or a name (anything else).
fn reading(text: &str) -> &'static str {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let id_like = t.len() >= 15
        && t.chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || (i == t.len() - 1 && c.eq_ignore_ascii_case(&'x')));
    if id_like {
        "id_number"
    } else if !t.is_empty() && t.chars().all(|c| c.is_ascii_alphabetic()) {
        "pinyin"
    } else {
        "name"
    }
}

/// A person: by ID number, by name (with a birth date, if given), or by the pinyin of their name.
pub async fn person(
    client: &impl GenericClient,
    who: &Principal,
    text: &str,
    birth_date: Option<NaiveDate>,
    reason: &str,
) -> Result<LookupAnswer> {
    let reason = check_reason(reason)?;
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 100 {
        return Err(bad(
            "type an ID number, a name or its pinyin (at most 100 characters)",
        ));
    }
    let by = reading(text);
    let condition = match by {
        "id_number" => "r.id_key = $1",
        "pinyin" => "(' ' || r.pinyin || ' ') LIKE ('% ' || lower($1) || '%')",
        _ => "r.name = $1",
    };
    let key = match by {
        "id_number" => doorstep_core::identity::id_number_key(text).unwrap_or_default(),
        "pinyin" => text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase(),
        _ => text.to_string(),
    };
    let detail = birth_date
        .map(|d| format!("birth date {d}"))
        .unwrap_or_default();
    audit::record(
        client,
        &who.username,
        "lookup_person",
        text,
        Outcome::Ok,
        reason,
        &detail,
    )
    .await?;
    let rows = client
        .query(
            &format!(
                "SELECT r.station_id, r.household_id, r.id, r.name, r.birth_date, COALESCE(r.fields->>'id_number', '')
                 FROM residents r WHERE NOT r.deleted AND {condition} AND ($2::date IS NULL OR r.birth_date = $2)
                 ORDER BY r.station_id, r.household_id, r.name LIMIT 1000"
            ),
            &[&key, &birth_date],
        )
        .await?;
    let mut people: Vec<(i32, String, PersonHit)> = rows
        .iter()
        .map(|r| {
            (
                r.get(0),
                r.get(1),
                PersonHit {
                    resident_id: r.get(2),
                    name: r.get(3),
                    birth_date: r.get(4),
                    id_number: masked(&r.get::<_, String>(5)),
                },
            )
        })
        .collect();
    let mut households: Vec<(i32, String)> =
        people.iter().map(|(s, h, _)| (*s, h.clone())).collect();
    households.dedup();
    let truncated = households.len() as i64 > MAX_HITS;
    households.truncate(MAX_HITS as usize);
    let mut hits = describe(client, &households).await?;
    for hit in &mut hits {
        let (station_id, household) = (hit.0, hit.1.household_id.clone());
        hit.1.residents = people
            .iter_mut()
            .filter(|(s, h, _)| *s == station_id && *h == household)
            .map(|(_, _, p)| p.clone())
            .collect();
    }
    Ok(LookupAnswer {
        matched_by: by.into(),
        households: hits.into_iter().map(|(_, h)| h).collect(),
        truncated,
    })
}

/// An address (any part of it, full-width or half-width alike), with every resident of each
/// household found.
pub async fn address(
    client: &impl GenericClient,
    who: &Principal,
    text: &str,
    reason: &str,
) -> Result<LookupAnswer> {
    let reason = check_reason(reason)?;
    let key = doorstep_core::address::normalize(text);
    if key.chars().count() < 2 || text.chars().count() > 200 {
        return Err(bad(
            "type at least two characters of the address (at most 200)",
        ));
    }
    audit::record(
        client,
        &who.username,
        "lookup_address",
        text.trim(),
        Outcome::Ok,
        reason,
        "",
    )
    .await?;
    let rows = client
        .query(
            "SELECT station_id, id FROM households WHERE NOT deleted AND strpos(address_key, $1) > 0
             ORDER BY station_id, address LIMIT $2",
            &[&key, &(MAX_HITS + 1)],
        )
        .await?;
    let mut households: Vec<(i32, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let truncated = households.len() as i64 > MAX_HITS;
    households.truncate(MAX_HITS as usize);
    let mut hits = describe(client, &households).await?;
    for (station_id, hit) in &mut hits {
        hit.residents = client
            .query(
                "SELECT id, name, birth_date, COALESCE(fields->>'id_number', '') FROM residents
                 WHERE station_id = $1 AND household_id = $2 AND NOT deleted ORDER BY name",
                &[station_id, &hit.household_id],
            )
            .await?
            .iter()
            .map(|r| PersonHit {
                resident_id: r.get(0),
                name: r.get(1),
                birth_date: r.get(2),
                id_number: masked(&r.get::<_, String>(3)),
            })
            .collect();
    }
    Ok(LookupAnswer {
        matched_by: "address".into(),
        households: hits.into_iter().map(|(_, h)| h).collect(),
        truncated,
    })
}

/// Each household's station, beat, address, last visit and open concerns.
async fn describe(
    client: &impl GenericClient,
    households: &[(i32, String)],
) -> Result<Vec<(i32, HouseholdHit)>> {
    let mut out = Vec::new();
    for (station_id, id) in households {
        let Some(row) = client
            .query_opt(
                "SELECT s.name, h.beat, h.address,
                        (SELECT max(visited_at) FROM visits v WHERE v.station_id = h.station_id AND v.household_id = h.id AND NOT v.deleted)
                 FROM households h JOIN stations s ON s.id = h.station_id WHERE h.station_id = $1 AND h.id = $2",
                &[station_id, id],
            )
            .await?
        else {
            continue;
        };
        let concerns = client
            .query(
                "SELECT id, category, status, raised_at, COALESCE(fields->>'summary', '') FROM concerns
                 WHERE station_id = $1 AND household_id = $2 AND NOT deleted AND status <> 'closed' ORDER BY raised_at",
                &[station_id, id],
            )
            .await?
            .iter()
            .map(|r| ConcernHit {
                concern_id: r.get(0),
                category: r.get(1),
                status: r.get(2),
                raised_at: doorstep_core::time::format(&r.get::<_, DateTime<Utc>>(3)),
                summary: r.get(4),
            })
            .collect();
        out.push((
            *station_id,
            HouseholdHit {
                station: row.get(0),
                beat: row.get(1),
                household_id: id.clone(),
                address: row.get(2),
                residents: Vec::new(),
                last_visit: row
                    .get::<_, Option<DateTime<Utc>>>(3)
                    .map(|t| doorstep_core::time::format(&t)),
                open_concerns: concerns,
            },
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_is_read_as_an_id_number_pinyin_or_a_name() {
        assert_eq!(reading("11010519491231002X"), "id_number");
        assert_eq!(reading("110105194912310021"), "id_number");
        assert_eq!(reading("zhang san"), "pinyin");
        assert_eq!(reading("张三"), "name");
        assert_eq!(reading("12345"), "name");
    }

    #[test]
    fn an_id_number_shows_only_its_ends() {
        assert_eq!(masked("11010519491231002X"), "1101**********002X");
        assert_eq!(masked("123"), "***");
    }
}
