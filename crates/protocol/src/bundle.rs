//! Sync by USB stick: a laptop that never reaches its station's network writes its unsent changes to
//! a **bundle file**, the station imports it with exactly the push's semantics and writes an
//! **answer bundle** (acknowledgements, the beats' records since the laptop's cursors), which the
//! laptop imports as if it had synced.
//!
//! A bundle on a stick may be found, copied or altered by anyone. So each one is:
//! - **encrypted** with [age] to its reader: a laptop's bundle to the station's bundle key (its
//!   public half learned at enrolment and at every sync, over the pinned TLS connection), the
//!   answer to a key the laptop made for answers and named inside its (encrypted) bundle;
//! - **signed** with HMAC-SHA256 keyed by the digest of the laptop's credential, which the laptop
//!   holds and the station keeps (never the credential itself): the station knows which laptop
//!   wrote it, and the laptop that its station answered;
//! - **whole or refused**: age authenticates every chunk and the end of the stream, so a truncated
//!   or altered file fails to open before anything in it is read.
//!
//! Inside: gzip of a JSON envelope (`format`, `kind`, `device_id`, the body as JSON text, its MAC).
//!
//! [age]: https://age-encryption.org/v1

use crate::{PullResponse, PushResponse, Scopes};
use doorstep_core::ids::DeviceId;
use doorstep_core::store::changes::Change;
use hmac::{Hmac, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::{Read, Write};

/// The envelope's format name; a bundle of another format is refused.
pub const FORMAT: &str = "doorstep-bundle/1";
/// The file name ending people see on the stick.
pub const EXTENSION: &str = "dsbundle";
/// The largest bundle a station or laptop opens (a week's work is a few megabytes).
pub const MAX_BYTES: usize = 512 * 1024 * 1024;

/// Who wrote a bundle, and for whom.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A laptop's changes, for its station.
    Push,
    /// The station's answer, for the laptop.
    Answer,
}

/// A laptop's bundle: everything it has not had acknowledged, and where its downloads stand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushBundle {
    /// Names this bundle; its answer names it again.
    pub bundle_id: String,
    pub device_id: DeviceId,
    /// When the laptop wrote it (the laptop's clock, for people).
    pub written_at: String,
    /// The laptop's acknowledged sequence when it wrote the bundle: `changes` follow it.
    pub acked_seq: i64,
    /// Every change after `acked_seq`, in order.
    pub changes: Vec<Change>,
    /// The laptop's download cursor per scope (`beat:NAME`, `tasks`); a scope not named starts at 0.
    pub cursors: BTreeMap<String, i64>,
    /// The age recipient (public key) the answer is to be encrypted to.
    pub answer_to: String,
    /// Photos' bytes the station has not acknowledged (each whole, checked against its address).
    #[serde(default)]
    pub blobs: Vec<BundleBlob>,
}

/// A photo's (or thumbnail's) bytes carried in a bundle, base64 in the JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleBlob {
    pub sha256: String,
    pub base64: String,
}

impl BundleBlob {
    pub fn new(sha256: &str, bytes: &[u8]) -> BundleBlob {
        use base64::Engine;
        BundleBlob {
            sha256: sha256.to_string(),
            base64: base64::engine::general_purpose::STANDARD.encode(bytes),
        }
    }

    /// The bytes, if they are what the address says (anything else is not taken).
    pub fn bytes(&self) -> Option<Vec<u8>> {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(&self.base64)
            .ok()?;
        (doorstep_core::photo::sha256_hex(&bytes) == self.sha256).then_some(bytes)
    }
}

/// One push batch of the bundle's changes as the station took it, and its answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchAnswer {
    /// The first and last device sequence of the batch.
    pub first_seq: i64,
    pub last_seq: i64,
    pub answer: PushResponse,
}

/// One pull page of a scope, with the cursor it was asked from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PulledPage {
    pub scope: String,
    pub from_cursor: i64,
    pub page: PullResponse,
}

