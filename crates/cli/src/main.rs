//! `doorstep`: the command-line client over the same core the desktop app uses. For scripts,
//! administrators and tests: create a device database, add, list and show records as JSON, search,
//! import a ledger, export records, and generate the demo beat.
//!
//! Output is JSON on stdout. A failure prints the core's tagged error report as JSON on stderr and
//! exits with status 2 for bad input (the report says which field and why) or 1 otherwise.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, Parser, Subcommand};
use doorstep_core::demo::{self, DemoSpec};
use doorstep_core::ids::{ConcernId, HouseholdId, PhotoId, ResidentId, VisitId};
use doorstep_core::import::{ImportRequest, LedgerField, Mapping};
use doorstep_core::model::*;
use doorstep_core::photo::PhotoOptions;
use doorstep_core::store::photos::PhotoOf;
use doorstep_core::store::queries::HouseholdFilter;
use doorstep_core::store::vault::DbKey;
use doorstep_core::store::visit_entry::VisitEntry;
use doorstep_core::{Error, ErrorReport, Store};
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "doorstep", version, about = "Doorstep field records from the command line", long_about = None)]
struct Cli {
    /// The device database (SQLite file). Created if missing.
    #[arg(
        long,
        env = "DOORSTEP_DB",
        global = true,
        default_value = "doorstep.sqlite"
    )]
    db: PathBuf,
    /// The database's passphrase (it is encrypted, as in the app). Required to create or open an
    /// encrypted database; a database from before encryption opens without one.
    #[arg(
        long,
        env = "DOORSTEP_PASSPHRASE",
        global = true,
        hide_env_values = true
    )]
    passphrase: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// Opens the database as the app would: encrypted with the passphrase; a database from before
/// encryption as it is (with a reminder), so scripts written for it keep working.
/// The key comes back too, for what must write another encrypted file (a backup).
fn open_store(cli: &Cli) -> anyhow::Result<(Store, Option<DbKey>)> {
    use doorstep_core::store::vault::{FileState, file_state};
    match (&cli.passphrase, file_state(&cli.db)) {
        (Some(passphrase), FileState::Plain) => {
            let (store, key) = Store::encrypt_plain(&cli.db, passphrase)?;
            Ok((store, Some(key)))
        }
        (Some(passphrase), _) => {
            let (store, key) = Store::unlock(&cli.db, passphrase)?;
            Ok((store, Some(key)))
        }
        (None, FileState::Plain) => {
            eprintln!(
                "doorstep: {} is not encrypted; give --passphrase (or DOORSTEP_PASSPHRASE) to encrypt it",
                cli.db.display()
            );
            Ok((Store::open(&cli.db)?, None))
        }
        (None, _) => anyhow::bail!(
            "{} is (or will be) encrypted: give its passphrase with --passphrase or DOORSTEP_PASSPHRASE",
            cli.db.display()
        ),
    }
}

#[derive(Subcommand)]
enum BundleAction {
    /// Write the bundle to FILE (or into the folder FILE, under its own name).
    Export {
        #[arg(long)]
        to: PathBuf,
    },
    /// Take the station's answer bundle.
    Import { file: PathBuf },
}

#[derive(Subcommand)]
enum PhotoAction {
    /// Attach a photo (JPEG, PNG or WebP) to a household, visit or concern: it is shrunk to a
    /// 2048-pixel long edge, re-encoded without its EXIF, and queued to reach the station.
    Attach {
        /// household, visit or concern
        #[arg(long)]
        to: String,
        /// The household's, visit's or concern's id.
        #[arg(long)]
        id: uuid::Uuid,
        file: PathBuf,
        #[arg(long, default_value = "")]
        caption: String,
        /// Keep where the photo was taken (its EXIF GPS position); dropped otherwise.
        #[arg(long)]
        keep_location: bool,
        /// Keep this photo at its own size (up to 8192 pixels), not shrunk; `photo space
        /// --keep-full-size true` makes that the rule for every new photo.
        #[arg(long)]
        full_size: bool,
    },
    /// The photos of a household (with its visits' and concerns'), a visit or a concern.
    List {
        /// household, visit or concern
        #[arg(long)]
        of: String,
        #[arg(long)]
        id: uuid::Uuid,
    },
    /// Write a photo's JPEG to FILE (fetched from the station when this laptop holds only its
    /// record); --thumb for its thumbnail.
    Save {
        id: PhotoId,
        #[arg(long)]
        to: PathBuf,
        #[arg(long)]
        thumb: bool,
    },
    /// Delete a photo (a tombstone, as for any record; its bytes go once nothing names them).
    Delete { id: PhotoId },
    /// Change a photo's caption.
    Caption { id: PhotoId, caption: String },
    /// Send the photos whose upload is due now (the app does it on a timer).
    Send,
    /// What photos take on this laptop; with --budget-mb, set the space for fetched photos; with
    /// --keep-full-size true|false, whether new photos keep their own size.
    Space {
        #[arg(long)]
        budget_mb: Option<u32>,
        #[arg(long)]
        keep_full_size: Option<bool>,
    },
}

