//! The field side of sync, over the core's store and the protocol's wire types.
//!
//! A sync pushes the change log from the station's last acknowledgement, in batches, recording each
//! acknowledgement as it comes (a cut connection resumes from there), then pulls the beats' records
//! from the saved cursor, page by page, each page applied with its cursor in one transaction.
//! Nothing is lost when the station is unreachable: work goes on offline and the next sync sends it.

use doorstep_core::Store;
use doorstep_core::store::remote::StationLink;
use doorstep_protocol::{ApiErrorBody, DeviceInfo, PullResponse, PushRequest, PushResponse};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;
use ureq::Agent;

/// Changes per push (the station takes up to `limits::MAX_BATCH`).
pub const PUSH_BATCH: u32 = 500;
/// Records per pull page.
pub const PULL_PAGE: u32 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("the station at {0} cannot be reached; work continues offline and syncs later")]
    Unreachable(String),
    #[error("the station refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("this device is not linked to a station; enroll first")]
    NotEnrolled,
    #[error(transparent)]
    Store(#[from] doorstep_core::Error),
    #[error("unexpected answer from the station: {0}")]
    Protocol(String),
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
    pub pulled: u32,
    #[ts(type = "number")]
    pub cursor: i64,
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
}

/// A sync failure as the UI receives it (tagged by `kind`).
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[ts(export)]
pub enum SyncErrorReport {
    Unreachable { url: String },
    Refused { status: u16, message: String },
    NotEnrolled,
    Protocol { message: String },
    Store { report: doorstep_core::ErrorReport },
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
            SyncError::Protocol(m) => SyncErrorReport::Protocol { message: m.clone() },
            SyncError::Store(e) => SyncErrorReport::Store { report: e.into() },
        }
    }
}

struct Client {
    agent: Agent,
    link: StationLink,
}

impl Client {
    fn new(link: StationLink) -> Client {
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .timeout_connect(Some(Duration::from_secs(5)))
            .build()
            .into();
        Client { agent, link }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1/{path}", self.link.url.trim_end_matches('/'))
    }

    fn answer<T: DeserializeOwned>(
        &self,
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<T, SyncError> {
        let mut response = result.map_err(|e| match e {
            ureq::Error::Io(_)
            | ureq::Error::ConnectionFailed
            | ureq::Error::HostNotFound
            | ureq::Error::Timeout(_) => SyncError::Unreachable(self.link.url.clone()),
            other => SyncError::Protocol(other.to_string()),
        })?;
        let status = response.status().as_u16();
        if status >= 400 {
            let message = response
                .body_mut()
                .read_json::<ApiErrorBody>()
                .map(|b| b.message)
                .unwrap_or_else(|_| "no reason given".into());
            return Err(SyncError::Refused { status, message });
        }
        if status == 204 {
            return serde_json::from_value(serde_json::Value::Null)
                .map_err(|e| SyncError::Protocol(e.to_string()));
        }
        response
            .body_mut()
            .read_json::<T>()
            .map_err(|e| SyncError::Protocol(e.to_string()))
    }

    fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, SyncError> {
        let result = self
            .agent
            .post(&self.url(path))
            .header("Authorization", &format!("Bearer {}", self.link.password))
            .send_json(body);
        self.answer(result)
    }

    fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, SyncError> {
        let mut request = self
            .agent
            .get(&self.url(path))
            .header("Authorization", &format!("Bearer {}", self.link.password));
        for (k, v) in query {
            request = request.query(*k, v);
        }
        self.answer(request.call())
    }
}

/// Links this device to a station and introduces it (officer, beats). Done once per station.
pub fn enroll(store: &mut Store, link: StationLink) -> Result<(), SyncError> {
    let device = store.device()?.clone();
    let info = DeviceInfo {
        device_id: device.device_id,
        officer_id: device.officer_id,
        officer_name: device.officer_name,
        beats: device.beats,
    };
    let client = Client::new(link.clone());
    let _: () = client.post("devices", &info)?;
    store.set_station(&link)?;
    Ok(())
}

/// Pushes what the station has not acknowledged, then pulls what is new for this device's beats.
pub fn sync(
    store: &mut Store,
    mut progress: impl FnMut(Progress),
) -> Result<SyncReport, SyncError> {
    let link = store.station()?.ok_or(SyncError::NotEnrolled)?;
    let device_id = store.device()?.device_id;
    let client = Client::new(link);
    let mut report = SyncReport {
        acked_seq: store.acked_seq()?,
        ..Default::default()
    };

    loop {
        let batch = store.changes_after(report.acked_seq, PUSH_BATCH)?;
        if batch.is_empty() {
            break;
        }
        let sent = batch.len() as u32;
        let answer: PushResponse = client.post(
            "push",
            &PushRequest {
                device_id,
                changes: batch,
            },
        )?;
        if answer.acked_seq <= report.acked_seq {
            // The station holds nothing new from us: a gap it is waiting for. Stop rather than loop.
            return Err(SyncError::Protocol(format!(
                "the station acknowledged no progress past {}",
                answer.acked_seq
            )));
        }
        store.record_ack(answer.acked_seq)?;
        report.pushed += sent;
        report.acked_seq = answer.acked_seq;
        report.conflicts += answer.conflicts;
        progress(Progress::Pushed {
            sent: report.pushed,
            remaining: store.sync_status()?.unsent,
        });
    }

    report.cursor = store.pull_cursor()?;
    let start = report.cursor;
    loop {
        let page: PullResponse = client.get(
            "pull",
            &[
                ("device_id", device_id.to_string()),
                ("cursor", report.cursor.to_string()),
                ("limit", PULL_PAGE.to_string()),
            ],
        )?;
        store.apply_pulled(&page.records, page.cursor)?;
        report.pulled += page.records.len() as u32;
        report.cursor = page.cursor;
        progress(Progress::Pulled {
            received: report.pulled,
            percent: percent(page.cursor - start, page.head - start, page.more),
        });
        if !page.more {
            break;
        }
    }
    store.record_ack(report.acked_seq)?;
    Ok(report)
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
    use super::percent;

    #[test]
    fn download_progress_reaches_100_only_when_nothing_more_waits() {
        assert_eq!(percent(50, 200, true), 25);
        assert_eq!(percent(200, 200, true), 99, "a page may still follow");
        assert_eq!(percent(10, 200, false), 100);
        assert_eq!(percent(0, 0, true), 100, "nothing to download");
        assert_eq!(percent(-5, 100, true), 0);
    }
}
