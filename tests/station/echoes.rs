//! A laptop does not download again what it has just pushed: the push's answer gives the versions
//! of the records it wrote as sent, and the pull of the same sync leaves them out. Whatever the
//! station merged into a record (another officer's edit, staff's decision) still comes, and no other
//! laptop — nor the pushing one, naming the wrong changes — is kept from anything.

use crate::support::*;
use doorstep_core::model::Household;

/// `beat:幸福社区`, as a query string carries it.
const BEAT: &str = "beat%3A%E5%B9%B8%E7%A6%8F%E7%A4%BE%E5%8C%BA";

/// The station's version of every record, by id.
fn station_versions(station: &Station) -> std::collections::BTreeMap<String, i64> {
    let db = station.db();
    let mut stmt = db.prepare("SELECT id, version FROM records").unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn a_laptop_does_not_download_its_own_pushed_records_and_holds_their_station_versions() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut li = Device::new(&station, "李警官", "幸福社区");
    let mut made = Vec::new();
    for i in 0..700 {
        let h = new_household(&mut zhang, "幸福社区", &format!("和平路{i}号"));
        new_visit(&mut zhang, &h, "走访");
        made.push(h);
    }
    let report = zhang.sync();
    assert_eq!(report.pushed, 1400);
    assert_eq!(
        report.pulled, 0,
        "its own 1,400 records came back: {report:?}"
    );
    // Its records carry the station's versions, as a pull would have set them.
    let versions = station_versions(&station);
    for h in &made {
        let local = zhang.household(h.id.0).version;
        assert_eq!(
            local,
            versions[&h.id.0.hyphenated().to_string()],
            "{}",
            h.address
        );
    }
    // Everyone else of the beat receives them all.
    assert_eq!(li.sync().pulled, 1400);

    // The next edit is based on the station's version: applied as an edit, no conflict.
    let mut h: Household = zhang.household(made[0].id.0);
    let before = h.version;
    h.contact_phone = "13800138000".into();
    zhang.store.save(&h).unwrap();
    let report = zhang.sync();
    assert_eq!((report.pushed, report.pulled, report.conflicts), (1, 0, 0));
    assert!(zhang.household(h.id.0).version > before);
    assert_eq!(li.sync().pulled, 1);
    assert_eq!(
        li.household(h.id.0).contact_phone,
        "13800138000",
        "li has zhang's edit"
    );
}

#[test]
fn what_the_station_merged_into_a_pushed_record_still_comes_back() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut li = Device::new(&station, "李警官", "幸福社区");
    let h = new_household(&mut zhang, "幸福社区", "幸福路8号");
    zhang.sync();
    li.sync();
    // Both edit the household offline, each a field of their own; li syncs first.
    let mut theirs: Household = li.household(h.id.0);
    theirs.contact_phone = "13900139000".into();
    li.store.save(&theirs).unwrap();
    li.sync();
    let mut mine: Household = zhang.household(h.id.0);
    mine.notes = "独居老人，每周回访".into();
    zhang.store.save(&mine).unwrap();
    let report = zhang.sync();
    assert_eq!(
        report.pulled, 1,
        "the merged household comes back: {report:?}"
    );
    let merged = zhang.household(h.id.0);
    assert_eq!(
        merged.contact_phone, "13900139000",
        "li's edit reached zhang"
    );
    assert_eq!(merged.notes, "独居老人，每周回访");
    assert_eq!(
        merged.version,
        station_versions(&station)[&h.id.0.hyphenated().to_string()]
    );
    // A later push of zhang's over li's edit, having seen it, is zhang's own again.
    let mut again: Household = zhang.household(h.id.0);
    again.notes = "已回访".into();
    zhang.store.save(&again).unwrap();
    assert_eq!(zhang.sync().pulled, 0);
    assert_eq!(li.sync().pulled, 1);
    assert_eq!(li.household(h.id.0).notes, "已回访");
}

#[test]
fn naming_another_laptops_changes_hides_nothing_of_theirs() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let li = Device::new(&station, "李警官", "幸福社区");
    for i in 0..5 {
        new_household(&mut zhang, "幸福社区", &format!("和平路{i}号"));
    }
    zhang.sync();
    // li's laptop names every sequence there is as pushed by it: zhang's records still come.
    let li_id = li.store.device().unwrap().device_id;
    let (status, body) = station.request(
        "GET",
        &format!(
            "pull?device_id={li_id}&scope={BEAT}&cursor=0&pushed_after=0&pushed_through=9223372036854775807"
        ),
        &li.credential(),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let page: doorstep_protocol::PullResponse = serde_json::from_str(&body).unwrap();
    assert_eq!(page.records.len(), 5);
    // zhang's own laptop naming them again in a later pull from 0 is spared them — only it.
    let zhang_id = zhang.store.device().unwrap().device_id;
    let (_, body) = station.request(
        "GET",
        &format!("pull?device_id={zhang_id}&scope={BEAT}&cursor=0&pushed_after=0&pushed_through=5"),
        &zhang.credential(),
        None,
    );
    let page: doorstep_protocol::PullResponse = serde_json::from_str(&body).unwrap();
    assert!(page.records.is_empty(), "{body}");
    assert!(
        page.cursor >= 5,
        "the cursor passes what it left out: {body}"
    );
    // Without the range, everything comes, as for a laptop from before it.
    let (_, body) = station.request(
        "GET",
        &format!("pull?device_id={zhang_id}&scope={BEAT}&cursor=0"),
        &zhang.credential(),
        None,
    );
    let page: doorstep_protocol::PullResponse = serde_json::from_str(&body).unwrap();
    assert_eq!(page.records.len(), 5);
}