/// What a photo belongs to, from `--to/--of KIND --id ID`.
fn photo_of(kind: &str, id: uuid::Uuid) -> Result<PhotoOf, Error> {
    match kind {
        "household" => Ok(PhotoOf::Household(HouseholdId(id))),
        "visit" => Ok(PhotoOf::Visit(VisitId(id))),
        "concern" => Ok(PhotoOf::Concern(ConcernId(id))),
        _ => Err(Error::invalid(
            "of",
            doorstep_core::error::ErrorCode::UnknownValue,
        )),
    }
}

#[derive(Subcommand)]
enum Command {
    /// Make the database a device of an officer working one or more beats.
    Init {
        #[arg(long)]
        officer: String,
        /// A beat (责任区); repeat for several.
        #[arg(long = "beat", required = true)]
        beats: Vec<String>,
    },
    /// Households: add, list, show.
    #[command(subcommand)]
    Household(HouseholdCmd),
    /// Residents: add.
    #[command(subcommand)]
    Resident(ResidentCmd),
    /// Record a visit (with an optional concern and follow-up task).
    Visit(VisitArgs),
    /// Today's plan: households due, tasks due, residents awaiting feedback.
    Today,
    /// Open concerns and tasks.
    Work,
    /// Search residents (characters, pinyin initials or full pinyin) and addresses.
    Search {
        text: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// The change log (what sync will push), oldest first.
    Changes {
        #[arg(long, default_value_t = 0)]
        after: i64,
        #[arg(long, default_value_t = 1000)]
        limit: u32,
    },
    /// Unsent changes and last sync.
    Status,
    /// Edits the station refused (with why) that have not been dealt with yet.
    Refusals,
    /// The station's officers (account id, name, beats), as of the last sync.
    Officers,
    /// Mark a refusal read; with --discard, a refused new record is also taken off this laptop.
    DismissRefusal {
        change_id: String,
        #[arg(long)]
        discard: bool,
    },
    /// Show a ledger file's columns, first rows and the suggested mapping.
    ImportPreview { file: PathBuf },
    /// Import a ledger (CSV or XLSX). Nothing is stored with --dry-run.
    Import {
        file: PathBuf,
        /// Column for a field, as FIELD=COLUMN (column number from 1 or header text); overrides the
        /// suggestion. Fields: address, beat, household_kind, household_tags, contact_phone, name,
        /// sex, birth_date, phone, id_number, relation, resident_tags.
        #[arg(long = "map")]
        map: Vec<String>,
        /// Beat for rows that name none (default: the device's first beat).
        #[arg(long)]
        beat: Option<String>,
        #[arg(long)]
        dry_run: bool,
    },
    /// Export records: `json` (every record, one per line) or `csv` (the household ledger).
    Export {
        #[arg(long, default_value = "json")]
        format: String,
    },
    /// Enrol this laptop with a station using the one-time code its administrator issued for the
    /// officer; the station's certificate is pinned from now on.
    Enroll {
        /// The station's address, e.g. https://192.168.1.10:8470
        #[arg(long)]
        station: String,
        /// The one-time enrolment code, e.g. K7QX-3M9P-2D4F-8HJT
        #[arg(long, env = "DOORSTEP_ENROLLMENT_CODE")]
        code: String,
    },
    /// Push unsent changes to the station and pull the beats' records.
    Sync,
    /// Sync by USB stick, where the laptop never reaches its station's network: `export` writes a
    /// bundle of everything the station has not acknowledged (encrypted to the station, signed by
    /// this laptop) for the station to import; `import` takes the station's answer bundle as a sync.
    Bundle {
        #[command(subcommand)]
        action: BundleAction,
    },
    /// Photos of what the officer saw: attach, list, save, delete; their upload queue and space.
    Photo {
        #[command(subcommand)]
        action: PhotoAction,
    },
    /// Write an encrypted backup of this database (it opens with the database's passphrase). Given
    /// a folder, the backup is named by the time, and with --keep only that many stay there.
    Backup {
        #[arg(long)]
        to: PathBuf,
        #[arg(long)]
        keep: Option<usize>,
    },
    /// Choose the folder of the daily backup (the app makes it once a day); without --folder, no
    /// daily backup. With --now, make the daily backup now if one is due.
    BackupFolder {
        #[arg(long)]
        folder: Option<String>,
        #[arg(long)]
        now: bool,
    },
    /// Change the database's passphrase (re-keyed in place) to the one in DOORSTEP_NEW_PASSPHRASE
    /// (an environment variable, so it shows in no process list).
    ChangePassphrase,
    /// Put a backup in place of this database (which is moved aside, not deleted), after checking
    /// that it opens with the passphrase and is whole. The next sync downloads again what the
    /// station holds from after the backup.
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
    /// Generate the demo beat (deterministic by seed) into this database.
    Demo {
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value_t = 2000)]
        households: u32,
        #[arg(long, default_value_t = 4)]
        max_visits: u32,
    },
}

