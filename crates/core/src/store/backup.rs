//! Backups of the officer's database: on demand and once a day to a chosen folder (a USB stick).
//!
//! A backup is a copy of the whole database (records, change log, drafts, where sync stood) made
//! by SQLCipher's export, encrypted with the same key and salt as the database, so it opens with the
//! passphrase the database had when it was made and with nothing else; whoever finds the stick
//! reads nothing. It is written beside its final name and renamed when whole.
//!
//! Restoring puts a backup in place of the database (the file there is moved aside, never deleted).
//! What the laptop did after the backup is not lost where the station holds it: the next sync
//! downloads it back, and new changes never take a number the station holds (the station tells
//! the laptop to move them past its numbers; see the sync crate).

use super::Store;
use super::vault::{DbKey, FileState, file_state, open_keyed_with_salt};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use ts_rs::TS;

/// How backups made into a folder end, and how many of them a daily backup keeps.
const SUFFIX: &str = ".doorstep-backup";
const PREFIX: &str = "doorstep-";
pub const DAILY_KEEP: usize = 7;
/// A day, give or take: a laptop opened every morning backs up every morning.
const DAILY_SECS: i64 = 20 * 3600;

const BACKUP_FOLDER: &str = "backup_folder";
const LAST_BACKUP: &str = "last_backup";

/// A backup made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BackupMade {
    #[ts(type = "string")]
    pub file: PathBuf,
    #[ts(type = "number")]
    pub bytes: u64,
    /// When (UTC, RFC 3339).
    pub at: String,
    /// Changes in the log at that moment.
    #[ts(type = "number")]
    pub changes: i64,
    /// Older backups deleted from the folder.
    #[ts(type = "Array<string>")]
    pub pruned: Vec<PathBuf>,
}

/// Where backups go and how the last one went, for Settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct BackupSettings {
    /// The folder the daily backup goes to (none: no daily backup).
    pub folder: Option<String>,
    pub last: Option<LastBackup>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct LastBackup {
    /// When it was tried (UTC, RFC 3339).
    pub at: String,
    /// The file written, or none if it failed.
    pub file: Option<String>,
    /// Why it failed (the folder is not there: is the USB stick in?).
    pub error: Option<String>,
}

/// A backup restored.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct Restored {
    /// Where the database that was there went (none if there was none).
    #[ts(type = "string | null")]
    pub replaced: Option<PathBuf>,
    #[ts(type = "number")]
    pub changes: i64,
    #[ts(type = "number")]
    pub households: i64,
}

fn timestamp() -> String {
    chrono::Utc::now().format("%Y%m%d-%H%M%S%.3fZ").to_string()
}

fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn sync_folder(file: &Path) -> Result<()> {
    let folder = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    std::fs::File::open(folder)?.sync_all()?;
    Ok(())
}

impl Store {
    /// Writes a backup of this database to `to`: a file, or a folder in which it is named by the
    /// time (and where, with `keep`, only that many backups stay). `key` is the database's (none
    /// for a database from before encryption, whose backup is as plain as it is).
    pub fn back_up(
        &mut self,
        key: Option<&DbKey>,
        to: &Path,
        keep: Option<usize>,
    ) -> Result<BackupMade> {
        let into_folder = to.is_dir();
        let file = if into_folder {
            to.join(format!("{PREFIX}{}{SUFFIX}", timestamp()))
        } else {
            to.to_path_buf()
        };
        let partial = beside(&file, ".partial");
        let _ = std::fs::remove_file(&partial);
        let at = crate::time::format(&crate::time::now());
        let changes: i64 = self
            .conn
            .query_row("SELECT count(*) FROM changes", [], |r| r.get(0))?;
        let target = partial.to_string_lossy().into_owned();
        let written = match key {
            // One read transaction: the copy is the database at one moment.
            Some(key) => (|| {
                let version: i64 = self
                    .conn
                    .query_row("PRAGMA user_version", [], |r| r.get(0))?;
                self.conn.execute(
                    &format!("ATTACH DATABASE ?1 AS backup KEY {}", key.pragma()),
                    [&target],
                )?;
                let exported = self
                    .conn
                    .query_row("SELECT sqlcipher_export('backup')", [], |_| Ok(()))
                    .and_then(|_| {
                        self.conn
                            .execute_batch(&format!("PRAGMA backup.user_version = {version};"))
                    });
                self.conn.execute_batch("DETACH DATABASE backup;")?;
                exported
            })(),
            None => self.conn.execute("VACUUM INTO ?1", [&target]).map(|_| ()),
        };
        if let Err(e) = written {
            let _ = std::fs::remove_file(&partial);
            return Err(e.into());
        }
        std::fs::File::open(&partial)?.sync_all()?;
        std::fs::rename(&partial, &file)?;
        sync_folder(&file)?;
        let bytes = std::fs::metadata(&file)?.len();
        let pruned = match (into_folder, keep) {
            (true, Some(keep)) => prune(to, keep.max(1))?,
            _ => Vec::new(),
        };
        Ok(BackupMade {
            file,
            bytes,
            at,
            changes,
            pruned,
        })
    }

