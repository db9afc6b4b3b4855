//! Replication up to the bureau: enrolling with the bureau (a one-time code, its certificate
//! pinned), and sending the station's log in batches from where the bureau says it stands, on a
//! thread of its own, every few seconds while the station serves. Each batch is one request the
//! bureau stores whole or not at all; a cut connection or a bureau that is down is tried again at
//! the next round, from the bureau's own cursors, so nothing is lost or doubled. A station restored
//! from a backup holds less than the bureau: it starts the bureau's copy again (`restart`).
//!
//! The inspectors' flags come down with every answer; each is applied once as a follow-up task
//! (see `store::bureau`) and reported applied in the next batch.

use crate::store::{BureauLink, StationStore};
use doorstep_protocol::bureau::{
    Cursors, StationEnrollRequest, StationEnrollResponse, UpAnswer, UpBatch,
};
use doorstep_sync::tls;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use ureq::Agent;

/// Records, staff actions and audit lines in one batch, each.
pub const BATCH: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum UpwardError {
    #[error("this station is not enrolled with a bureau")]
    NotEnrolled,
    #[error("the bureau at {0} cannot be reached")]
    Unreachable(String),
    #[error(
        "the bureau's certificate is not the one pinned at enrolment: enrol again if the bureau really changed it"
    )]
    CertificateChanged,
    #[error("the bureau refused ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("{0}")]
    Protocol(String),
    #[error("{0}")]
    Store(#[from] crate::store::StationError),
}

/// What one round of sending did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Sent {
    pub batches: u32,
    pub records: u32,
    pub flags_applied: u32,
    /// The bureau's copy was started again (this station was restored from a backup).
    pub restarted: bool,
    pub cursors: Cursors,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    message: String,
    cursors: Option<Cursors>,
}

struct Bureau {
    agent: Agent,
    url: String,
    credential: String,
}

/// A refused request: its status and body.
enum Answer<T> {
    Ok(T),
    Refused(u16, ErrorBody),
}

