//! The laptop database, encrypted: the whole file (records, change log, drafts) is SQLCipher with a
//! 256-bit key derived from the officer's passphrase by Argon2id.
//!
//! The key goes to SQLCipher raw (`x'…'`), so SQLCipher's own, weaker key derivation is skipped; the
//! Argon2id salt is the 16 random bytes SQLCipher keeps in plain at the start of the file, which is
//! why no file besides the database is needed to open it. A passphrase given wrong five times in a
//! row locks the door for [`LOCKOUT_SECS`] (kept in `<db>.attempts`, beside the database, so a
//! restart does not reset it). That only slows down guessing through the app; against a stolen
//! file, what protects the data is Argon2id's cost per guess and the passphrase itself.

use super::Store;
use crate::error::{Error, Result};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Wrong passphrases in a row before the app stops trying for a while.
pub const MAX_ATTEMPTS: u32 = 5;
pub const LOCKOUT_SECS: i64 = 5 * 60;
/// The shortest passphrase an officer may choose.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

const SALT_LEN: usize = 16;
const PLAINTEXT_HEADER: &[u8; 16] = b"SQLite format 3\0";
/// SQLCipher's page size: an encrypted file is a whole number of pages.
const PAGE: u64 = 4096;

/// A database key: the Argon2id output and the salt it was made with. Wiped from memory when
/// dropped.
#[derive(Clone)]
pub struct DbKey {
    key: [u8; 32],
    salt: [u8; SALT_LEN],
}

impl Drop for DbKey {
    fn drop(&mut self) {
        // Volatile-free wipe is best effort; it keeps the key out of memory dumps after a lock.
        self.key.iter_mut().for_each(|b| *b = 0);
    }
}

impl std::fmt::Debug for DbKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DbKey(…)")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl DbKey {
    /// Derives the key for `passphrase` with `salt` (Argon2id: 64 MiB, 3 passes).
    pub fn derive(passphrase: &str, salt: [u8; SALT_LEN]) -> Result<DbKey> {
        let params = argon2::Params::new(64 * 1024, 3, 1, Some(32))
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        let argon =
            argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut key = [0u8; 32];
        argon
            .hash_password_into(passphrase.as_bytes(), &salt, &mut key)
            .map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        Ok(DbKey { key, salt })
    }

    /// Whether `passphrase` is the one this key was derived from.
    pub fn matches(&self, passphrase: &str) -> Result<bool> {
        Ok(DbKey::derive(passphrase, self.salt)?.key == self.key)
    }

    /// The key with a fresh random salt, for a new database.
    fn fresh(passphrase: &str) -> Result<DbKey> {
        let mut salt = [0u8; SALT_LEN];
        getrandom::fill(&mut salt).map_err(|e| Error::Io(std::io::Error::other(e.to_string())))?;
        DbKey::derive(passphrase, salt)
    }

    /// SQLCipher's raw key with the salt to write into a new file.
    pub(crate) fn pragma(&self) -> String {
        format!("\"x'{}{}'\"", hex(&self.key), hex(&self.salt))
    }
}

/// What the file at a path is, before any passphrase is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum FileState {
    /// No database yet: the officer chooses a passphrase.
    Missing,
    /// A database from before encryption: the officer chooses a passphrase and it is encrypted.
    Plain,
    /// An encrypted database: the officer types the passphrase.
    Encrypted,
    /// Neither (a file saved over the database, cut short): it is left alone and explained.
    Damaged,
}

pub fn file_state(path: &Path) -> FileState {
    let Ok(meta) = std::fs::metadata(path) else {
        return FileState::Missing;
    };
    if meta.len() == 0 {
        return FileState::Missing;
    }
    let mut header = [0u8; 16];
    let read = std::fs::File::open(path).and_then(|mut f| {
        use std::io::Read;
        f.read_exact(&mut header)
    });
    if read.is_ok() && &header == PLAINTEXT_HEADER {
        FileState::Plain
    } else if read.is_ok() && meta.len() % PAGE == 0 {
        FileState::Encrypted
    } else {
        FileState::Damaged
    }
}

fn salt_of(path: &Path) -> Result<[u8; SALT_LEN]> {
    use std::io::Read;
    let mut salt = [0u8; SALT_LEN];
    std::fs::File::open(path)?.read_exact(&mut salt)?;
    Ok(salt)
}

/// Wrong passphrases so far, and until when the door stays shut.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Attempts {
    failures: u32,
    locked_until: i64,
}

fn attempts_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".attempts");
    PathBuf::from(p)
}

