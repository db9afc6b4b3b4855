//! The station's HTTPS certificate: made by the station itself at first start (`DIR/tls/`), since
//! a police station's server on its own network has no public name a public authority could vouch
//! for. Laptops pin it at enrolment (see the sync crate), so it must stay the same: it is made once
//! and kept. Its names are the ones laptops may use to reach the station (localhost, this machine's
//! name, and every `--tls-name`); a new name needs a new certificate, and every laptop enrolling
//! again.

use anyhow::Context;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::Digest;
use std::path::Path;
use std::sync::Arc;

/// The certificate and key the station serves with.
pub struct Identity {
    pub certificate: Vec<u8>,
    key: Vec<u8>,
}

impl Identity {
    /// Loads the station's certificate, or makes one naming `names` (and the local names).
    pub fn load_or_create(dir: &Path, names: &[String]) -> anyhow::Result<Identity> {
        let (cert_path, key_path) = (dir.join("cert.der"), dir.join("key.der"));
        if cert_path.exists() && key_path.exists() {
            return Ok(Identity {
                certificate: std::fs::read(&cert_path)?,
                key: std::fs::read(&key_path)?,
            });
        }
        std::fs::create_dir_all(dir)?;
        let mut all: Vec<String> = vec!["localhost".into(), "127.0.0.1".into(), "::1".into()];
        if let Ok(host) = std::fs::read_to_string("/proc/sys/kernel/hostname") {
            all.push(host.trim().to_string());
        }
        all.extend(names.iter().map(|n| n.trim().to_string()));
        all.retain(|n| !n.is_empty());
        all.dedup();
        let made = rcgen::generate_simple_self_signed(all).context("making the certificate")?;
        let identity = Identity {
            certificate: made.cert.der().to_vec(),
            key: made.key_pair.serialize_der(),
        };
        write_private(&key_path, &identity.key)?;
        std::fs::write(&cert_path, &identity.certificate)?;
        std::fs::write(dir.join("cert.pem"), made.cert.pem())?;
        Ok(identity)
    }

    /// The SHA-256 fingerprint people compare with what a laptop shows after enrolling.
    pub fn fingerprint(&self) -> String {
        sha2::Sha256::digest(&self.certificate)
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":")
    }

    /// The server's TLS settings (the aws-lc-rs provider, named explicitly).
    pub fn server_config(&self) -> anyhow::Result<Arc<rustls::ServerConfig>> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_single_cert(
                vec![CertificateDer::from(self.certificate.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key.clone())),
            )
            .context("the station's certificate and key do not fit together")?;
        Ok(Arc::new(config))
    }
}

/// Writes the private key readable by the station's user only.
fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_certificate_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let first = Identity::load_or_create(dir.path(), &["192.168.1.10".into()]).unwrap();
        let again = Identity::load_or_create(dir.path(), &[]).unwrap();
        assert_eq!(first.certificate, again.certificate);
        assert_eq!(first.fingerprint().len(), 32 * 3 - 1);
        first.server_config().unwrap();
    }
}
