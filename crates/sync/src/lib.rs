//! The field side of sync, over the core's store and the protocol's wire types.
//!
//! A sync pushes the change log from the station's last acknowledgement, in batches, recording each
//! acknowledgement as it comes (a cut connection resumes from there), then pulls the beats' records
//! from the saved cursor, page by page, each page applied with its cursor in one transaction.
//! Nothing is lost when the station is unreachable: work goes on offline and the next sync sends it.

use doorstep_core::Store;
use doorstep_core::ids::DeviceId;
use doorstep_core::store::remote::StationLink as Link;
use doorstep_core::store::scopes::{TASKS_SCOPE, beat_scope};
use doorstep_protocol::{
    ApiErrorBody, EnrollRequest, EnrollResponse, PullResponse, PushRequest, PushResponse, Scopes,
    refusals,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use ureq::Agent;

pub mod bundle;
pub mod photos;
mod push;
pub mod tls;

pub use push::PUSH_BATCH;
use push::push;

/// Records per pull page. Each page is a request, an answer and a transaction applying it (its
/// commit writes the pages of the tables and indexes it touched): pages of 4,000 instead of 1,000
/// took a 200,000-record first download from 1.8 to 1.4 s (docs/perf/README.md). A station of
/// before, which sends at most 2,000 a page, still answers; the cursor says where the next starts.
pub const PULL_PAGE: u32 = 4000;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the station at {0} cannot be reached; work continues offline and syncs later")]
    Unreachable(String),
    #[error("the station refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("this device is not linked to a station; enroll first")]
    NotEnrolled,
    #[error(
        "the station's certificate is not the one this laptop enrolled with; do not sync, and ask the station's administrator"
    )]
    CertificateChanged(String),
    #[error("this laptop has been revoked by the station; nothing more is sent")]
    Revoked,
    #[error("this laptop has been revoked and must erase its data")]
    WipeOrdered,
    #[error(transparent)]
    Store(#[from] doorstep_core::Error),
    #[error("unexpected answer from the station: {0}")]
    Protocol(String),
    /// A bundle for sync by USB stick that cannot be taken (damaged, for another laptop, ...).
    #[error(transparent)]
    Bundle(doorstep_protocol::bundle::BundleError),
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct SyncReport {
    pub pushed: u32,
    #[ts(type = "number")]
    pub acked_seq: i64,
    /// Conflicts the station queued for staff from what this device sent.
    pub conflicts: u32,
    /// Changes the station refused (the officer is shown each, with why).
    pub refused: u32,
    /// Unsent changes moved past numbers the station already held (a restored laptop).
    pub renumbered: u32,
    /// The station's database went back (it was restored from a backup): what it had acknowledged
    /// since was sent again and the beats downloaded afresh. Nothing is lost; staff may have to
    /// decide again what they decided after the backup.
    pub station_went_back: bool,
    /// Records taken off this laptop: no longer in the officer's beats (a beat taken away, a
    /// household moved elsewhere).
    pub left_scope: u32,
    /// Records no longer in the officer's beats, kept until their unsent edits reach the station.
    pub kept_out_of_scope: u32,
    /// This laptop's clock is this many milliseconds off the station's (only when it is off by more
    /// than a few minutes): the officer is told to set it right.
    #[ts(type = "number | null")]
    pub clock_skew_ms: Option<i64>,
    pub pulled: u32,
    #[ts(type = "number")]
    pub cursor: i64,
    /// Photos' bytes sent and received after the records.
    pub photos: photos::PhotoReport,
}

/// Progress as a sync goes, for a progress bar.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(tag = "phase", rename_all = "snake_case")]
#[ts(export)]
pub enum Progress {
    /// Changes sent so far, and how many are still unsent.
    Pushed {
        sent: u32,
        #[ts(type = "number")]
        remaining: i64,
    },
    /// Records received so far, and roughly how much of the download that is (0–100).
    Pulled { received: u32, percent: u8 },
    /// Photos' bytes (photos and thumbnails) sent so far, of those due.
    Photos { sent: u32, total: u32 },
}

/// A sync failure as the UI receives it (tagged by `kind`).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum SyncErrorReport {
    Unreachable {
        url: String,
    },
    Refused {
        status: u16,
        message: String,
    },
    NotEnrolled,
    CertificateChanged {
        url: String,
    },
    Revoked,
    /// The laptop's data was erased on the station's order.
    Wiped,
    Protocol {
        message: String,
    },
    /// A bundle that was not written or taken: why (`reason`, see `BundleError::code`), and
    /// the message in English.
    Bundle {
        reason: String,
        message: String,
    },
    Store {
        report: doorstep_core::ErrorReport,
    },
}