fn load_attempts(db: &Path) -> Attempts {
    std::fs::read_to_string(attempts_path(db))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

fn save_attempts(db: &Path, a: &Attempts) -> Result<()> {
    if *a == Attempts::default() {
        match std::fs::remove_file(attempts_path(db)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => return Ok(()),
        }
    }
    std::fs::write(attempts_path(db), serde_json::to_string(a)?)?;
    Ok(())
}

fn now_unix() -> i64 {
    chrono::Utc::now().timestamp()
}

fn open_keyed_conn(path: &Path, key: &DbKey) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    // A wrong key is reported to the caller; SQLCipher need not also print it. The key must come
    // before anything reads the file.
    conn.execute_batch(&format!(
        "PRAGMA cipher_log_level = NONE; PRAGMA key = {};",
        key.pragma()
    ))?;
    Ok(conn)
}

/// Opens an encrypted database with `passphrase` (and the salt in its first bytes), without the
/// attempt count of [`Store::unlock`]: for a backup, which is not the app's door. A wrong
/// passphrase is [`Error::Corrupt`], as SQLCipher cannot tell it from a damaged file.
pub(crate) fn open_keyed_with_salt(path: &Path, passphrase: &str) -> Result<Store> {
    let key = DbKey::derive(passphrase, salt_of(path)?)?;
    Store::open_keyed(path, &key)
}

impl Store {
    /// Opens (or, if there is none, creates) the encrypted database at `path` with the officer's
    /// passphrase. A wrong passphrase is [`Error::WrongPassphrase`] with the tries left, and after
    /// [`MAX_ATTEMPTS`] of them [`Error::LockedOut`]; the file is never touched by a wrong try.
    pub fn unlock(path: &Path, passphrase: &str) -> Result<(Store, DbKey)> {
        let mut attempts = load_attempts(path);
        let now = now_unix();
        if attempts.locked_until > now {
            return Err(Error::LockedOut {
                seconds: attempts.locked_until - now,
            });
        }
        let key = match file_state(path) {
            FileState::Missing => {
                check_passphrase(passphrase)?;
                DbKey::fresh(passphrase)?
            }
            FileState::Encrypted => DbKey::derive(passphrase, salt_of(path)?)?,
            FileState::Plain => return Err(Error::NotEncrypted),
            FileState::Damaged => return Err(Error::Corrupt),
        };
        match Store::open_keyed(path, &key) {
            Ok(store) => {
                save_attempts(path, &Attempts::default())?;
                Ok((store, key))
            }
            Err(Error::Corrupt) => {
                attempts.failures += 1;
                let left = MAX_ATTEMPTS.saturating_sub(attempts.failures);
                if left == 0 {
                    attempts = Attempts {
                        failures: 0,
                        locked_until: now + LOCKOUT_SECS,
                    };
                }
                save_attempts(path, &attempts)?;
                Err(if left == 0 {
                    Error::LockedOut {
                        seconds: LOCKOUT_SECS,
                    }
                } else {
                    Error::WrongPassphrase { left }
                })
            }
            Err(e) => Err(e),
        }
    }

    /// Another connection to an unlocked database (the sync's), with the key it was unlocked with.
    pub fn open_keyed(path: &Path, key: &DbKey) -> Result<Store> {
        Self::setup(open_keyed_conn(path, key)?)
    }

    /// Encrypts a database from before encryption with a new passphrase: the records are copied
    /// into an encrypted file beside it, which then replaces it (a rename: a crash leaves one or
    /// the other, whole).
    pub fn encrypt_plain(path: &Path, passphrase: &str) -> Result<(Store, DbKey)> {
        check_passphrase(passphrase)?;
        if file_state(path) != FileState::Plain {
            return Err(Error::Corrupt);
        }
        let key = DbKey::fresh(passphrase)?;
        let mut target = path.as_os_str().to_owned();
        target.push(".encrypting");
        let target = PathBuf::from(target);
        let _ = std::fs::remove_file(&target);
        {
            let plain = Connection::open(path)?;
            plain.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
            let version: i64 = plain.query_row("PRAGMA user_version", [], |r| r.get(0))?;
            plain.execute(
                &format!("ATTACH DATABASE ?1 AS encrypted KEY {}", key.pragma()),
                [target.to_string_lossy()],
            )?;
            plain.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
            plain.execute_batch(&format!(
                "PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;"
            ))?;
        }
        std::fs::File::open(&target)?.sync_all()?;
        for suffix in ["-wal", "-shm"] {
            let mut side = path.as_os_str().to_owned();
            side.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(side));
        }
        std::fs::rename(&target, path)?;
        Ok((Store::open_keyed(path, &key)?, key))
    }

    /// Changes the passphrase: the database is re-keyed in place (same salt, new key), so nothing
    /// is copied and nothing can be lost half-way. Answers the new key.
    pub fn change_passphrase(&mut self, current: &DbKey, new: &str) -> Result<DbKey> {
        check_passphrase(new)?;
        let key = DbKey::derive(new, current.salt)?;
        // SQLCipher re-keys a rollback-journal database; WAL is switched off for the moment.
        self.conn.pragma_update(None, "journal_mode", "DELETE")?;
        let rekeyed = self
            .conn
            .execute_batch(&format!("PRAGMA rekey = \"x'{}'\";", hex(&key.key)));
        self.conn.pragma_update(None, "journal_mode", "WAL")?;
        rekeyed?;
        Ok(key)
    }
}

