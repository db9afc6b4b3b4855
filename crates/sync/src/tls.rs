//! The station's certificate, pinned: at enrolment the laptop records the certificate the station
//! presents (the station made it itself at first start; no public authority vouches for it), and
//! from then on trusts that certificate alone. A different certificate afterwards — a new machine
//! pretending to be the station, or one listening in between — fails the handshake.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Accepts whatever certificate the server shows (after checking the server holds its key) and
/// remembers it: used once, at enrolment, to learn the certificate to pin.
#[derive(Debug)]
struct Remember {
    seen: Mutex<Option<Vec<u8>>>,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Remember {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(end_entity.to_vec());
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The host and port of an `https://` address.
fn host_port(url: &str) -> Option<(String, u16)> {
    let uri: ureq::http::Uri = url.parse().ok()?;
    if uri.scheme_str() != Some("https") {
        return None;
    }
    let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
    Some((host.to_string(), uri.port_u16().unwrap_or(443)))
}

/// The certificate the server at `url` presents, from a TLS handshake of its own.
pub fn fetch_certificate(url: &str) -> Result<Vec<u8>, String> {
    let (host, port) = host_port(url).ok_or("the station's address must start with https://")?;
    let remember = Arc::new(Remember {
        seen: Mutex::new(None),
        provider: provider(),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(remember.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(host.clone()).map_err(|e| e.to_string())?;
    let mut conn =
        rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    let address = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or("the station's address does not resolve")?;
    let mut socket =
        TcpStream::connect_timeout(&address, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    while conn.is_handshaking() {
        conn.complete_io(&mut socket).map_err(|e| e.to_string())?;
    }
    // Close politely; the answer does not matter.
    conn.send_close_notify();
    let _ = conn.complete_io(&mut socket);
    let _ = socket.flush();
    let _ = socket.read(&mut [0u8; 1]);
    let seen = remember
        .seen
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    seen.ok_or_else(|| "the station presented no certificate".into())
}

/// TLS settings that trust exactly the pinned certificate.
pub fn pinned(certificate_der: &[u8]) -> ureq::tls::TlsConfig {
    let certificate = ureq::tls::Certificate::from_der(certificate_der).to_owned();
    ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::Specific(Arc::new(vec![certificate])))
        .unversioned_rustls_crypto_provider(provider())
        .build()
}

pub fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn from_hex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The SHA-256 fingerprint people compare (the station prints its own at start).
pub fn fingerprint(certificate_der: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(certificate_der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_addresses_are_accepted() {
        assert_eq!(
            host_port("https://192.168.1.10:8470"),
            Some(("192.168.1.10".into(), 8470))
        );
        assert_eq!(host_port("https://station"), Some(("station".into(), 443)));
        assert_eq!(host_port("http://192.168.1.10:8470"), None);
    }

    #[test]
    fn hex_round_trips_and_refuses_odd_input() {
        assert_eq!(from_hex(&to_hex(&[0, 255, 16])), Some(vec![0, 255, 16]));
        assert_eq!(from_hex("abc"), None);
        assert_eq!(from_hex("zz"), None);
    }
}