    pub fn backup_settings(&self) -> Result<BackupSettings> {
        Ok(BackupSettings {
            folder: self.setting(BACKUP_FOLDER)?,
            last: self.setting(LAST_BACKUP)?,
        })
    }

    /// Chooses the folder of the daily backup (none: no daily backup). It must exist now.
    pub fn set_backup_folder(&mut self, folder: Option<&str>) -> Result<()> {
        match folder.map(str::trim).filter(|f| !f.is_empty()) {
            Some(f) if !Path::new(f).is_dir() => Err(Error::invalid(
                "backup_folder",
                crate::error::ErrorCode::UnknownReference,
            )),
            Some(f) => self.put_setting(BACKUP_FOLDER, &f),
            None => {
                self.conn
                    .execute("DELETE FROM settings WHERE key = ?1", [BACKUP_FOLDER])?;
                Ok(())
            }
        }
    }

    /// The daily backup, if one is due (a folder is chosen and the last was long enough ago, or
    /// failed): made, and its outcome noted for Settings either way. `None` when none was due.
    pub fn daily_backup(&mut self, key: Option<&DbKey>) -> Result<Option<LastBackup>> {
        let settings = self.backup_settings()?;
        let Some(folder) = settings.folder else {
            return Ok(None);
        };
        let recent = settings.last.as_ref().is_some_and(|last| {
            last.error.is_none()
                && crate::time::parse(&last.at)
                    .is_some_and(|at| (crate::time::now() - at).num_seconds() < DAILY_SECS)
        });
        if recent {
            return Ok(None);
        }
        let at = crate::time::format(&crate::time::now());
        let last = if !Path::new(&folder).is_dir() {
            LastBackup {
                at,
                file: None,
                error: Some(format!(
                    "the folder {folder} is not there (is the USB stick in?)"
                )),
            }
        } else {
            match self.back_up(key, Path::new(&folder), Some(DAILY_KEEP)) {
                Ok(made) => LastBackup {
                    at: made.at,
                    file: Some(made.file.to_string_lossy().into_owned()),
                    error: None,
                },
                Err(e) => LastBackup {
                    at,
                    file: None,
                    error: Some(e.to_string()),
                },
            }
        };
        self.put_setting(LAST_BACKUP, &last)?;
        Ok(Some(last))
    }

    /// Notes a backup made on demand as the last one.
    pub fn note_backup(&mut self, made: &BackupMade) -> Result<()> {
        self.put_setting(
            LAST_BACKUP,
            &LastBackup {
                at: made.at.clone(),
                file: Some(made.file.to_string_lossy().into_owned()),
                error: None,
            },
        )
    }
}

/// Deletes all but the `keep` newest of this laptop's backups named by time in `folder`.
fn prune(folder: &Path, keep: usize) -> Result<Vec<PathBuf>> {
    Ok(keep_newest(folder, PREFIX, SUFFIX, keep)?)
}

/// Deletes all but the `keep` newest files named `PREFIX<time>SUFFIX` in `folder` (their names
/// sort by time), each with its `.sha256` beside it if there is one; answers those deleted. Shared
/// with the station's backups.
pub fn keep_newest(
    folder: &Path,
    prefix: &str,
    suffix: &str,
    keep: usize,
) -> std::io::Result<Vec<PathBuf>> {
    let mut backups: Vec<PathBuf> = std::fs::read_dir(folder)?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && n.ends_with(suffix))
        })
        .collect();
    backups.sort();
    let old = backups.len().saturating_sub(keep);
    let mut pruned = Vec::new();
    for path in backups.into_iter().take(old) {
        std::fs::remove_file(&path)?;
        let _ = std::fs::remove_file(beside(&path, ".sha256"));
        pruned.push(path);
    }
    Ok(pruned)
}