impl Bureau {
    fn new(url: &str, certificate: &[u8], credential: &str) -> Bureau {
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(120)))
            .timeout_connect(Some(Duration::from_secs(5)))
            .tls_config(tls::pinned(certificate))
            .build()
            .into();
        Bureau {
            agent,
            url: url.trim_end_matches('/').to_string(),
            credential: credential.to_string(),
        }
    }

    fn of(link: &BureauLink) -> Result<Bureau, UpwardError> {
        let certificate = tls::from_hex(&link.certificate)
            .filter(|c| !c.is_empty())
            .ok_or_else(|| {
                UpwardError::Protocol("no pinned certificate for the bureau: enrol again".into())
            })?;
        Ok(Bureau::new(&link.url, &certificate, &link.credential))
    }

    fn transport(&self, e: ureq::Error) -> UpwardError {
        match e {
            ureq::Error::Rustls(rustls::Error::InvalidCertificate(_)) => {
                UpwardError::CertificateChanged
            }
            ureq::Error::Io(io) if io.to_string().contains("certificate") => {
                UpwardError::CertificateChanged
            }
            ureq::Error::Io(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
            | ureq::Error::Timeout(_) => UpwardError::Unreachable(self.url.clone()),
            other => UpwardError::Protocol(other.to_string()),
        }
    }

    fn answer<T: DeserializeOwned>(
        &self,
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Answer<T>, UpwardError> {
        let mut response = result.map_err(|e| self.transport(e))?;
        let status = response.status().as_u16();
        if status >= 400 {
            let body = response
                .body_mut()
                .read_json::<ErrorBody>()
                .unwrap_or(ErrorBody {
                    error: String::new(),
                    message: "no reason given".into(),
                    cursors: None,
                });
            return Ok(Answer::Refused(status, body));
        }
        let body = response
            .body_mut()
            .read_json::<T>()
            .map_err(|e| self.transport(e))?;
        Ok(Answer::Ok(body))
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<Answer<T>, UpwardError> {
        let result = self
            .agent
            .get(&format!("{}/api/v1/{path}", self.url))
            .header("Authorization", &format!("Bearer {}", self.credential))
            .call();
        self.answer(result)
    }

    fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<Answer<T>, UpwardError> {
        // Compact JSON: ureq's `send_json` pretty-prints, some 40% more bytes per batch.
        let body = serde_json::to_vec(body).map_err(|e| UpwardError::Protocol(e.to_string()))?;
        let result = self
            .agent
            .post(&format!("{}/api/v1/{path}", self.url))
            .header("Authorization", &format!("Bearer {}", self.credential))
            .header("Content-Type", "application/json")
            .send(&body[..]);
        self.answer(result)
    }
}

fn refused<T>(status: u16, body: ErrorBody) -> Result<T, UpwardError> {
    Err(UpwardError::Refused {
        status,
        message: if body.message.is_empty() {
            body.error
        } else {
            body.message
        },
    })
}

fn lock(store: &Mutex<StationStore>) -> std::sync::MutexGuard<'_, StationStore> {
    store.lock().unwrap_or_else(|p| p.into_inner())
}

/// Enrols this station with the bureau at `url` using the code the bureau's administrator gave:
/// pins the certificate the bureau presents and keeps the credential it answers. Replication
/// starts from where the bureau stands for this station at the next round.
pub fn enroll(
    store: &Mutex<StationStore>,
    actor: &str,
    url: &str,
    code: &str,
) -> Result<(BureauLink, String), UpwardError> {
    let url = url.trim().trim_end_matches('/').to_string();
    if !url.starts_with("https://") {
        return Err(UpwardError::Protocol(
            "the bureau's address starts with https://".into(),
        ));
    }
    let certificate =
        tls::fetch_certificate(&url).map_err(|_| UpwardError::Unreachable(url.clone()))?;
    let bureau = Bureau::new(&url, &certificate, "");
    let answer: StationEnrollResponse = match bureau.post(
        "replication/enroll",
        &StationEnrollRequest {
            code: code.trim().to_string(),
        },
    )? {
        Answer::Ok(a) => a,
        Answer::Refused(status, body) => return refused(status, body),
    };
    let link = BureauLink {
        url,
        certificate: tls::to_hex(&certificate),
        credential: answer.credential,
        station_name: answer.station_name,
        bureau_name: answer.bureau_name,
        enrolled_at: doorstep_core::time::format(&doorstep_core::time::now()),
    };
    lock(store).set_bureau_link(actor, &link)?;
    Ok((link, tls::fingerprint(&certificate)))
}

/// Applies the flags an answer carries (each once) and counts those new here.
fn apply_flags(store: &Mutex<StationStore>, answer: &UpAnswer) -> Result<u32, UpwardError> {
    let mut applied = 0;
    for flag in &answer.flags {
        let (_, new) = lock(store).apply_bureau_flag(flag)?;
        applied += u32::from(new);
    }
    Ok(applied)
}

/// One round at a time per station process: the background thread's and one asked for on the
/// staff pages would otherwise both start the bureau's copy again after a restore.
static ROUND: Mutex<()> = Mutex::new(());

/// One round: asks where the bureau stands, then sends batches until it holds everything.
pub fn send(store: &Mutex<StationStore>) -> Result<Sent, UpwardError> {
    let _round = ROUND.lock().unwrap_or_else(|p| p.into_inner());
    let link = lock(store).bureau_link()?.ok_or(UpwardError::NotEnrolled)?;
    let bureau = Bureau::of(&link)?;
    let result = send_with(store, &bureau);
    if let Err(e) = &result {
        let _ = lock(store).bureau_sent(None, Some(&e.to_string()));
    }
    result
}

fn send_with(store: &Mutex<StationStore>, bureau: &Bureau) -> Result<Sent, UpwardError> {
    let state: UpAnswer = match bureau.get("replication")? {
        Answer::Ok(a) => a,
        Answer::Refused(status, body) => return refused(status, body),
    };
    let mut sent = Sent {
        cursors: state.cursors,
        ..Sent::default()
    };
    sent.flags_applied += apply_flags(store, &state)?;
    let (lineage, head, staff_max, audit_max) = {
        let store = lock(store);
        let conn = store.conn();
        let max = |table: &str| -> rusqlite::Result<i64> {
            conn.query_row(
                &format!("SELECT coalesce(max(id), 0) FROM {table}"),
                [],
                |r| r.get(0),
            )
        };
        let lineage: i64 = conn
            .query_row("SELECT value FROM meta WHERE key = 'lineage'", [], |r| {
                r.get(0)
            })
            .map_err(crate::store::StationError::from)?;
        (
            format!("{lineage:016x}"),
            store.head_version()?,
            max("staff_actions").map_err(crate::store::StationError::from)?,
            max("audit").map_err(crate::store::StationError::from)?,
        )
    };
    // The station went back to a backup since (a new lineage), or the bureau holds more than this
    // station has: the bureau's copy is started again from nothing, so what the station no longer
    // holds is not taken for current, and ids the station hands out again are not mistaken for
    // those the bureau holds.
    let mut restart = state.lineage.as_ref().is_some_and(|l| *l != lineage)
        || state.cursors.records > head
        || state.cursors.staff > staff_max
        || state.cursors.audit > audit_max;
    let mut from = if restart {
        Cursors::default()
    } else {
        state.cursors
    };
    sent.restarted = restart;
    loop {
        let batch: UpBatch = lock(store).upward_batch(from, BATCH, restart)?;
        let nothing_new = batch.through == batch.from;
        match bureau.post::<_, UpAnswer>("replication/batches", &batch)? {
            Answer::Ok(answer) => {
                sent.batches += 1;
                sent.records += batch.records.len() as u32;
                from = answer.cursors;
                sent.cursors = from;
                restart = false;
                lock(store).bureau_sent(Some(from), None)?;
                sent.flags_applied += apply_flags(store, &answer)?;
                if nothing_new
                    && answer
                        .flags
                        .iter()
                        .all(|f| batch.flags_applied.iter().any(|a| a.flag_id == f.id))
                {
                    return Ok(sent);
                }
            }
            // The bureau holds less than the batch assumed (its database was restored): send from
            // where it stands.
            Answer::Refused(
                409,
                ErrorBody {
                    cursors: Some(held),
                    ..
                },
            ) => {
                // Nothing held: the bureau follows another lineage of this station's database, and
                // the copy starts again (once: refused again, the round ends with the reason).
                let other_lineage = held == Cursors::default();
                if (held == from && !other_lineage) || (other_lineage && batch.restart) {
                    return Err(UpwardError::Protocol(
                        "the bureau refuses a batch that starts where it stands".into(),
                    ));
                }
                restart = other_lineage;
                sent.restarted |= restart;
                from = held;
            }
            Answer::Refused(status, body) => return refused(status, body),
        }
    }
}

/// Sends a round every `every` on a thread of its own, for as long as the station runs (nothing
/// when it is not enrolled). Failures are logged and tried again at the next round.
pub fn spawn(store: Arc<Mutex<StationStore>>, every: Duration) {
    std::thread::Builder::new()
        .name("bureau-replication".into())
        .spawn(move || {
            let mut failing = false;
            loop {
                match send(&store) {
                    Ok(sent) => {
                        if failing || sent.records > 0 || sent.flags_applied > 0 {
                            tracing::info!(records = sent.records, batches = sent.batches, flags = sent.flags_applied,
                                restarted = sent.restarted, "sent to the bureau");
                        }
                        failing = false;
                    }
                    Err(UpwardError::NotEnrolled) => {}
                    Err(e) => {
                        if !failing {
                            tracing::warn!(error = %e, "sending to the bureau failed; trying again");
                        }
                        failing = true;
                    }
                }
                std::thread::sleep(every);
            }
        })
        .expect("a thread for replication");
}