/// The station's answer to a laptop's bundle: what a sync would have answered, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnswerBundle {
    /// The laptop bundle this answers.
    pub bundle_id: String,
    pub device_id: DeviceId,
    /// The station's clock when it wrote the answer (ms): an answer older than what the laptop
    /// has since heard from its station is not taken.
    pub station_time_ms: i64,
    /// What the account works on, and where the laptop stands, before the push (as a sync asks).
    pub scopes: Scopes,
    /// The push batches in order (the laptop's own batch size, so a laptop finds each again).
    pub batches: Vec<BatchAnswer>,
    /// Every page of every scope, in the order a sync would pull them.
    pub pages: Vec<PulledPage>,
    /// The station's bundle key, for the laptop's next bundle.
    pub bundle_recipient: String,
    /// The bundle's blobs the station now holds whole: the laptop's uploads of them are done.
    #[serde(default)]
    pub stored_blobs: Vec<String>,
    /// Thumbnails of the photos in `pages` this laptop may see.
    #[serde(default)]
    pub thumbs: Vec<BundleBlob>,
}

/// Why a bundle was not taken. The messages are for the person holding the stick.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BundleError {
    #[error(
        "this bundle is not addressed to this {0}: it was written for another station or laptop"
    )]
    NotAddressedHere(&'static str),
    #[error(
        "this bundle is damaged or incomplete (cut short, or altered after it was written): nothing in it was taken; write it again"
    )]
    Damaged,
    #[error("this bundle's signature does not match the laptop it names: nothing in it was taken")]
    BadSignature,
    #[error("this file is not a Doorstep bundle")]
    NotABundle,
    #[error("this is {found} bundle where {expected} bundle was expected")]
    WrongKind {
        found: &'static str,
        expected: &'static str,
    },
    #[error("this bundle is larger than {} MB", MAX_BYTES / 1024 / 1024)]
    TooLarge,
    #[error(
        "this laptop does not know its station's bundle key yet: sync once on the station's network (or enrol again) first"
    )]
    NoStationKey,
    #[error("this bundle cannot be written: {0}")]
    Write(String),
}

impl BundleError {
    /// A stable name of the reason, for the window to say it in the officer's language.
    pub fn code(&self) -> &'static str {
        match self {
            BundleError::NotAddressedHere(_) => "not_addressed_here",
            BundleError::Damaged => "damaged",
            BundleError::BadSignature => "bad_signature",
            BundleError::NotABundle => "not_a_bundle",
            BundleError::WrongKind { .. } => "wrong_kind",
            BundleError::TooLarge => "too_large",
            BundleError::NoStationKey => "no_station_key",
            BundleError::Write(_) => "write",
        }
    }
}

