//! What every handler shares: the database pools and how cookies are set.

use crate::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    /// Session cookies are marked `Secure` when the bureau serves HTTPS.
    pub secure_cookies: bool,
    /// The bureau's name, as stations and pages show it.
    pub name: String,
}