/// Puts the backup `from` in place of the database at `db`, after checking that it opens with
/// `passphrase` (the one the database had when the backup was made) and is whole. The database
/// there, if any, is moved aside to `db.replaced-TIME` with its write-ahead log, never deleted.
/// Refused when the database there belongs to another laptop (a backup is not a way to copy one
/// laptop onto another: two laptops with one identity would take each other's numbers).
pub fn restore(db: &Path, from: &Path, passphrase: Option<&str>) -> Result<Restored> {
    let staged = beside(db, ".restoring");
    let _ = std::fs::remove_file(&staged);
    std::fs::copy(from, &staged).map_err(|_| Error::BackupUnreadable)?;
    std::fs::File::open(&staged)?.sync_all()?;
    let checked = (|| -> Result<(String, i64, i64)> {
        let store = match (file_state(&staged), passphrase) {
            (FileState::Encrypted, Some(p)) => open_keyed_with_salt(&staged, p)?,
            (FileState::Plain, _) => Store::open(&staged)?,
            _ => return Err(Error::BackupUnreadable),
        };
        let check: String = store
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(Error::BackupUnreadable);
        }
        let device = store.device()?.device_id.to_string();
        let count = |sql: &str| store.conn.query_row(sql, [], |r| r.get::<_, i64>(0));
        Ok((
            device,
            count("SELECT count(*) FROM changes")?,
            count("SELECT count(*) FROM households WHERE NOT deleted")?,
        ))
    })()
    .map_err(|e| match e {
        Error::Corrupt | Error::NoDevice => Error::BackupUnreadable,
        other => other,
    });
    let (device, changes, households) = match checked {
        Ok(c) => c,
        Err(e) => {
            let _ = std::fs::remove_file(&staged);
            return Err(e);
        }
    };
    // The database there, if it still opens, must be this laptop's.
    let current = match (file_state(db), passphrase) {
        (FileState::Encrypted, Some(p)) => open_keyed_with_salt(db, p).ok(),
        (FileState::Plain, _) => Store::open(db).ok(),
        _ => None,
    };
    if let Some(current) = current
        && let Ok(d) = current.device()
        && d.device_id.to_string() != device
    {
        let _ = std::fs::remove_file(&staged);
        return Err(Error::BackupOfAnotherLaptop);
    }
    let aside = beside(db, &format!(".replaced-{}", timestamp()));
    let replaced = if db.exists() {
        std::fs::rename(db, &aside)?;
        for suffix in ["-wal", "-shm"] {
            let side = beside(db, suffix);
            if side.exists() {
                std::fs::rename(&side, beside(&aside, suffix))?;
            }
        }
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&staged, db)?;
    sync_folder(db)?;
    Ok(Restored {
        replaced,
        changes,
        households,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Household, HouseholdKind};

    const PASS: &str = "幸福社区2026春";

    fn laptop(dir: &Path) -> (Store, DbKey, PathBuf) {
        let path = dir.join("field.sqlite");
        let (mut store, key) = Store::unlock(&path, PASS).unwrap();
        store.init_device("李警官", &["幸福社区".into()]).unwrap();
        (store, key, path)
    }

    fn household(store: &mut Store, address: &str) -> Household {
        let h = Household::new("幸福社区", address, HouseholdKind::Residence);
        store.save(&h).unwrap();
        h
    }

    /// Every household, change and draft, as rows, for comparing two databases record for record.
    fn contents(store: &Store) -> Vec<String> {
        let mut out = Vec::new();
        for sql in [
            "SELECT id || '|' || address || '|' || version FROM households ORDER BY id",
            "SELECT device_seq || '|' || change_id || '|' || fields FROM changes ORDER BY device_seq",
            "SELECT id || '|' || payload FROM drafts ORDER BY id",
        ] {
            let mut stmt = store.conn.prepare(sql).unwrap();
            let rows = stmt.query_map([], |r| r.get::<_, String>(0)).unwrap();
            out.extend(rows.map(Result::unwrap));
        }
        out
    }

    #[test]
    fn a_backup_is_encrypted_opens_with_the_passphrase_and_restores_record_for_record() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, key, path) = laptop(dir.path());
        household(&mut store, "幸福路12号3栋401");
        store
            .save_draft("d1", "visit", &serde_json::json!({"notes": "门没锁"}))
            .unwrap();
        let stick = tempfile::tempdir().unwrap();
        let made = store.back_up(Some(&key), stick.path(), Some(3)).unwrap();
        let at_backup = contents(&store);
        assert!(made.file.starts_with(stick.path()) && made.bytes > 0);
        assert_eq!(file_state(&made.file), FileState::Encrypted);
        let bytes = std::fs::read(&made.file).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("幸福路"),
            "nothing readable on the stick"
        );

        // Work after the backup, then the laptop's disk is lost: the backup comes back whole.
        household(&mut store, "幸福路14号");
        drop(store);
        std::fs::write(&path, b"the disk died").unwrap();
        assert!(matches!(
            restore(&path, &made.file, Some("not the passphrase")),
            Err(Error::BackupUnreadable)
        ));
        let restored = restore(&path, &made.file, Some(PASS)).unwrap();
        assert_eq!((restored.households, restored.changes), (1, 1));
        let aside = restored.replaced.expect("the broken file is kept");
        assert_eq!(std::fs::read(&aside).unwrap(), b"the disk died");
        let (store, _) = Store::unlock(&path, PASS).unwrap();
        assert_eq!(contents(&store), at_backup);
    }

    #[test]
    fn another_laptops_backup_and_damaged_files_are_refused_and_nothing_is_replaced() {
        let (mine, theirs) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (mut store, _, path) = laptop(mine.path());
        household(&mut store, "幸福路1号");
        let before = contents(&store);
        drop(store);
        let (mut other, other_key, _) = laptop(theirs.path());
        let file = theirs.path().join("their.doorstep-backup");
        other.back_up(Some(&other_key), &file, None).unwrap();
        assert!(matches!(
            restore(&path, &file, Some(PASS)),
            Err(Error::BackupOfAnotherLaptop)
        ));
        // Cut short, or not a database at all.
        let bytes = std::fs::read(&file).unwrap();
        let cut = theirs.path().join("cut.doorstep-backup");
        std::fs::write(&cut, &bytes[..bytes.len() / 2 - 100]).unwrap();
        assert!(matches!(
            restore(&path, &cut, Some(PASS)),
            Err(Error::BackupUnreadable)
        ));
        let text = theirs.path().join("notes.txt");
        std::fs::write(&text, "走访记录").unwrap();
        assert!(matches!(
            restore(&path, &text, Some(PASS)),
            Err(Error::BackupUnreadable)
        ));

        let (store, _) = Store::unlock(&path, PASS).unwrap();
        assert_eq!(contents(&store), before, "the laptop's own data untouched");
        let leftovers: Vec<_> = std::fs::read_dir(mine.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains(".restoring") || n.contains(".replaced"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn the_daily_backup_goes_to_its_folder_once_a_day_and_says_when_the_stick_is_out() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, key, _) = laptop(dir.path());
        assert_eq!(
            store.daily_backup(Some(&key)).unwrap(),
            None,
            "no folder chosen"
        );
        let stick = tempfile::tempdir().unwrap();
        let folder = stick.path().join("备份");
        assert!(
            store
                .set_backup_folder(Some(folder.to_str().unwrap()))
                .is_err(),
            "must exist"
        );
        std::fs::create_dir(&folder).unwrap();
        store
            .set_backup_folder(Some(folder.to_str().unwrap()))
            .unwrap();
        let first = store.daily_backup(Some(&key)).unwrap().expect("due");
        assert!(first.error.is_none(), "{first:?}");
        assert!(Path::new(first.file.as_deref().unwrap()).exists());
        assert_eq!(
            store.daily_backup(Some(&key)).unwrap(),
            None,
            "not again today"
        );
        assert_eq!(store.backup_settings().unwrap().last, Some(first.clone()));

        // A day later the stick is not in: said, and tried again next time.
        let yesterday = crate::time::format(&(crate::time::now() - chrono::Duration::hours(25)));
        store
            .put_setting(
                LAST_BACKUP,
                &LastBackup {
                    at: yesterday,
                    ..first
                },
            )
            .unwrap();
        std::fs::rename(&folder, stick.path().join("elsewhere")).unwrap();
        let missed = store.daily_backup(Some(&key)).unwrap().expect("due");
        assert!(missed.error.unwrap().contains("USB"), "told why");
        std::fs::rename(stick.path().join("elsewhere"), &folder).unwrap();
        let again = store
            .daily_backup(Some(&key))
            .unwrap()
            .expect("due again after a failure");
        assert!(again.error.is_none());
        assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 2);
    }

    #[test]
    fn a_folder_keeps_only_the_newest_backups() {
        let dir = tempfile::tempdir().unwrap();
        let (mut store, key, _) = laptop(dir.path());
        let stick = tempfile::tempdir().unwrap();
        let mut made = Vec::new();
        for _ in 0..3 {
            made.push(store.back_up(Some(&key), stick.path(), Some(2)).unwrap());
        }
        assert_eq!(made[2].pruned, vec![made[0].file.clone()]);
        assert!(!made[0].file.exists() && made[1].file.exists() && made[2].file.exists());
    }
}
