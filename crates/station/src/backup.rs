//! Backups of a station's data folder that its IT can trust, and restoring one.
//!
//! A backup is one file: a gzip'd tar holding `manifest.json` (when, which lineage and version, and
//! the SHA-256 of every file), a consistent copy of the database made while the station serves
//! (`VACUUM INTO`, which reads one snapshot), the settings and the station's certificate with its
//! key (laptops pinned that certificate: a station restored without it would be refused by every
//! laptop), and the photos' bytes (`blobs/`: content-addressed and never changed once whole, so
//! the files present after the database's snapshot hold every photo it names; a photo whose laptop
//! was lost with the station's disk would otherwise be gone for good). Beside it, `FILE.sha256` in
//! `sha256sum` format, so the file can be checked anywhere.
//!
//! Restoring checks everything before touching the data folder (every checksum, the database whole
//! and migrated), refuses while a station serves the folder (it holds `station.lock`), moves what
//! is there aside into `replaced-<time>/` (never deleted), puts the backup in place and starts a
//! new lineage (see `store::lineage`), from which the laptops learn to send again what the backup
//! does not hold.
//!
//! The file holds the station's secrets (password hashes, its TLS key) and confidential reporters:
//! it is written readable by its owner only, and belongs where the database itself would.

use crate::store::{StationError, StationStore};
use rusqlite::{Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The database's file name in a data folder.
pub const DATABASE: &str = "station.sqlite";
/// The file a serving station holds locked, so a restore never writes under it.
pub const LOCK: &str = "station.lock";
const SETTINGS: &str = "station.json";
const TLS: &str = "tls";
/// Photos' bytes, as `blobs/<first two hex digits>/<sha256>` (see `store::blobs`).
const BLOBS: &str = "blobs";
const MANIFEST: &str = "manifest.json";
/// The name backups are given when `--to` is a folder (sortable by time).
const PREFIX: &str = "station-";
const SUFFIX: &str = ".doorstep-backup";
const FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} holds no station database ({DATABASE})")]
    NoDatabase(PathBuf),
    #[error("{path} is not a Doorstep station backup: {why}")]
    NotABackup { path: PathBuf, why: String },
    #[error(
        "{path} is damaged: {file} does not match its checksum (the backup was changed or cut short); use another backup"
    )]
    Checksum { path: PathBuf, file: String },
    #[error(
        "a station is serving {0} (it holds station.lock): stop it before restoring, then start it again"
    )]
    StationRunning(PathBuf),
    #[error("{0}")]
    Station(#[from] StationError),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The I/O error's own words are in the message, so it is not also given as the error's
    /// source (which would repeat them in a printed chain).
    #[error("{context}: {error}")]
    Io {
        context: String,
        error: std::io::Error,
    },
}

type Result<T> = std::result::Result<T, BackupError>;

/// Adds what was being done to an I/O error.
trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> Context<T> for std::io::Result<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|error| BackupError::Io {
            context: what(),
            error,
        })
    }
}

/// What a backup holds, as its manifest says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    /// When the copy of the database was taken (UTC, RFC 3339).
    pub taken_at: String,
    /// The version of `doorstep-station` that wrote it.
    pub written_by: String,
    /// The database's lineage and latest station version at that moment.
    pub lineage: String,
    pub head: i64,
    pub files: Vec<FileSum>,
}