impl From<&SyncError> for SyncErrorReport {
    fn from(e: &SyncError) -> Self {
        match e {
            SyncError::Unreachable(url) => SyncErrorReport::Unreachable { url: url.clone() },
            SyncError::Refused { status, message } => SyncErrorReport::Refused {
                status: *status,
                message: message.clone(),
            },
            SyncError::NotEnrolled => SyncErrorReport::NotEnrolled,
            SyncError::CertificateChanged(url) => {
                SyncErrorReport::CertificateChanged { url: url.clone() }
            }
            SyncError::Revoked => SyncErrorReport::Revoked,
            SyncError::WipeOrdered => SyncErrorReport::Wiped,
            SyncError::Protocol(m) => SyncErrorReport::Protocol { message: m.clone() },
            SyncError::Bundle(e) => SyncErrorReport::Bundle {
                reason: e.code().to_string(),
                message: e.to_string(),
            },
            SyncError::Store(e) => SyncErrorReport::Store { report: e.into() },
        }
    }
}

struct Client {
    agent: Agent,
    link: Link,
    /// The fingerprint of the station's officers as this laptop holds them, named when it asks
    /// for its scopes (the station then leaves out a list that did not change).
    officers: String,
    /// Whether the station said it takes pushes gzip'd (its scopes, at the start of each sync).
    gzip_pushes: AtomicBool,
}

