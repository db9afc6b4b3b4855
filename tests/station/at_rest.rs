//! What the station holds at rest: a damaged database is refused at start with a clear message,
//! never served in part.

use crate::support::{Device, Station, new_household};
use std::io::{Seek, SeekFrom, Write};

/// Flips the bytes of one page in the middle of the file (a bad sector, a torn copy).
fn damage_page(path: &std::path::Path, page: u64) {
    let mut file = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    file.seek(SeekFrom::Start(page * 4096)).unwrap();
    file.write_all(&[0xA5; 4096]).unwrap();
    file.sync_all().unwrap();
}

#[test]
fn a_damaged_database_is_refused_at_start_with_a_clear_message() {
    let mut station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    for n in 0..50 {
        new_household(&mut zhang, "幸福社区", &format!("幸福路{n}号"));
    }
    zhang.sync();
    station.stop();
    let db = station.dir.path().join("station.sqlite");
    // Everything into the main file, so the damage is not papered over by the write-ahead log.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    let pages: i64 = conn
        .query_row("PRAGMA page_count", [], |r| r.get(0))
        .unwrap();
    drop(conn);
    assert!(pages > 10, "{pages} pages");
    damage_page(&db, pages as u64 / 2);

    let (started, said) = station.start_again_expecting_refusal();
    assert!(!started, "a damaged database was served: {said}");
    assert!(said.contains("damaged"), "{said}");

    // A truncated file is refused too.
    let len = std::fs::metadata(&db).unwrap().len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .unwrap()
        .set_len(len / 3)
        .unwrap();
    let (started, said) = station.start_again_expecting_refusal();
    assert!(!started, "a truncated database was served: {said}");
    assert!(said.contains("damaged"), "{said}");
}