impl Kind {
    fn article(self) -> &'static str {
        match self {
            Kind::Push => "a laptop's",
            Kind::Answer => "a station's answer",
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    format: String,
    kind: Kind,
    device_id: DeviceId,
    /// The body as JSON text: the MAC covers these exact bytes.
    body: String,
    /// HMAC-SHA256, hex.
    mac: String,
}

/// The signing key of a laptop's bundles: the digest the station keeps of its credential (SHA-256,
/// lower-case hex), computed here from the credential on the laptop.
pub fn credential_digest(credential: &str) -> String {
    hex(&Sha256::digest(credential.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn mac(key_digest: &str, kind: Kind, device_id: DeviceId, body: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key_digest.as_bytes())
        .expect("HMAC takes a key of any length");
    let kind = match kind {
        Kind::Push => "push",
        Kind::Answer => "answer",
    };
    for part in [FORMAT, kind, &device_id.to_string(), body] {
        mac.update(part.as_bytes());
        mac.update(&[0]);
    }
    mac
}

/// A new key pair for answers (the laptop keeps the secret half in its encrypted database).
pub fn new_key() -> (String, String) {
    use age::secrecy::ExposeSecret;
    let identity = age::x25519::Identity::generate();
    (
        identity.to_string().expose_secret().to_string(),
        identity.to_public().to_string(),
    )
}

/// The public half of a secret key, or `None` when `secret` is not one.
pub fn public_of(secret: &str) -> Option<String> {
    secret
        .parse::<age::x25519::Identity>()
        .ok()
        .map(|i| i.to_public().to_string())
}

/// Writes a bundle: `body` signed for `device_id` with `key_digest`, encrypted to `recipient`.
pub fn seal(
    kind: Kind,
    device_id: DeviceId,
    body: &impl Serialize,
    key_digest: &str,
    recipient: &str,
) -> Result<Vec<u8>, BundleError> {
    let recipient: age::x25519::Recipient = recipient
        .parse()
        .map_err(|e: &str| BundleError::Write(format!("the reader's key is not valid: {e}")))?;
    let body = serde_json::to_string(body).map_err(|e| BundleError::Write(e.to_string()))?;
    let mac = hex(&mac(key_digest, kind, device_id, &body)
        .finalize()
        .into_bytes());
    let envelope = Envelope {
        format: FORMAT.into(),
        kind,
        device_id,
        body,
        mac,
    };
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    serde_json::to_writer(&mut gz, &envelope).map_err(|e| BundleError::Write(e.to_string()))?;
    let plain = gz.finish().map_err(|e| BundleError::Write(e.to_string()))?;
    age::encrypt(&recipient, &plain).map_err(|e| BundleError::Write(e.to_string()))
}

/// A bundle decrypted and whole, not yet checked against its writer's key.
pub struct Opened {
    kind: Kind,
    device_id: DeviceId,
    body: String,
    mac: String,
}

/// Opens a bundle with the reader's secret key: refused when it is for someone else, damaged or
/// cut short, or not a bundle at all. Nothing of it is trusted until [`Opened::verify`].
pub fn open(bytes: &[u8], secret: &str, reader: &'static str) -> Result<Opened, BundleError> {
    if bytes.len() > MAX_BYTES {
        return Err(BundleError::TooLarge);
    }
    let identity: age::x25519::Identity = secret
        .parse()
        .map_err(|_| BundleError::Write("this side's bundle key is not valid".into()))?;
    // Every bundle starts with age's header line; a file that does not is something else.
    if !bytes.starts_with(b"age-encryption.org/") {
        return Err(BundleError::NotABundle);
    }
    let plain = age::decrypt(&identity, bytes).map_err(|e| match e {
        age::DecryptError::NoMatchingKeys => BundleError::NotAddressedHere(reader),
        _ => BundleError::Damaged,
    })?;
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(plain.as_slice())
        .take(MAX_BYTES as u64 * 4)
        .read_to_end(&mut json)
        .map_err(|_| BundleError::Damaged)?;
    let envelope: Envelope = serde_json::from_slice(&json).map_err(|_| BundleError::NotABundle)?;
    if envelope.format != FORMAT {
        return Err(BundleError::NotABundle);
    }
    Ok(Opened {
        kind: envelope.kind,
        device_id: envelope.device_id,
        body: envelope.body,
        mac: envelope.mac,
    })
}

impl Opened {
    /// The laptop the bundle says it is from (or for): the reader looks up its key by it.
    pub fn device_id(&self) -> DeviceId {
        self.device_id
    }

    /// Checks the signature with the writer's key and the kind, then reads the body.
    pub fn verify<T: DeserializeOwned>(
        self,
        expected: Kind,
        key_digest: &str,
    ) -> Result<T, BundleError> {
        let given = decode_hex(&self.mac).ok_or(BundleError::BadSignature)?;
        mac(key_digest, self.kind, self.device_id, &self.body)
            .verify_slice(&given)
            .map_err(|_| BundleError::BadSignature)?;
        if self.kind != expected {
            return Err(BundleError::WrongKind {
                found: self.kind.article(),
                expected: expected.article(),
            });
        }
        serde_json::from_str(&self.body).map_err(|_| BundleError::NotABundle)
    }
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A fresh bundle id.
pub fn new_bundle_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Writes `bytes` to `path` whole or not at all (a temporary file beside it, flushed, renamed).
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Body {
        text: String,
    }

    fn body() -> Body {
        Body {
            text: "张三 家访 记录".repeat(50),
        }
    }

    fn device() -> DeviceId {
        DeviceId::new()
    }

    #[test]
    fn a_bundle_opens_for_its_reader_with_its_writers_key() {
        let (secret, public) = new_key();
        let key = credential_digest("d.secret");
        let device = device();
        let bytes = seal(Kind::Push, device, &body(), &key, &public).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("张三"),
            "nothing readable on the stick"
        );
        let opened = open(&bytes, &secret, "station").unwrap();
        assert_eq!(opened.device_id(), device);
        assert_eq!(opened.verify::<Body>(Kind::Push, &key).unwrap(), body());
    }

    #[test]
    fn another_readers_bundle_is_not_addressed_here() {
        let (_, public) = new_key();
        let (other_secret, _) = new_key();
        let bytes = seal(Kind::Push, device(), &body(), "k", &public).unwrap();
        assert_eq!(
            open(&bytes, &other_secret, "station").err(),
            Some(BundleError::NotAddressedHere("station"))
        );
    }

    #[test]
    fn a_cut_or_altered_bundle_is_damaged_wherever_it_is_touched() {
        let (secret, public) = new_key();
        let bytes = seal(Kind::Push, device(), &body(), "k", &public).unwrap();
        for cut in [bytes.len() - 1, bytes.len() - 17, bytes.len() / 2, 200] {
            let err = open(&bytes[..cut], &secret, "station").err();
            assert!(
                matches!(err, Some(BundleError::Damaged)),
                "cut at {cut}: {err:?}"
            );
        }
        for at in [bytes.len() - 1, bytes.len() / 2, bytes.len() - 40] {
            let mut altered = bytes.clone();
            altered[at] ^= 0x01;
            let err = open(&altered, &secret, "station").err();
            assert!(
                matches!(err, Some(BundleError::Damaged)),
                "flipped at {at}: {err:?}"
            );
        }
    }

    #[test]
    fn a_signature_by_another_key_or_for_another_kind_is_refused() {
        let (secret, public) = new_key();
        let bytes = seal(Kind::Push, device(), &body(), "laptop key", &public).unwrap();
        let opened = open(&bytes, &secret, "station").unwrap();
        assert_eq!(
            opened.verify::<Body>(Kind::Push, "another key").err(),
            Some(BundleError::BadSignature)
        );
        let opened = open(&bytes, &secret, "station").unwrap();
        assert!(matches!(
            opened.verify::<Body>(Kind::Answer, "laptop key").err(),
            Some(BundleError::WrongKind { .. })
        ));
    }

    #[test]
    fn a_file_that_is_no_bundle_says_so() {
        let (secret, _) = new_key();
        for junk in [&b""[..], b"hello", b"PK\x03\x04 a zip file"] {
            assert_eq!(
                open(junk, &secret, "station").err(),
                Some(BundleError::NotABundle)
            );
        }
    }

    #[test]
    fn an_envelope_whose_device_was_changed_fails_its_signature() {
        // Re-sealing the same body under another device's name, without that device's key.
        let (secret, public) = new_key();
        let bytes = seal(Kind::Push, device(), &body(), "k", &public).unwrap();
        let opened = open(&bytes, &secret, "station").unwrap();
        let forged = Envelope {
            format: FORMAT.into(),
            kind: opened.kind,
            device_id: device(),
            body: opened.body.clone(),
            mac: opened.mac.clone(),
        };
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        serde_json::to_writer(&mut gz, &forged).unwrap();
        let recipient: age::x25519::Recipient = public.parse().unwrap();
        let bytes = age::encrypt(&recipient, &gz.finish().unwrap()).unwrap();
        let opened = open(&bytes, &secret, "station").unwrap();
        assert_eq!(
            opened.verify::<Body>(Kind::Push, "k").err(),
            Some(BundleError::BadSignature)
        );
    }
}