impl Manifest {
    /// How many photos' blobs (photos and thumbnails) the backup holds.
    pub fn blobs(&self) -> usize {
        self.files.iter().filter(|f| blob_path(&f.path)).count()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileSum {
    /// Path inside the backup (`station.sqlite`, `station.json`, `tls/cert.der`, …).
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
}

/// A backup written.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    pub file: PathBuf,
    pub bytes: u64,
    pub sha256: String,
    pub manifest: Manifest,
    /// Older backups deleted from the folder (`--keep`).
    pub pruned: Vec<PathBuf>,
    /// Photo files left out because their bytes no longer match their name (damaged on the
    /// station's disk): the laptops that took them send them again after a restore.
    pub damaged_blobs: Vec<String>,
}

/// A backup checked, and put in place unless only checking.
#[derive(Debug, Clone, Serialize)]
pub struct Restored {
    pub manifest: Manifest,
    /// Where the data folder's previous files went (none when only checking, or the folder was empty).
    pub replaced: Option<PathBuf>,
    pub households: i64,
    pub changes: i64,
    /// Photos' blobs put back, and those the database named but the backup did not hold (the
    /// laptops that took them are asked for them again).
    pub blobs: usize,
    pub blobs_missing: usize,
}

fn sha256_of(path: &Path) -> Result<(u64, String)> {
    let mut file =
        BufReader::new(File::open(path).context(|| format!("reading {}", path.display()))?);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut bytes = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .context(|| format!("reading {}", path.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        bytes += n as u64;
    }
    Ok((bytes, hex(&hasher.finalize())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn timestamp() -> String {
    chrono::Utc::now().format("%Y%m%d-%H%M%S%.3fZ").to_string()
}

fn read_only(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    Ok(conn)
}

fn meta(conn: &Connection, key: &str) -> Result<i64> {
    Ok(conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))?)
}

/// Makes a backup of the station in `data` while it serves. `to` is a file, or a folder in which
/// the backup is named by the time; in a folder, `keep` older backups are kept and the rest deleted.
pub fn backup(data: &Path, to: &Path, keep: Option<usize>) -> Result<Written> {
    let database = data.join(DATABASE);
    if !database.is_file() {
        return Err(BackupError::NoDatabase(data.to_path_buf()));
    }
    let into_folder = to.is_dir();
    let file = if into_folder {
        to.join(format!("{PREFIX}{}{SUFFIX}", timestamp()))
    } else {
        to.to_path_buf()
    };
    let folder = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let work = tempfile::Builder::new()
        .prefix(".doorstep-backup-")
        .tempdir_in(&folder)
        .context(|| format!("writing in {}", folder.display()))?;

    // One snapshot of the database, taken under the serving station's feet without stopping it.
    let copy = work.path().join(DATABASE);
    let taken_at = doorstep_core::time::format(&doorstep_core::time::now());
    read_only(&database)?.execute("VACUUM INTO ?1", [copy.to_string_lossy()])?;
    let (lineage, head) = {
        let conn = read_only(&copy)?;
        let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0))?;
        if check != "ok" {
            return Err(StationError::Damaged(check).into());
        }
        // A database from before lineages (migration 16) has none yet; its restore adds it.
        let lineage = meta(&conn, "lineage")
            .map(|l| format!("{l:016x}"))
            .unwrap_or_default();
        (lineage, meta(&conn, "version")?)
    };

    let mut entries: Vec<(String, PathBuf)> = vec![(DATABASE.into(), copy)];
    if data.join(SETTINGS).is_file() {
        entries.push((SETTINGS.into(), data.join(SETTINGS)));
    }
    let tls = data.join(TLS);
    if tls.is_dir() {
        let mut names: Vec<_> = std::fs::read_dir(&tls)
            .context(|| format!("reading {}", tls.display()))?
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in names {
            entries.push((format!("{TLS}/{name}"), tls.join(name)));
        }
    }
    let mut files = Vec::new();
    for (path, source) in &entries {
        let (bytes, sha256) = sha256_of(source)?;
        files.push(FileSum {
            path: path.clone(),
            bytes,
            sha256,
        });
    }
    // Photos after the snapshot: a blob is whole on disk before the database says so.
    let mut damaged_blobs = Vec::new();
    for (path, source) in blob_files(&data.join(BLOBS))? {
        let (bytes, sha256) = sha256_of(&source)?;
        if !path.ends_with(&sha256) {
            tracing::error!(
                path,
                "a photo's file no longer matches its SHA-256: left out of the backup"
            );
            damaged_blobs.push(path);
            continue;
        }
        files.push(FileSum {
            path: path.clone(),
            bytes,
            sha256,
        });
        entries.push((path, source));
    }
    let manifest = Manifest {
        format: FORMAT,
        taken_at,
        written_by: env!("CARGO_PKG_VERSION").into(),
        lineage,
        head,
        files,
    };

    let partial = work.path().join("backup.partial");
    {
        let out = private_file(&partial)?;
        let gz = flate2::write::GzEncoder::new(BufWriter::new(out), flate2::Compression::fast());
        let mut tar = tar::Builder::new(gz);
        let manifest_json = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| StationError::Internal(e.to_string()))?;
        let mut header = tar::Header::new_gnu();
        header.set_size(manifest_json.len() as u64);
        header.set_mode(0o600);
        header.set_mtime(chrono::Utc::now().timestamp().max(0) as u64);
        header.set_cksum();
        let writing = || format!("writing {}", file.display());
        tar.append_data(&mut header, MANIFEST, manifest_json.as_slice())
            .context(writing)?;
        for (path, source) in &entries {
            tar.append_path_with_name(source, path).context(writing)?;
        }
        let gz = tar.into_inner().context(writing)?;
        let out = gz.finish().context(writing)?;
        let out = out
            .into_inner()
            .map_err(|e| e.into_error())
            .context(writing)?;
        out.sync_all().context(writing)?;
    }
    let (bytes, sha256) = sha256_of(&partial)?;
    std::fs::rename(&partial, &file).context(|| format!("writing {}", file.display()))?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let sums = sidecar(&file);
    std::fs::write(&sums, format!("{sha256}  {name}\n"))
        .context(|| format!("writing {}", sums.display()))?;
    // The rename is durable only once the folder is.
    File::open(&folder)
        .and_then(|d| d.sync_all())
        .context(|| format!("writing {}", folder.display()))?;