#[derive(Subcommand)]
enum HouseholdCmd {
    Add {
        #[arg(long)]
        address: String,
        /// Default: the device's first beat.
        #[arg(long)]
        beat: Option<String>,
        #[arg(long, default_value = "residence")]
        kind: String,
        /// Tags, comma separated (elderly_alone, low_income, ...).
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
        #[arg(long, default_value = "")]
        phone: String,
    },
    List {
        #[arg(long)]
        beat: Option<String>,
        #[arg(long)]
        tag: Option<String>,
        /// Only households due or overdue for a visit.
        #[arg(long)]
        due: bool,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    Show {
        id: HouseholdId,
    },
    /// Change a household: only the fields given change (and only they go into the change log).
    Edit {
        id: HouseholdId,
        #[arg(long)]
        address: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        contact: Option<String>,
        #[arg(long)]
        notes: Option<String>,
        /// Tags, comma separated; replaces the household's tags.
        #[arg(long, value_delimiter = ',')]
        tags: Option<Vec<String>>,
    },
}

#[derive(Subcommand)]
enum ResidentCmd {
    Add {
        #[arg(long)]
        household: HouseholdId,
        #[arg(long)]
        name: String,
        #[arg(long)]
        sex: Option<String>,
        #[arg(long)]
        birth_date: Option<NaiveDate>,
        #[arg(long, default_value = "")]
        phone: String,
        #[arg(long, default_value = "")]
        id_number: String,
        #[arg(long)]
        relation: Option<String>,
    },
}

#[derive(Args)]
struct VisitArgs {
    #[arg(long)]
    household: HouseholdId,
    /// Purposes, comma separated: warmth, safety, law, mediation, service, care.
    #[arg(long, value_delimiter = ',', required = true)]
    purposes: Vec<String>,
    #[arg(long, default_value = "")]
    notes: String,
    /// Residents met (ids), comma separated.
    #[arg(long, value_delimiter = ',')]
    met: Vec<ResidentId>,
    #[arg(long)]
    rating: Option<String>,
    #[arg(long, default_value = "")]
    opinions: String,
    /// When (RFC 3339); default now.
    #[arg(long)]
    at: Option<DateTime<Utc>>,
    /// A concern raised in the visit: its summary.
    #[arg(long)]
    concern: Option<String>,
    #[arg(long, default_value = "dispute")]
    category: String,
    #[arg(long)]
    confidential: bool,
    /// A follow-up task for the concern: its title (needs --concern).
    #[arg(long, requires = "concern")]
    task: Option<String>,
    /// The officer responsible: their account id at the station (see `doorstep officers`); the
    /// officer's own by default.
    #[arg(long)]
    assignee: Option<String>,
    #[arg(long)]
    due: Option<NaiveDate>,
}

/// A word from a closed list, or a clear error naming the field.
fn word<T>(field: &str, value: &str, parse: fn(&str) -> Option<T>) -> Result<T, Error> {
    parse(value).ok_or_else(|| Error::invalid(field, doorstep_core::error::ErrorCode::UnknownValue))
}

fn print(value: &impl Serialize) -> anyhow::Result<()> {
    use std::io::Write;
    let text = serde_json::to_string_pretty(value)?;
    match writeln!(std::io::stdout().lock(), "{text}") {
        // A reader that stopped early (`| head`) is not an error of ours.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn today() -> NaiveDate {
    doorstep_core::time::local_today()
}

fn first_beat(store: &Store) -> Result<String, Error> {
    Ok(store.device()?.beats.first().cloned().unwrap_or_default())
}

fn run(cli: Cli) -> anyhow::Result<()> {
    // A restore replaces the database before anything opens it.
    if let Command::Restore { from } = &cli.command {
        let restored =
            doorstep_core::store::backup::restore(&cli.db, from, cli.passphrase.as_deref())?;
        return print(&restored);
    }
    let (mut store, key) = open_store(&cli)?;
    match cli.command {
        // Done above, before the database was opened.
        Command::Restore { .. } => {}
        Command::Backup { to, keep } => {
            let made = store.back_up(key.as_ref(), &to, keep)?;
            store.note_backup(&made)?;
            print(&made)?;
        }
        Command::ChangePassphrase => {
            let new = std::env::var("DOORSTEP_NEW_PASSPHRASE")
                .context("give the new passphrase in DOORSTEP_NEW_PASSPHRASE")?;
            let key =
                key.context("the database is not encrypted: give --passphrase to encrypt it")?;
            store.change_passphrase(&key, &new)?;
            print(&serde_json::json!({ "changed": true }))?;
        }
        Command::BackupFolder { folder, now } => {
            store.set_backup_folder(folder.as_deref())?;
            if now {
                store.daily_backup(key.as_ref())?;
            }
            print(&store.backup_settings()?)?;
        }
        Command::Init { officer, beats } => print(&store.init_device(&officer, &beats)?)?,
        Command::Household(HouseholdCmd::Add {
            address,
            beat,
            kind,
            tags,
            phone,
        }) => {
            let beat = match beat {
                Some(b) => b,
                None => first_beat(&store)?,
            };
            let mut h = Household::new(beat, address, word("kind", &kind, HouseholdKind::parse)?);
            h.tags = tags
                .iter()
                .filter(|t| !t.is_empty())
                .map(|t| word("tags", t, Tag::parse))
                .collect::<Result<_, _>>()?;
            h.contact_phone = phone;
            store.save_on(&h, today())?;
            print(&h)?;
        }
        Command::Household(HouseholdCmd::List {
            beat,
            tag,
            due,
            limit,
        }) => {
            let tag = tag.map(|t| word("tag", &t, Tag::parse)).transpose()?;
            let filter = HouseholdFilter {
                beat,
                tag,
                due_only: due,
                offset: 0,
                limit,
            };
            print(&store.households(&filter, today())?)?;
        }
        Command::Household(HouseholdCmd::Show { id }) => {
            print(&store.household_detail(id, today())?)?
        }
        Command::Household(HouseholdCmd::Edit {
            id,
            address,
            phone,
            contact,
            notes,
            tags,
        }) => {
            let mut h: Household = store.get(id.0)?;
            if let Some(address) = address {
                h.address = address;
            }
            if let Some(phone) = phone {
                h.contact_phone = phone;
            }
            if let Some(contact) = contact {
                h.contact_name = contact;
            }
            if let Some(notes) = notes {
                h.notes = notes;
            }
            if let Some(tags) = tags {
                h.tags = tags
                    .iter()
                    .filter(|t| !t.is_empty())
                    .map(|t| word("tags", t, Tag::parse))
                    .collect::<Result<_, _>>()?;
            }
            store.save_on(&h, today())?;
            print(&store.get::<Household>(id.0)?)?;
        }
        Command::Resident(ResidentCmd::Add {
            household,
            name,
            sex,
            birth_date,
            phone,
            id_number,
            relation,
        }) => {
            let mut r = Resident::new(household, name);
            r.sex = sex.map(|s| word("sex", &s, Sex::parse)).transpose()?;
            r.birth_date = birth_date;
            r.phone = phone;
            r.id_number = id_number;
            r.relation = relation
                .map(|s| word("relation", &s, Relation::parse))
                .transpose()?;
            store.save_on(&r, today())?;
            print(&r)?;
        }
        Command::Visit(a) => {
            let officer = store.device()?.officer_name.clone();
            let assignee = store.device()?.assignee().to_string();
            let visit = Visit {
                id: doorstep_core::ids::VisitId::new(),
                version: 0,
                household_id: a.household,
                visited_at: a.at.unwrap_or_else(doorstep_core::time::now),
                officers: vec![officer.clone()],
                purposes: a
                    .purposes
                    .iter()
                    .map(|p| word("purposes", p, Purpose::parse))
                    .collect::<Result<_, _>>()?,
                met: a.met,
                notes: a.notes,
                inquiry_areas: vec![],
                rating: a
                    .rating
                    .map(|r| word("rating", &r, Rating::parse))
                    .transpose()?,
                opinions: a.opinions,
                location: String::new(),
                deleted: false,
            };
            let mut entry = VisitEntry {
                visit,
                concerns: vec![],
                tasks: vec![],
                draft_id: None,
            };
            if let Some(summary) = a.concern {
                let mut c = Concern::new(
                    a.household,
                    word("category", &a.category, ConcernCategory::parse)?,
                    summary,
                );
                c.visit_id = Some(entry.visit.id);
                c.confidential = a.confidential;
                c.reporter_id = entry.visit.met.first().copied();
                if let Some(title) = a.task {
                    let due = a.due.unwrap_or_else(|| today() + chrono::Days::new(7));
                    let mut t = Task::new(
                        a.household,
                        title,
                        a.assignee.unwrap_or(assignee.clone()),
                        due,
                    );
                    t.concern_id = Some(c.id);
                    entry.tasks.push(t);
                }
                entry.concerns.push(c);
            }
            store.record_visit_on(&entry, today())?;
            print(&entry)?;
        }
        Command::Today => print(&store.today(today())?)?,
        Command::Work => print(&store.open_work()?)?,
        Command::Search { text, limit } => print(&store.search_on(&text, limit, today())?)?,
        Command::Changes { after, limit } => print(&store.changes_after(after, limit)?)?,
        Command::Status => print(&store.sync_status()?)?,
        Command::ImportPreview { file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            print(
                &doorstep_core::import::preview(&file_name(&file), &bytes).map_err(Error::from)?,
            )?;
        }
        Command::Import {
            file,
            map,
            beat,
            dry_run,
        } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file_name(&file);
            let preview = doorstep_core::import::preview(&name, &bytes).map_err(Error::from)?;
            let mapping = mapping(preview.suggested, &preview.headers, &map)?;
            let default_beat = match beat {
                Some(b) => b,
                None => first_beat(&store)?,
            };
            let request = ImportRequest {
                file_name: name,
                mapping,
                default_beat,
                dry_run,
            };
            print(&store.import_ledger_on(&request, &bytes, today())?)?;
        }
        Command::Export { format } => {
            let mut out = std::io::stdout().lock();
            match format.as_str() {
                "json" => store.export_json_lines(&mut out)?,
                "csv" => store.export_ledger_csv(&mut out)?,
                other => anyhow::bail!("unknown export format {other:?}; use json or csv"),
            };
        }
        Command::Refusals => print(&store.refusals()?)?,
        Command::Officers => print(&store.officers()?)?,
        Command::DismissRefusal { change_id, discard } => {
            store.dismiss_refusal(&change_id, discard)?;
        }
        Command::Enroll { station, code } => {
            print(&doorstep_sync::enroll(&mut store, &station, &code)?)?;
        }
        Command::Sync => {
            let result = doorstep_sync::sync(&mut store, |p| {
                eprintln!("{}", serde_json::to_string(&p).unwrap_or_default())
            });
            match result {
                Ok(report) => print(&report)?,
                Err(doorstep_sync::SyncError::WipeOrdered) => {
                    store.erase_contents()?;
                    anyhow::bail!(
                        "the station revoked this laptop and ordered its data erased: the local database has been erased"
                    );
                }
                Err(e) => return Err(e.into()),
            }
        }
        Command::Bundle {
            action: BundleAction::Export { to },
        } => {
            let (bytes, written) = doorstep_sync::bundle::export(&mut store)?;
            let path = if to.is_dir() {
                to.join(&written.file_name)
            } else {
                to
            };
            doorstep_protocol::bundle::write_file(&path, &bytes)
                .with_context(|| format!("writing the bundle {}", path.display()))?;
            print(&serde_json::json!({ "written": written, "file": path }))?;
        }
        Command::Bundle {
            action: BundleAction::Import { file },
        } => {
            let bytes = std::fs::read(&file)
                .with_context(|| format!("reading the answer {}", file.display()))?;
            let taken = doorstep_sync::bundle::import_answer(&mut store, &bytes, |p| {
                eprintln!("{}", serde_json::to_string(&p).unwrap_or_default())
            })?;
            print(&taken)?;
        }
        Command::Photo { action } => photo(&mut store, action)?,
        Command::Demo {
            seed,
            households,
            max_visits,
        } => {
            let spec = DemoSpec {
                seed,
                households,
                beats: vec![],
                max_visits,
                today: today(),
            };
            print(&demo::generate(&mut store, &spec)?)?;
        }
    }
    Ok(())
}

fn photo(store: &mut Store, action: PhotoAction) -> anyhow::Result<()> {
    match action {
        PhotoAction::Attach {
            to,
            id,
            file,
            caption,
            keep_location,
            full_size,
        } => {
            let of = photo_of(&to, id)?;
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let photo = store.attach_photo(
                of,
                &bytes,
                &caption,
                PhotoOptions {
                    keep_location,
                    full_size,
                },
            )?;
            print(&photo)?;
        }
        PhotoAction::List { of, id } => print(&store.photos(photo_of(&of, id)?)?)?,
        PhotoAction::Save { id, to, thumb } => {
            let entry = store.photo(id)?;
            let sha = if thumb {
                &entry.photo.thumb_sha256
            } else {
                &entry.photo.sha256
            };
            if sha.is_empty() {
                return Err(Error::Photo(doorstep_core::error::PhotoError::Withheld).into());
            }
            let bytes = doorstep_sync::photos::fetch_blob(store, sha)?;
            std::fs::write(&to, &bytes).with_context(|| format!("writing {}", to.display()))?;
            print(&serde_json::json!({ "file": to, "bytes": bytes.len() }))?;
        }
        PhotoAction::Delete { id } => {
            store.delete_photo(id)?;
            print(&serde_json::json!({ "deleted": id }))?;
        }
        PhotoAction::Caption { id, caption } => print(&store.caption_photo(id, &caption)?)?,
        PhotoAction::Send => print(&doorstep_sync::photos::send_due(store)?)?,
        PhotoAction::Space {
            budget_mb,
            keep_full_size,
        } => {
            if let Some(mb) = budget_mb {
                store.set_photo_budget_mb(mb)?;
            }
            if let Some(keep) = keep_full_size {
                store.set_photo_keep_full_size(keep)?;
            }
            print(&store.photo_space()?)?;
        }
    }
    Ok(())
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The suggested mapping with the user's `FIELD=COLUMN` overrides applied.
fn mapping(
    mut mapping: Mapping,
    headers: &[String],
    overrides: &[String],
) -> anyhow::Result<Mapping> {
    for o in overrides {
        let (field, column) = o
            .split_once('=')
            .with_context(|| format!("--map {o:?}: use FIELD=COLUMN"))?;
        let field =
            LedgerField::parse(field).with_context(|| format!("--map: unknown field {field:?}"))?;
        let index = match column.parse::<usize>() {
            Ok(n) if n >= 1 => n - 1,
            _ => headers
                .iter()
                .position(|h| h == column)
                .with_context(|| format!("--map: no column {column:?}"))?,
        };
        mapping.insert(field, index);
    }
    Ok(mapping)
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => match e.downcast_ref::<Error>() {
            Some(core) => {
                let report = ErrorReport::from(core);
                eprintln!("{}", serde_json::to_string(&report).unwrap_or_default());
                eprintln!("doorstep: {core}");
                ExitCode::from(if matches!(report, ErrorReport::Internal { .. }) {
                    1
                } else {
                    2
                })
            }
            None => {
                eprintln!("doorstep: {e:#}");
                ExitCode::from(2)
            }
        },
    }
}
