//! The bureau's connections to a PostgreSQL on another machine, encrypted: given the certificate
//! authority of the server's certificate it connects over TLS and checks the server; a server whose
//! certificate another authority signed is refused at start with the reason.

use super::bureau::Bureau;
use super::postgres::Postgres;
use super::support::built_binary;
use std::process::Command;

/// A certificate authority, and a certificate for 127.0.0.1 it signed: (authority PEM, server
/// certificate PEM, server key PEM).
fn authority_and_server() -> (String, String, String) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "测试市公安局 数据库 CA");
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = rcgen::KeyPair::generate().unwrap();
    let server = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    (ca.pem(), server.pem(), key.serialize_pem())
}

#[test]
fn the_bureau_talks_to_its_database_over_tls_and_refuses_a_server_it_cannot_trust() {
    let (ca, cert, key) = authority_and_server();
    let pg = Postgres::start_with_tls(&cert, &key);
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("db-ca.pem");
    std::fs::write(&ca_file, &ca).unwrap();

    // `sslmode=require`: a connection without TLS would be refused, so the bureau working at all
    // says its connections are encrypted; the server's own view confirms it.
    let database = format!("{} sslmode=require", pg.url());
    let bureau = Bureau::start_on(&database, &["--database-ca", ca_file.to_str().unwrap()]);
    let overview = bureau.get_json("/api/v1/overview", &bureau.admin_token);
    assert_eq!(overview["total"]["households"], 0, "{overview}");
    let encrypted: i64 = pg
        .psql("SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE s.ssl AND a.datname = 'bureau'")
        .parse()
        .unwrap();
    assert!(encrypted >= 1, "the bureau's connections use TLS");

    // Another authority's certificate: the bureau does not start, and says why.
    let (other_ca, _, _) = authority_and_server();
    let other = dir.path().join("other-ca.pem");
    std::fs::write(&other, other_ca).unwrap();
    let data = tempfile::tempdir().unwrap();
    let refused = Command::new(built_binary("doorstep-bureau"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .args(["--database", &database, "--database-ca"])
        .arg(&other)
        .env("DOORSTEP_LOG", "warn")
        .output()
        .unwrap();
    assert!(!refused.status.success(), "a server it cannot trust");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("certificate"), "{said}");

    // A file that is not a certificate authority: refused with the file named, in one line (no
    // backtrace, even with RUST_BACKTRACE set, as servers often have it).
    std::fs::write(&other, "not a certificate").unwrap();
    let refused = Command::new(built_binary("doorstep-bureau"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data.path())
        .args(["--database", &database, "--database-ca"])
        .arg(&other)
        .env("RUST_BACKTRACE", "1")
        .env("DOORSTEP_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("other-ca.pem"), "{said}");
    assert!(said.starts_with("doorstep-bureau: "), "{said}");
    assert_eq!(said.trim_end().lines().count(), 1, "{said}");
}