fn check_passphrase(passphrase: &str) -> Result<()> {
    if passphrase.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(Error::invalid(
            "passphrase",
            crate::error::ErrorCode::TooShort,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Household, HouseholdKind};

    const PASS: &str = "幸福社区2026春";

    #[test]
    fn the_file_is_unreadable_without_the_key_and_opens_with_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("field.sqlite");
        let id = {
            let (mut store, _) = Store::unlock(&path, PASS).unwrap();
            store.init_device("李警官", &["幸福社区".into()]).unwrap();
            let h = Household::new("幸福社区", "幸福路12号3栋401", HouseholdKind::Residence);
            store.save(&h).unwrap();
            h.id
        };
        assert_eq!(file_state(&path), FileState::Encrypted);
        let bytes = std::fs::read(&path).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("幸福路"));
        let plain = Connection::open(&path).unwrap();
        assert!(
            plain
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| r
                    .get::<_, i64>(0))
                .is_err()
        );

        let (store, _) = Store::unlock(&path, PASS).unwrap();
        let h: Household = store.get(id.0).unwrap();
        assert_eq!(h.address, "幸福路12号3栋401");
    }

    #[test]
    fn five_wrong_passphrases_lock_the_door_and_leave_the_data_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("field.sqlite");
        drop(Store::unlock(&path, PASS).unwrap());
        let before = std::fs::read(&path).unwrap();
        for left in (1..MAX_ATTEMPTS).rev() {
            assert!(
                matches!(Store::unlock(&path, "wrong passphrase"), Err(Error::WrongPassphrase { left: l }) if l == left)
            );
        }
        assert!(matches!(
            Store::unlock(&path, "wrong passphrase"),
            Err(Error::LockedOut { .. })
        ));
        assert!(
            matches!(Store::unlock(&path, PASS), Err(Error::LockedOut { .. })),
            "even the right passphrase waits"
        );
        assert_eq!(std::fs::read(&path).unwrap(), before, "nothing written");
        // Once the time is up, the right passphrase opens it.
        save_attempts(&path, &Attempts::default()).unwrap();
        assert!(Store::unlock(&path, PASS).is_ok());
    }

    #[test]
    fn a_changed_passphrase_opens_the_same_data_and_the_old_one_no_longer_does() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("field.sqlite");
        let (mut store, key) = Store::unlock(&path, PASS).unwrap();
        store.init_device("李警官", &["幸福社区".into()]).unwrap();
        store.change_passphrase(&key, "新的口令很长很长").unwrap();
        drop(store);
        assert!(matches!(
            Store::unlock(&path, PASS),
            Err(Error::WrongPassphrase { .. })
        ));
        let (store, _) = Store::unlock(&path, "新的口令很长很长").unwrap();
        assert_eq!(store.device().unwrap().officer_name, "李警官");
    }

    #[test]
    fn a_database_from_before_encryption_is_encrypted_with_everything_in_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("field.sqlite");
        let id = {
            let mut store = Store::open(&path).unwrap();
            store.init_device("李警官", &["幸福社区".into()]).unwrap();
            let h = Household::new("幸福社区", "和平街8号", HouseholdKind::Residence);
            store.save(&h).unwrap();
            h.id
        };
        assert_eq!(file_state(&path), FileState::Plain);
        assert!(matches!(
            Store::unlock(&path, PASS),
            Err(Error::NotEncrypted)
        ));
        drop(Store::encrypt_plain(&path, PASS).unwrap());
        assert_eq!(file_state(&path), FileState::Encrypted);
        let (store, _) = Store::unlock(&path, PASS).unwrap();
        assert_eq!(store.get::<Household>(id.0).unwrap().address, "和平街8号");
        assert_eq!(
            store.sync_status().unwrap().unsent,
            1,
            "the change log came along"
        );
    }

    #[test]
    fn a_short_passphrase_or_a_damaged_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("field.sqlite");
        assert!(matches!(
            Store::unlock(&path, "short"),
            Err(Error::Invalid(_))
        ));
        std::fs::write(&path, b"PK\x03\x04 not a database".repeat(50)).unwrap();
        assert_eq!(file_state(&path), FileState::Damaged);
        assert!(matches!(Store::unlock(&path, PASS), Err(Error::Corrupt)));
    }
}
