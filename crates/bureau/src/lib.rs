//! The bureau (市/区公安局) above the stations: every station's records in one PostgreSQL, replicated
//! upward by the stations; city-wide reports; a person or address looked up across stations (each
//! look-up audited with its reason); and the oversight of complaints about the police by the
//! bureau's inspectors (督察), whose flags travel back down to the station.
//!
//! - [`db`]: the connection pools (primary, and a read replica with its lag bound) and migrations;
//! - [`store`]: what the bureau stores and reads, in the domain's words, on PostgreSQL;
//! - [`api`]: the HTTP API and pages;
//! - [`tls`]: the bureau's own certificate (stations pin it at enrolment).

pub mod api;
pub mod db;
pub mod store;
pub mod tls {
    //! The bureau's certificate: made at first start and pinned by the stations at enrolment, exactly
    //! as a station's is by its laptops (the station's code, reused).
    pub use doorstep_station::tls::Identity;
}