impl Client {
    fn new(link: Link) -> Result<Client, SyncError> {
        let certificate = tls::from_hex(&link.certificate)
            .filter(|c| !c.is_empty())
            .ok_or(SyncError::Protocol(
                "no pinned certificate for the station: enrol again".into(),
            ))?;
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .timeout_connect(Some(Duration::from_secs(5)))
            .tls_config(tls::pinned(&certificate))
            .build()
            .into();
        Ok(Client {
            agent,
            link,
            officers: String::new(),
            gzip_pushes: AtomicBool::new(false),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1/{path}", self.link.url.trim_end_matches('/'))
    }

    fn answer<T: DeserializeOwned>(
        &self,
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<T, SyncError> {
        let mut response = result.map_err(|e| self.transport_error(e))?;
        let status = response.status().as_u16();
        if status >= 400 {
            let body = response
                .body_mut()
                .read_json::<ApiErrorBody>()
                .unwrap_or_else(|_| ApiErrorBody {
                    error: String::new(),
                    message: "no reason given".into(),
                });
            return Err(match body.error.as_str() {
                refusals::WIPE => SyncError::WipeOrdered,
                refusals::REVOKED => SyncError::Revoked,
                _ => SyncError::Refused {
                    status,
                    message: body.message,
                },
            });
        }
        if status == 204 {
            return serde_json::from_value(serde_json::Value::Null)
                .map_err(|e| SyncError::Protocol(e.to_string()));
        }
        // The whole body first, then decoded from memory: `read_json` decodes from the stream a
        // byte at a time, and through the gzip decoder each byte was a call into zlib (a first
        // download took 6.4 s instead of 1.8 s with the pages compressed).
        let body = response
            .body_mut()
            .read_to_vec()
            .map_err(|e| self.transport_error(e))?;
        serde_json::from_slice(&body).map_err(|e| SyncError::Protocol(e.to_string()))
    }

    /// What a failed request or answer means for the officer. A connection cut or stalled — while
    /// sending, or while the answer comes in — is the calm "offline", tried again later; only an
    /// answer that arrived whole and makes no sense is a protocol error.
    fn transport_error(&self, e: ureq::Error) -> SyncError {
        match e {
            // A certificate other than the pinned one surfaces as an I/O error of the handshake.
            ureq::Error::Io(io) if is_bad_certificate(&io) => {
                SyncError::CertificateChanged(self.link.url.clone())
            }
            ureq::Error::Io(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
            | ureq::Error::Timeout(_) => SyncError::Unreachable(self.link.url.clone()),
            ureq::Error::Rustls(rustls::Error::InvalidCertificate(_)) => {
                SyncError::CertificateChanged(self.link.url.clone())
            }
            other => SyncError::Protocol(other.to_string()),
        }
    }

    fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, SyncError> {
        self.post_encoded(path, body, false)
    }

    /// `gzip`: the body goes gzip'd (a push to a station that takes it so).
    fn post_encoded<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        gzip: bool,
    ) -> Result<T, SyncError> {
        // Compact JSON: ureq's `send_json` pretty-prints (an indented line per value), some 40%
        // more bytes for the link to carry and the station to parse in every push.
        let mut body = serde_json::to_vec(body).map_err(|e| SyncError::Protocol(e.to_string()))?;
        let mut request = self
            .agent
            .post(&self.url(path))
            .header(
                "Authorization",
                &format!("Bearer {}", self.link.device_credential),
            )
            .header("Content-Type", "application/json");
        if gzip {
            body = gzipped(&body)?;
            request = request.header("Content-Encoding", doorstep_protocol::GZIP);
        }
        self.answer(request.send(&body[..]))
    }

    fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, SyncError> {
        let mut request = self.agent.get(&self.url(path)).header(
            "Authorization",
            &format!("Bearer {}", self.link.device_credential),
        );
        for (k, v) in query {
            request = request.query(*k, v);
        }
        self.answer(request.call())
    }
}

/// What enrolling told this laptop (never its credential, which stays in the database).
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct Enrolment {
    pub officer_name: String,
    pub beats: Vec<String>,
    /// SHA-256 of the station's certificate as pinned, to compare with the one the station prints.
    pub fingerprint: String,
}

/// Enrols this laptop with a station, using the one-time code its administrator issued for the
/// officer: pins the certificate the station presents, receives the laptop's own credential and
/// takes the officer's name and beats from the station's account.
pub fn enroll(store: &mut Store, url: &str, code: &str) -> Result<Enrolment, SyncError> {
    let url = url.trim().trim_end_matches('/').to_string();
    if !url.starts_with("https://") {
        return Err(SyncError::Protocol(
            "the station's address starts with https://".into(),
        ));
    }
    let certificate =
        tls::fetch_certificate(&url).map_err(|_| SyncError::Unreachable(url.clone()))?;
    let mut link = Link {
        url,
        device_credential: String::new(),
        certificate: tls::to_hex(&certificate),
        bundle_recipient: String::new(),
        answer_key: String::new(),
    };
    // A laptop whose first step is enrolling has no device yet: it enrols under a new identity,
    // and takes its officer and beats from the account.
    let (identity, acked_seq) = match store.device() {
        Ok(d) => ((d.device_id, d.officer_id), store.acked_seq()?),
        Err(doorstep_core::Error::NoDevice) => (
            (
                doorstep_core::ids::DeviceId::new(),
                doorstep_core::ids::OfficerId::new(),
            ),
            0,
        ),
        Err(e) => return Err(e.into()),
    };
    let answer: EnrollResponse = Client::new(link.clone())?.post(
        "enroll",
        &EnrollRequest {
            code: code.trim().to_string(),
            device_id: identity.0,
            officer_id: identity.1,
            acked_seq,
        },
    )?;
    store.init_enrolled_device(identity, &answer.officer_name, &answer.beats)?;
    store.adopt_scopes(&doorstep_core::store::scopes::WorkScope {
        beats: answer.beats.clone(),
        officer_name: answer.officer_name.clone(),
        account_id: answer.account_id.clone(),
        ..Default::default()
    })?;
    // Whatever this laptop pulled before came from another enrolment: download afresh.
    store.reset_pull_cursor()?;
    store.reset_scope_cursors()?;
    store.forget_station_lineage()?;
    link.device_credential = answer.device_credential;
    link.bundle_recipient = answer.bundle_recipient;
    store.set_station(&link)?;
    Ok(Enrolment {
        officer_name: answer.officer_name,
        beats: answer.beats,
        fingerprint: tls::fingerprint(&certificate),
    })
}

/// The fingerprint of the certificate this laptop pinned, for comparing with the station's.
pub fn pinned_fingerprint(store: &Store) -> Result<Option<String>, SyncError> {
    Ok(store
        .station()?
        .and_then(|l| tls::from_hex(&l.certificate))
        .map(|der| tls::fingerprint(&der)))
}

/// Pushes what the station has not acknowledged, then pulls what is new for this device's beats,
/// then sends and fetches photos' bytes.
pub fn sync(store: &mut Store, progress: impl FnMut(Progress)) -> Result<SyncReport, SyncError> {
    let client = client_of(store)?;
    sync_over(store, &client, progress)
}

/// The HTTPS client for this laptop's station.
fn client_of(store: &Store) -> Result<Client, SyncError> {
    // A link from before accounts (no credential, no pinned certificate) needs enrolling again.
    let link = store
        .station()?
        .filter(|l| !l.device_credential.is_empty() && !l.certificate.is_empty())
        .ok_or(SyncError::NotEnrolled)?;
    let mut client = Client::new(link)?;
    client.officers = store.officers_fingerprint()?;
    Ok(client)
}

/// What a sync asks of its station: the HTTPS client in the field, the station's store itself in
/// the simulation that checks the sync as a whole (`tests/sim`).
pub trait Transport {
    /// `None`: the link takes nothing more in this sync (an answer bundle holds no answer for
    /// this batch); the push ends there and the pull follows.
    fn push(&self, request: &PushRequest) -> Result<Option<PushResponse>, SyncError>;
    fn scopes(&self) -> Result<Scopes, SyncError>;
    /// `pushed`: the sequences this sync pushed, above the first up to the second (their records
    /// are not sent back as long as they are as pushed).
    fn pull(
        &self,
        device_id: DeviceId,
        scope: &str,
        cursor: i64,
        limit: u32,
        pushed: (i64, i64),
    ) -> Result<PullResponse, SyncError>;
    /// Photos' bytes, where the link carries them (an answer bundle does not).
    fn blobs(&self) -> Option<&dyn photos::BlobLink> {
        None
    }

    /// The same link, where another thread may use it: the next pull page is then fetched (and
    /// decoded) while this one is applied, and a push is sent (encoded, decided at the station)
    /// while the next batch is read from the change log. `None`: one thing after another.
    fn pull_ahead(&self) -> Option<&(dyn Transport + Sync)> {
        None
    }
}

impl Transport for Client {
    fn push(&self, request: &PushRequest) -> Result<Option<PushResponse>, SyncError> {
        let gzip = self.gzip_pushes.load(Ordering::Relaxed);
        self.post_encoded("push", request, gzip).map(Some)
    }

    fn scopes(&self) -> Result<Scopes, SyncError> {
        let scopes: Scopes = if self.officers.is_empty() {
            self.get("scopes", &[])?
        } else {
            self.get("scopes", &[("officers", self.officers.clone())])?
        };
        self.gzip_pushes.store(
            scopes
                .push_encodings
                .iter()
                .any(|e| e == doorstep_protocol::GZIP),
            Ordering::Relaxed,
        );
        Ok(scopes)
    }

    fn blobs(&self) -> Option<&dyn photos::BlobLink> {
        Some(self)
    }

    fn pull_ahead(&self) -> Option<&(dyn Transport + Sync)> {
        Some(self)
    }

    fn pull(
        &self,
        device_id: DeviceId,
        scope: &str,
        cursor: i64,
        limit: u32,
        pushed: (i64, i64),
    ) -> Result<PullResponse, SyncError> {
        self.get(
            "pull",
            &[
                ("device_id", device_id.to_string()),
                ("scope", scope.to_string()),
                ("cursor", cursor.to_string()),
                ("limit", limit.to_string()),
                ("pushed_after", pushed.0.to_string()),
                ("pushed_through", pushed.1.to_string()),
            ],
        )
    }
}

/// A sync over any link to the station.
pub fn sync_over(
    store: &mut Store,
    client: &impl Transport,
    mut progress: impl FnMut(Progress),
) -> Result<SyncReport, SyncError> {
    let device_id = store.device()?.device_id;
    // Where this laptop stands with the station comes first: a station restored from a backup
    // holds less than it acknowledged, and what it lost is sent again before anything new.
    let scopes = client.scopes()?;
    let rewind = store.follow_station(&scopes.standing)?;
    // The station's bundle key, for sync by USB stick (laptops enrolled before bundles learn it
    // here; a station whose key changed tells it here).
    if let Some(mut link) = store.station()?
        && !scopes.bundle_recipient.is_empty()
        && link.bundle_recipient != scopes.bundle_recipient
    {
        link.bundle_recipient = scopes.bundle_recipient.clone();
        store.set_station(&link)?;
    }
    let mut report = SyncReport {
        acked_seq: store.acked_seq()?,
        station_went_back: rewind.station_went_back,
        ..Default::default()
    };

    // The push's answers (the station's copies of refused records) and the pulled pages (records
    // in the station's order, a child before its parent) are written with foreign keys off,
    // switched once for the whole exchange: each switch makes SQLite recompile every prepared
    // statement.
    store.without_foreign_keys(|store| {
        let pushed = push(store, client, &mut report, &mut progress)?;
        pull(
            store,
            client,
            device_id,
            &scopes,
            pushed,
            &mut report,
            &mut progress,
        )
    })?;
    store.record_ack(report.acked_seq)?;
    // A station that went back lost the photos it had since; they are sent again whole.
    if rewind.station_went_back {
        store.upload_all_again()?;
    }
    if let Some(blobs) = client.blobs() {
        report.photos = photos::send_and_fetch(store, blobs, |sent, total| {
            progress(Progress::Photos { sent, total })
        })?;
    }
    Ok(report)
}

/// Takes the officer's scopes as the station's account says, then pulls each scope's pages from
/// its cursor and applies them (`pushed`: what this sync's push sent and the station took).
fn pull(
    store: &mut Store,
    client: &impl Transport,
    device_id: DeviceId,
    scopes: &Scopes,
    pushed: (i64, i64),
    report: &mut SyncReport,
    progress: &mut impl FnMut(Progress),
) -> Result<(), SyncError> {
    // What the officer works on now, as the station's account says: beats given or taken away
    // since the last sync take effect here (Today follows).
    let departed = store.adopt_scopes(&scopes.work)?;
    report.left_scope += departed.removed;
    report.kept_out_of_scope += departed.kept;
    let mut names: Vec<String> = scopes.work.beats.iter().map(|b| beat_scope(b)).collect();
    names.push(TASKS_SCOPE.to_string());
    for scope in names {
        let start = store.scope_cursor(&scope)?;
        let fetch = |link: &dyn Transport, cursor: i64| {
            link.pull(device_id, &scope, cursor, PULL_PAGE, pushed)
        };
        pull_pages(client, start, fetch, |page| {
            let departed = store.apply_scope_page(
                &scope,
                &page.records,
                &page.removed,
                page.cursor,
                page.station_time_ms,
            )?;
            note_skew(report, page.station_time_ms);
            report.left_scope += departed.removed;
            report.kept_out_of_scope += departed.kept;
            report.pulled += page.records.len() as u32;
            report.cursor = report.cursor.max(page.cursor);
            progress(Progress::Pulled {
                received: report.pulled,
                percent: percent(page.cursor - start, page.head - start, page.more),
            });
            Ok(())
        })?;
    }
    Ok(())
}

/// Fetches one scope's pull pages from `start` on and hands each to `apply`, in order, until the
/// station has no more. Over a link another thread may use, that thread fetches the next page
/// while `apply` writes this one (a first download is then about as long as the slower of the
/// two sides, not their sum); a page is applied only after the one before it was, so the cursor
/// a failed apply leaves is where the next sync starts, whatever was fetched beyond it.
fn pull_pages<T: Transport>(
    client: &T,
    start: i64,
    fetch: impl Fn(&dyn Transport, i64) -> Result<PullResponse, SyncError> + Sync,
    mut apply: impl FnMut(&PullResponse) -> Result<(), SyncError>,
) -> Result<(), SyncError> {
    let Some(link) = client.pull_ahead() else {
        let mut cursor = start;
        loop {
            let page = fetch(client, cursor)?;
            apply(&page)?;
            if !page.more {
                return Ok(());
            }
            cursor = page.cursor;
        }
    };
    std::thread::scope(|s| {
        // One page waits while one is applied and the next is fetched.
        let (pages, fetched) = std::sync::mpsc::sync_channel(1);
        // An applied page goes back to the fetching thread to be freed there: a page of a
        // thousand decoded records takes as long to free as a sixth of applying it, which the
        // applying thread (the slower side of a first download) then does not spend. The thread
        // that allocated the page frees it, so the two do not contend for its allocator arena.
        let (done, applied) = std::sync::mpsc::channel::<PullResponse>();
        let fetch = &fetch;
        s.spawn(move || {
            let mut cursor = start;
            loop {
                let page = fetch(link, cursor);
                applied.try_iter().for_each(drop);
                let next = page.as_ref().ok().filter(|p| p.more).map(|p| p.cursor);
                // A closed channel: the applying side stopped (an error); so does this one.
                if pages.send(page).is_err() {
                    return;
                }
                match next {
                    Some(c) => cursor = c,
                    None => return,
                }
            }
        });
        for page in fetched {
            let page = page?;
            apply(&page)?;
            // Once the fetching thread has ended, the last pages are freed here.
            let _ = done.send(page);
        }
        Ok(())
    })
}

/// How far off the station's clock this laptop's may be before the officer is told.
const CLOCK_TOLERANCE_MS: i64 = 5 * 60 * 1000;

/// Reports a laptop clock off the station's (`station_ms`, 0: not said) by more than the
/// tolerance. (The store takes the station's clock into its own with each answer it records.)
fn note_skew(report: &mut SyncReport, station_ms: i64) {
    if station_ms <= 0 {
        return;
    }
    let skew = chrono::Utc::now().timestamp_millis() - station_ms;
    if skew.abs() > CLOCK_TOLERANCE_MS {
        report.clock_skew_ms = Some(skew);
    }
}

/// A push's JSON gzip'd at the fastest level: a demo beat's 9 MB of changes travel as 1.5 MB
/// (BENCHMARKS.md). It is compressed on the thread that sends it, while the station decides the
/// batch before.
fn gzipped(body: &[u8]) -> Result<Vec<u8>, SyncError> {
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::fast(),
    );
    gz.write_all(body)
        .and_then(|()| gz.finish())
        .map_err(|e| SyncError::Protocol(format!("compressing a push: {e}")))
}

fn is_bad_certificate(e: &std::io::Error) -> bool {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .is_some_and(|e| matches!(e, rustls::Error::InvalidCertificate(_)))
}

/// How far along a download is, from versions: done when nothing more waits.
fn percent(done: i64, total: i64, more: bool) -> u8 {
    if !more || total <= 0 {
        return 100;
    }
    (done.clamp(0, total) * 100 / total).min(99) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A station of `pages` pull pages (cursor n → n + 1), the one from `fails_at` unreachable;
    /// `ahead`: whether the next page may be fetched on another thread (as over HTTPS).
    struct Pages {
        pages: i64,
        fails_at: Option<i64>,
        ahead: bool,
        fetched: Mutex<Vec<i64>>,
    }

    impl Pages {
        fn new(pages: i64, fails_at: Option<i64>, ahead: bool) -> Pages {
            Pages {
                pages,
                fails_at,
                ahead,
                fetched: Mutex::new(Vec::new()),
            }
        }

        fn fetched(&self) -> Vec<i64> {
            self.fetched.lock().unwrap().clone()
        }
    }

    impl Transport for Pages {
        fn push(&self, _: &PushRequest) -> Result<Option<PushResponse>, SyncError> {
            Err(SyncError::Protocol("no push in this test".into()))
        }

        fn scopes(&self) -> Result<Scopes, SyncError> {
            Err(SyncError::Protocol("no scopes in this test".into()))
        }

        fn pull(
            &self,
            _: DeviceId,
            _: &str,
            cursor: i64,
            _: u32,
            _: (i64, i64),
        ) -> Result<PullResponse, SyncError> {
            self.fetched.lock().unwrap().push(cursor);
            if self.fails_at == Some(cursor) {
                return Err(SyncError::Unreachable("cut".into()));
            }
            Ok(PullResponse {
                records: Vec::new(),
                removed: Vec::new(),
                cursor: cursor + 1,
                more: cursor + 1 < self.pages,
                head: self.pages,
                station_time_ms: 0,
            })
        }

        fn pull_ahead(&self) -> Option<&(dyn Transport + Sync)> {
            self.ahead.then_some(self as &(dyn Transport + Sync))
        }
    }

    fn fetch(link: &dyn Transport, cursor: i64) -> Result<PullResponse, SyncError> {
        link.pull(DeviceId::new(), "beat:1", cursor, PULL_PAGE, (0, 0))
    }

    #[test]
    fn pages_are_applied_in_order_whether_fetched_ahead_or_not() {
        for ahead in [false, true] {
            let station = Pages::new(7, None, ahead);
            let mut applied = Vec::new();
            pull_pages(&station, 0, fetch, |page| {
                applied.push(page.cursor);
                Ok(())
            })
            .unwrap();
            assert_eq!(applied, (1..=7).collect::<Vec<_>>(), "ahead: {ahead}");
            assert_eq!(station.fetched(), (0..7).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_page_that_cannot_be_fetched_ends_the_pull_after_the_pages_before_it() {
        for ahead in [false, true] {
            let station = Pages::new(7, Some(3), ahead);
            let mut applied = Vec::new();
            let outcome = pull_pages(&station, 0, fetch, |page| {
                applied.push(page.cursor);
                Ok(())
            });
            assert!(
                matches!(outcome, Err(SyncError::Unreachable(_))),
                "ahead: {ahead}"
            );
            assert_eq!(
                applied,
                vec![1, 2, 3],
                "the pages before the cut are applied"
            );
            assert_eq!(
                station.fetched(),
                vec![0, 1, 2, 3],
                "nothing asked past the cut"
            );
        }
    }

    #[test]
    fn a_page_that_cannot_be_applied_stops_the_fetching_too() {
        for ahead in [false, true] {
            let station = Pages::new(1000, None, ahead);
            let mut applied = Vec::new();
            let outcome = pull_pages(&station, 10, fetch, |page| {
                if page.cursor == 13 {
                    return Err(SyncError::Protocol("disk full".into()));
                }
                applied.push(page.cursor);
                Ok(())
            });
            assert!(
                matches!(outcome, Err(SyncError::Protocol(_))),
                "ahead: {ahead}"
            );
            assert_eq!(applied, vec![11, 12]);
            // At most the page being applied, the one waiting and the one being fetched.
            let fetched = station.fetched();
            assert!(fetched.len() <= 6, "fetching went on: {fetched:?}");
            assert_eq!(fetched[..3], [10, 11, 12]);
        }
    }

    #[test]
    fn download_progress_reaches_100_only_when_nothing_more_waits() {
        assert_eq!(percent(50, 200, true), 25);
        assert_eq!(percent(200, 200, true), 99, "a page may still follow");
        assert_eq!(percent(10, 200, false), 100);
        assert_eq!(percent(0, 0, true), 100, "nothing to download");
        assert_eq!(percent(-5, 100, true), 0);
    }
}