    let pruned = match (into_folder, keep) {
        (true, Some(keep)) => prune(to, keep.max(1))?,
        _ => Vec::new(),
    };
    Ok(Written {
        file,
        bytes,
        sha256,
        manifest,
        pruned,
        damaged_blobs,
    })
}

/// The whole photo files under `dir` (not the partial uploads), as (path in a backup, file),
/// in a stable order.
fn blob_files(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let listing = |d: &Path| -> Result<Vec<std::fs::DirEntry>> {
        let mut entries: Vec<_> = std::fs::read_dir(d)
            .context(|| format!("reading {}", d.display()))?
            .filter_map(|e| e.ok())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        Ok(entries)
    };
    for sub in listing(dir)? {
        let prefix = sub.file_name().to_string_lossy().into_owned();
        if !sub.path().is_dir() || prefix.len() != 2 {
            continue; // `partial/`: uploads not yet whole are sent again from the start
        }
        for file in listing(&sub.path())? {
            let name = file.file_name().to_string_lossy().into_owned();
            let path = format!("{BLOBS}/{prefix}/{name}");
            if file.path().is_file() && blob_path(&path) {
                out.push((path, file.path()));
            }
        }
    }
    Ok(out)
}

/// Whether `path` (inside a backup) names a photo's blob: `blobs/ab/ab…` (64 hex digits).
fn blob_path(path: &str) -> bool {
    let mut parts = path.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(BLOBS), Some(prefix), Some(name), None) => {
            doorstep_core::photo::is_sha256_hex(name)
                && name.starts_with(prefix)
                && prefix.len() == 2
        }
        _ => false,
    }
}

/// `FILE.sha256` beside a backup.
fn sidecar(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".sha256");
    PathBuf::from(name)
}

fn private_file(path: &Path) -> Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .context(|| format!("writing {}", path.display()))
}

/// Deletes all but the `keep` newest backups this command named in `folder`, with their sums.
fn prune(folder: &Path, keep: usize) -> Result<Vec<PathBuf>> {
    doorstep_core::store::backup::keep_newest(folder, PREFIX, SUFFIX, keep)
        .context(|| format!("deleting old backups in {}", folder.display()))
}

