//! The fuzz targets' bodies, kept here so that they build and run on the stable toolchain too:
//! `fuzz/` (cargo-fuzz, libFuzzer, nightly) calls them with generated inputs, and this crate's tests
//! replay the seed corpus and thousands of mutations of it on every test run. Either way the
//! contract is the same: any input at all is answered (accepted or refused), never a panic.
//!
//! - [`change_decoder`]: a push body as the station receives it: decoded, each change's fields
//!   checked, then pushed into a station store for one enrolled laptop.
//! - [`ledger_import`]: a ledger file as an officer imports it, as CSV and as XLSX: previewed, then
//!   imported (dry run) into a laptop store with the suggested column mapping.

use doorstep_core::Store;
use doorstep_core::ids::{DeviceId, OfficerId};
use doorstep_core::model::check_fields;
use doorstep_protocol::PushRequest;
use doorstep_station::store::{NewAccount, Role, StationStore};
use std::cell::RefCell;

/// A station store with one enrolled laptop, made once per process (fuzzers call the target many
/// thousand times; what earlier inputs stored stays, as it would at a real station).
struct Station {
    store: StationStore,
    device: DeviceId,
    _dir: tempfile::TempDir,
}

fn station() -> Option<Station> {
    let dir = tempfile::tempdir().ok()?;
    let mut store = StationStore::open(&dir.path().join("station.sqlite")).ok()?;
    let account = store
        .create_account(
            "fuzz",
            &NewAccount {
                username: "officer".into(),
                display_name: "张警官".into(),
                roles: vec![Role::Officer],
                beats: vec!["幸福社区".into()],
                password: "fuzz-password-1".into(),
            },
        )
        .ok()?;
    let code = store.issue_enrollment_code("fuzz", &account.id).ok()?;
    let device = DeviceId::new();
    store
        .enroll_with_code(&code.code, device, OfficerId::new(), 0)
        .ok()?;
    Some(Station {
        store,
        device,
        _dir: dir,
    })
}

thread_local! {
    static STATION: RefCell<Option<Station>> = RefCell::new(station());
}

/// A push body, as the station receives it.
pub fn change_decoder(data: &[u8]) {
    let Ok(mut request) = serde_json::from_slice::<PushRequest>(data) else {
        return;
    };
    for c in &request.changes {
        let _ = check_fields(c.entity, &c.entity_id.to_string(), &c.fields);
    }
    STATION.with(|s| {
        if let Some(station) = s.borrow_mut().as_mut() {
            // As the enrolled laptop, so that the changes go all the way through decide and write.
            request.device_id = station.device;
            for c in &mut request.changes {
                c.device_id = station.device;
            }
            let _ = station.store.push(request.device_id, &request.changes);
        }
    });
}

/// A ledger file, as an officer imports it.
pub fn ledger_import(data: &[u8]) {
    for name in ["台账.csv", "台账.xlsx"] {
        let Ok(preview) = doorstep_core::import::preview(name, data) else {
            continue;
        };
        let Ok(mut store) = Store::open_in_memory() else {
            return;
        };
        if store.init_device("张警官", &["幸福社区".into()]).is_err() {
            return;
        }
        let request = doorstep_core::import::ImportRequest {
            file_name: name.into(),
            mapping: preview.suggested,
            default_beat: "幸福社区".into(),
            dry_run: true,
        };
        let _ = store.import_ledger(&request, data);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use std::path::Path;

    /// The seed corpus of a target (fuzz/corpus/<target>/).
    fn corpus(target: &str) -> Vec<Vec<u8>> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/corpus")
            .join(target);
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let seeds: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
        assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
        seeds
    }

    /// A mutation in the manner of libFuzzer's simplest ones: flip, insert, delete, splice.
    fn mutate(rng: &mut ChaCha8Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
        let mut out = seed.to_vec();
        for _ in 0..rng.random_range(1..6) {
            let at = if out.is_empty() {
                0
            } else {
                rng.random_range(0..out.len())
            };
            match rng.random_range(0..5) {
                0 if !out.is_empty() => out[at] ^= 1 << rng.random_range(0..8),
                1 => out.insert(at, rng.random()),
                2 if !out.is_empty() => {
                    out.remove(at);
                }
                3 if !other.is_empty() => {
                    let from = rng.random_range(0..other.len());
                    let len = rng.random_range(0..=(other.len() - from).min(64));
                    out.splice(at..at, other[from..from + len].iter().copied());
                }
                _ => {
                    let interesting: &[&[u8]] = &[
                        b"\"",
                        b"{}",
                        b"[]",
                        b"null",
                        b"-1",
                        b"1e999",
                        "张".as_bytes(),
                        b"\0",
                        b"\xff",
                    ];
                    let pick = interesting[rng.random_range(0..interesting.len())];
                    out.splice(at..at, pick.iter().copied());
                }
            }
        }
        out
    }

    fn replay(target: &str, run: fn(&[u8]), mutations: usize) {
        let seeds = corpus(target);
        for seed in &seeds {
            run(seed);
        }
        let mut rng = ChaCha8Rng::seed_from_u64(20261123);
        for _ in 0..mutations {
            let seed = &seeds[rng.random_range(0..seeds.len())];
            let other = &seeds[rng.random_range(0..seeds.len())];
            run(&mutate(&mut rng, seed, other));
        }
    }

    #[test]
    fn the_change_decoder_survives_its_corpus_and_mutations_of_it() {
        replay("change_decoder", change_decoder, 3000);
    }

    #[test]
    fn the_ledger_importer_survives_its_corpus_and_mutations_of_it() {
        replay("ledger_import", ledger_import, 1500);
    }

    #[test]
    fn a_seed_push_really_reaches_the_station_store() {
        // The corpus is only worth something if its seeds get past decoding.
        let seed = &corpus("change_decoder")[0];
        let request: PushRequest = serde_json::from_slice(seed).unwrap();
        assert!(!request.changes.is_empty());
        change_decoder(seed);
        let stored = STATION.with(|s| {
            s.borrow()
                .as_ref()
                .map(|st| {
                    st.store
                        .conn()
                        .query_row("SELECT count(*) FROM changes", [], |r| r.get::<_, i64>(0))
                        .unwrap()
                })
                .unwrap()
        });
        assert!(stored >= 1, "the seed's changes were stored");
    }
}