/// Checks the backup `from` whole and, unless `check_only`, puts it in place in `data` (which no
/// station may be serving).
pub fn restore(from: &Path, data: &Path, check_only: bool) -> Result<Restored> {
    let not_a_backup = |why: String| BackupError::NotABackup {
        path: from.to_path_buf(),
        why,
    };
    // The whole file against its sidecar first, when there is one: a clear answer for a file cut
    // short on the way from the backup disk.
    let sums = sidecar(from);
    if sums.is_file() {
        let expected =
            std::fs::read_to_string(&sums).context(|| format!("reading {}", sums.display()))?;
        let expected = expected
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        if sha256_of(from)?.1 != expected {
            return Err(BackupError::Checksum {
                path: from.to_path_buf(),
                file: "the whole file".into(),
            });
        }
    }
    std::fs::create_dir_all(data).context(|| format!("creating {}", data.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".restoring-")
        .tempdir_in(data)
        .context(|| format!("writing in {}", data.display()))?;
    let (manifest, unpacked) = unpack(from, staging.path()).map_err(|e| match e {
        BackupError::Io { error, .. } => not_a_backup(error.to_string()),
        other => other,
    })?;
    let listed: std::collections::BTreeSet<&str> =
        manifest.files.iter().map(|f| f.path.as_str()).collect();
    if let Some(extra) = unpacked.iter().find(|p| !listed.contains(p.as_str())) {
        return Err(not_a_backup(format!("{extra} is not in its manifest")));
    }
    for sum in &manifest.files {
        let path = staging.path().join(&sum.path);
        let (bytes, sha256) =
            sha256_of(&path).map_err(|_| not_a_backup(format!("{} is missing", sum.path)))?;
        if bytes != sum.bytes || sha256 != sum.sha256 {
            return Err(BackupError::Checksum {
                path: from.to_path_buf(),
                file: sum.path.clone(),
            });
        }
    }
    if !manifest.files.iter().any(|f| f.path == DATABASE) {
        return Err(not_a_backup(format!("it holds no {DATABASE}")));
    }
    if let Some(bad) = manifest
        .files
        .iter()
        .find(|f| blob_path(&f.path) && !f.path.ends_with(&f.sha256))
    {
        return Err(BackupError::Checksum {
            path: from.to_path_buf(),
            file: bad.path.clone(),
        });
    }
    let blobs: std::collections::HashSet<String> = manifest
        .files
        .iter()
        .filter(|f| blob_path(&f.path))
        .map(|f| f.sha256.clone())
        .collect();

    // Whole, and at this version's schema; then a new lineage, so laptops notice.
    let (households, changes, blobs_missing) = {
        let mut store = StationStore::open(&staging.path().join(DATABASE))?;
        let blobs_missing = store.forget_blobs_not_in(&blobs)?;
        store.start_lineage_after_restore(
            "(station console)",
            &format!(
                "restored from the backup taken at {} (version {}, lineage {})",
                manifest.taken_at, manifest.head, manifest.lineage
            ),
        )?;
        let count =
            |sql: &str| -> Result<i64> { Ok(store.conn().query_row(sql, [], |r| r.get(0))?) };
        (
            count("SELECT count(*) FROM records WHERE entity = 'household' AND NOT deleted")?,
            count("SELECT count(*) FROM changes")?,
            blobs_missing,
        )
    };
    if check_only {
        return Ok(Restored {
            manifest,
            replaced: None,
            households,
            changes,
            blobs: blobs.len(),
            blobs_missing,
        });
    }

    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data.join(LOCK))
        .context(|| format!("opening {}", data.join(LOCK).display()))?;
    if lock.try_lock().is_err() {
        return Err(BackupError::StationRunning(data.to_path_buf()));
    }
    // What is there goes aside, whole: the database with its write-ahead log (which must never
    // meet the restored file), the settings and the certificate.
    let aside = data.join(format!("replaced-{}", timestamp()));
    let mut moved = false;
    for name in [
        DATABASE.to_string(),
        format!("{DATABASE}-wal"),
        format!("{DATABASE}-shm"),
        SETTINGS.into(),
        TLS.into(),
        BLOBS.into(),
    ] {
        let path = data.join(&name);
        if path.exists() {
            std::fs::create_dir_all(&aside).context(|| format!("creating {}", aside.display()))?;
            std::fs::rename(&path, aside.join(&name))
                .context(|| format!("moving {} aside", path.display()))?;
            moved = true;
        }
    }
    for name in [DATABASE, SETTINGS, TLS, BLOBS] {
        let path = staging.path().join(name);
        if path.exists() {
            std::fs::rename(&path, data.join(name))
                .context(|| format!("putting {name} in place"))?;
        }
    }
    File::open(data)
        .and_then(|d| d.sync_all())
        .context(|| format!("writing {}", data.display()))?;
    drop(lock);
    Ok(Restored {
        manifest,
        replaced: moved.then_some(aside),
        households,
        changes,
        blobs: blobs.len(),
        blobs_missing,
    })
}

/// Unpacks a backup into `into`, taking only the files a backup holds (no path leaves `into`),
/// and returns its manifest and the files unpacked.
fn unpack(from: &Path, into: &Path) -> Result<(Manifest, Vec<String>)> {
    let not_a_backup = |why: String| BackupError::NotABackup {
        path: from.to_path_buf(),
        why,
    };
    let file = File::open(from).context(|| format!("reading {}", from.display()))?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(BufReader::new(file)));
    let mut manifest: Option<Manifest> = None;
    let mut unpacked = Vec::new();
    let reading = || format!("reading {}", from.display());
    for entry in archive.entries().context(reading)? {
        let mut entry = entry.context(reading)?;
        let path = entry
            .path()
            .context(reading)?
            .to_string_lossy()
            .into_owned();
        let allowed = path == MANIFEST
            || path == DATABASE
            || path == SETTINGS
            || path
                .strip_prefix("tls/")
                .is_some_and(|n| !n.is_empty() && !n.contains('/') && n != "..")
            || blob_path(&path);
        if !allowed || entry.header().entry_type() != tar::EntryType::Regular {
            return Err(not_a_backup(format!("unexpected entry {path:?}")));
        }
        if path == MANIFEST {
            let mut text = String::new();
            entry.read_to_string(&mut text).context(reading)?;
            let m: Manifest = serde_json::from_str(&text)
                .map_err(|e| not_a_backup(format!("its manifest is not readable: {e}")))?;
            if m.format != FORMAT {
                return Err(not_a_backup(format!(
                    "format {} (this version reads format {FORMAT})",
                    m.format
                )));
            }
            manifest = Some(m);
            continue;
        }
        let target = into.join(&path);
        if target.exists() {
            return Err(not_a_backup(format!("{path} is in it twice")));
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).context(reading)?;
        }
        let mut out = private_file(&target)?;
        std::io::copy(&mut entry, &mut out).context(reading)?;
        out.flush().context(reading)?;
        out.sync_all().context(reading)?;
        unpacked.push(path);
    }
    let manifest = manifest.ok_or_else(|| not_a_backup("it has no manifest".into()))?;
    Ok((manifest, unpacked))
}
