//! Getting changes to the station exactly once: re-sent batches, a push cut in the middle, changes
//! arriving out of order, and requests the station must refuse without storing anything.

use crate::support::{
    self, Device, Station, households_with_long_notes, new_household, pinned_agent,
};
use doorstep_core::model::{Household, Task};
use doorstep_protocol::{PushRequest, PushResponse};

/// A push made by hand with the laptop's credential.
fn raw_push(station: &Station, device: &Device, request: &PushRequest) -> (u16, String) {
    let body = serde_json::to_value(request).unwrap();
    station.request("POST", "push", &device.credential(), Some(&body))
}

#[test]
fn a_batch_pushed_twice_stores_nothing_twice() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    for i in 0..5 {
        new_household(&mut zhang, "幸福社区", &format!("幸福路{i}号"));
    }
    let changes = zhang.store.changes_after(0, 100).unwrap();
    let request = PushRequest {
        device_id: zhang.store.device().unwrap().device_id,
        changes,
    };
    let (status, first) = raw_push(&station, &zhang, &request);
    assert_eq!(status, 200);
    let (_, second) = raw_push(&station, &zhang, &request);
    let first: PushResponse = serde_json::from_str(&first).unwrap();
    let second: PushResponse = serde_json::from_str(&second).unwrap();
    assert_eq!((first.stored, first.acked_seq), (5, 5));
    assert_eq!(
        (second.stored, second.duplicates, second.acked_seq),
        (0, 5, 5)
    );
    assert_eq!(station.count("SELECT count(*) FROM changes"), 5);
    assert_eq!(station.count("SELECT count(*) FROM records"), 5);
}

#[test]
fn a_push_cut_in_the_middle_is_retried_and_converges() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    for i in 0..8 {
        new_household(&mut zhang, "幸福社区", &format!("幸福路{i}号"));
    }
    // The first half arrived and was stored, but the answer never reached the laptop.
    let first_half = zhang.store.changes_after(0, 4).unwrap();
    let device_id = zhang.store.device().unwrap().device_id;
    raw_push(
        &station,
        &zhang,
        &PushRequest {
            device_id,
            changes: first_half,
        },
    );
    assert_eq!(
        zhang.store.acked_seq().unwrap(),
        0,
        "the laptop never heard back"
    );

    let report = zhang.sync();
    assert_eq!(report.acked_seq, 8);
    assert_eq!(zhang.store.sync_status().unwrap().unsent, 0);
    assert_eq!(station.count("SELECT count(*) FROM changes"), 8);
    assert_eq!(station.count("SELECT count(*) FROM records"), 8);
}

#[test]
fn a_devices_later_change_arriving_first_waits_for_the_earlier_one_without_a_false_conflict() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut h = new_household(&mut zhang, "幸福社区", "幸福路1号");
    h.contact_phone = "13800138000".into();
    zhang.store.save(&h).unwrap();
    let changes = zhang.store.changes_after(0, 10).unwrap();
    let device_id = zhang.store.device().unwrap().device_id;

    let (_, later_first) = raw_push(
        &station,
        &zhang,
        &PushRequest {
            device_id,
            changes: vec![changes[1].clone()],
        },
    );
    let later_first: PushResponse = serde_json::from_str(&later_first).unwrap();
    assert_eq!(
        (later_first.acked_seq, later_first.held),
        (0, 1),
        "held until change 1 arrives"
    );
    assert_eq!(station.count("SELECT count(*) FROM records"), 0);

    let (_, then) = raw_push(
        &station,
        &zhang,
        &PushRequest {
            device_id,
            changes: vec![changes[0].clone()],
        },
    );
    let then: PushResponse = serde_json::from_str(&then).unwrap();
    assert_eq!((then.acked_seq, then.held, then.conflicts), (2, 0, 0));
    let fields: String = station
        .db()
        .query_row("SELECT fields FROM records", [], |r| r.get(0))
        .unwrap();
    assert!(
        fields.contains("13800138000"),
        "both changes applied, in the device's order"
    );
}

#[test]
fn bad_requests_get_a_4xx_with_a_reason_and_store_nothing() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    new_household(&mut zhang, "幸福社区", "幸福路1号");
    let device_id = zhang.store.device().unwrap().device_id;
    let mut changes = zhang.store.changes_after(0, 10).unwrap();

    // A field the record does not have.
    changes[0]
        .fields
        .insert("favourite_colour".into(), serde_json::json!("red"));
    let (status, body) = raw_push(
        &station,
        &zhang,
        &PushRequest {
            device_id,
            changes: changes.clone(),
        },
    );
    assert_eq!(status, 400);
    assert!(body.contains("favourite_colour"), "{body}");

    // A device the station does not know.
    let stranger = doorstep_core::ids::DeviceId::new();
    let (status, body) = raw_push(
        &station,
        &zhang,
        &PushRequest {
            device_id: stranger,
            changes: vec![],
        },
    );
    assert_eq!(status, 403, "{body}");

    // Malformed and truncated JSON, and a made-up credential.
    let agent = pinned_agent(&station.certificate());
    let url = format!("{}/api/v1/push", station.url);
    let status = agent
        .post(&url)
        .header("Authorization", &format!("Bearer {}", zhang.credential()))
        .header("Content-Type", "application/json")
        .send("{\"device_id\": \"")
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 400);
    let status = agent
        .post(&url)
        .header("Authorization", "Bearer d.guess")
        .send_json(serde_json::json!({}))
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 401);

    assert_eq!(
        station.count("SELECT count(*) FROM changes"),
        0,
        "nothing from a refused batch is stored"
    );
    // And the station keeps serving: the good batch goes through.
    assert_eq!(zhang.sync().acked_seq, 1);
}

#[test]
fn a_change_whose_record_does_not_validate_is_kept_refused_and_does_not_wedge_the_queue() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    new_household(&mut zhang, "幸福社区", "幸福路1号");
    let device_id = zhang.store.device().unwrap().device_id;
    let mut changes = zhang.store.changes_after(0, 10).unwrap();
    // A value of the wrong type, and a new record with fields missing.
    changes[0].change_id = doorstep_core::ids::ChangeId::new();
    changes[0]
        .fields
        .insert("tags".into(), serde_json::json!("not a list"));
    let mut partial = changes[0].clone();
    partial.change_id = doorstep_core::ids::ChangeId::new();
    partial.device_seq = 2;
    partial.entity_id = uuid::Uuid::now_v7();
    partial.fields =
        serde_json::from_value(serde_json::json!({"address": "幸福路2号", "beat": "幸福社区"}))
            .unwrap();
    let (status, body) = raw_push(
        &station,
        &zhang,
        &PushRequest {
            device_id,
            changes: vec![changes[0].clone(), partial],
        },
    );
    assert_eq!(status, 200, "{body}");
    let answer: PushResponse = serde_json::from_str(&body).unwrap();
    assert_eq!(answer.acked_seq, 2);
    assert_eq!(
        answer
            .refused
            .iter()
            .map(|r| r.reason.as_str())
            .collect::<Vec<_>>(),
        ["invalid", "invalid"]
    );
    assert!(
        answer.refused[0].message.contains("expected a sequence"),
        "{}",
        answer.refused[0].message
    );
    assert_eq!(station.count("SELECT count(*) FROM records"), 0);
    assert_eq!(
        station.count("SELECT count(*) FROM changes WHERE status = 'refused'"),
        2,
        "kept, with their reasons"
    );
}

/// A request the station answers before reading its body (not signed in, a malformed path) leaves
/// the connection fit for the next request. The station used to drop such a connection, without
/// TLS close_notify, after an answer that promised keep-alive, whenever the body arrived after the
/// head (as Python's and many clients' requests send it): the client's next request on it, from
/// its pool, failed as a network error, so a laptop would show "offline" where the station had
/// answered "signed out".
#[test]
fn an_answer_given_before_the_body_is_read_keeps_the_connection_usable() {
    let station = Station::start();
    let body =
        serde_json::json!({"keep": "household-1", "note": "多余的内容".repeat(50)}).to_string();
    let mut connection = support::RawConnection::open(&station);
    for round in 0..4 {
        let (status, reason) =
            connection.post_head_then_body("/api/v1/duplicates/abc/merge", "", &body);
        assert_eq!(status, 401, "round {round}: {reason}");
        let (status, reason) = connection.post_head_then_body(
            "/api/v1/duplicates/abc/merge",
            &station.staff_token,
            &body,
        );
        assert_eq!(status, 400, "round {round}: {reason}");
        let (status, reason) =
            connection.post_head_then_body("/api/v1/session", "", r#"{"username":"x"}"#);
        assert!(
            (400..500).contains(&status),
            "round {round}: {status} {reason}"
        );
    }
}

/// Long notes make large changes: a full batch of them is larger than the station takes in one
/// request (`limits::MAX_BODY_BYTES`). The laptop sends fewer at a time instead of being refused
/// the same batch on every sync, and everything arrives once.
#[test]
fn changes_too_large_for_one_request_together_go_in_several() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let households = 400;
    let (note, _) = households_with_long_notes(&mut zhang, "幸福社区", households);
    let unsent = zhang.store.sync_status().unwrap().unsent as usize;
    let bytes: usize = zhang
        .store
        .changes_after(0, u32::MAX)
        .unwrap()
        .iter()
        .map(|c| serde_json::to_vec(c).unwrap().len())
        .sum();
    assert!(
        bytes > doorstep_protocol::limits::MAX_BODY_BYTES,
        "the changes must not fit one request: {bytes} bytes"
    );
    assert!(unsent <= doorstep_protocol::limits::PUSH_BATCH as usize);

    let report = zhang.sync();
    assert_eq!(report.pushed as usize, unsent, "{report:?}");
    assert_eq!(zhang.store.sync_status().unwrap().unsent, 0);
    assert_eq!(
        station.count("SELECT count(*) FROM records WHERE entity = 'household'"),
        households
    );
    assert_eq!(
        station.count(&format!(
            "SELECT count(*) FROM records WHERE entity = 'household' AND json_extract(fields, '$.notes') = '{note}'"
        )),
        households
    );
    assert_eq!(station.count("SELECT count(*) FROM changes"), unsent as i64);
}

/// Long notes make large pull pages: however many records a laptop asks for (up to the station's
/// 5,000), a page ends before its records' fields would pass `PAGE_BYTES` (a page of 5,000 such
/// records would be 150 MB to hold, send and decode), and the next page goes on from there:
/// another laptop receives every household whole.
#[test]
fn a_pull_page_of_long_notes_ends_at_its_byte_budget_and_the_next_goes_on() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let households = 400;
    let (note, _) = households_with_long_notes(&mut zhang, "幸福社区", households);
    zhang.sync();

    // A new laptop downloads them all (a page of 12 MB was more than it reads of an answer).
    let mut wang = Device::new(&station, "王警官", "幸福社区");
    let report = wang.sync();
    assert_eq!(report.pulled as usize, households as usize, "{report:?}");
    let whole: i64 = wang
        .store
        .conn()
        .query_row(
            "SELECT count(*) FROM households WHERE notes = ?1",
            [&note],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(whole, households, "every note arrives whole");

    // The pages as the station sends them, asked for the most records a page may hold.
    let pages = pages_from(
        &station,
        &wang,
        "beat%3A%E5%B9%B8%E7%A6%8F%E7%A4%BE%E5%8C%BA",
        0,
    );
    let sizes: Vec<usize> = pages.iter().map(|(bytes, _)| *bytes).collect();
    assert!(
        sizes.len() >= 3,
        "12 MB of notes come in several pages: {sizes:?}"
    );
    assert_within_the_budget(&sizes);
    let ids: std::collections::HashSet<_> = pages
        .iter()
        .flat_map(|(_, page)| page.records.iter().map(|r| r.id))
        .collect();
    assert_eq!(ids.len(), households as usize, "every household once");
}

/// A task assigned from another beat arrives with its household and concern, whatever their
/// versions (they may lie below the laptop's cursor): their bytes count in the page's budget as the
/// task's own do. Staff give Zhang, whose laptop has synced already, 400 follow-ups of Wang's beat
/// whose households carry the longest notes — one page of 400 small tasks, but 12 MB with what
/// they are about. It comes in pages within the budget, and every household arrives whole. (Wang's
/// own laptop could not download either: his tasks scope brings the same households with his
/// follow-ups.)
#[test]
fn tasks_assigned_from_another_beat_bring_their_households_within_the_page_budget() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let mut wang = Device::new(&station, "王警官", "和平社区");
    let households = 400;
    let (note, saved) = households_with_long_notes(&mut wang, "和平社区", households);
    let due = chrono::Utc::now().date_naive();
    let tasks: Vec<Task> = saved
        .iter()
        .map(|h| Task::new(h.id, "回访楼道堆物整改", "王警官", due))
        .collect();
    for task in &tasks {
        wang.store.save(task).unwrap();
    }
    wang.sync();
    zhang.sync();
    // Where Zhang's laptop stands in the tasks scope: nothing of it yet, its cursor at the head.
    let before = pages_from(&station, &zhang, "tasks", 0);
    assert!(before.iter().all(|(_, page)| page.records.is_empty()));
    let cursor = before.last().unwrap().1.cursor;

    for task in &tasks {
        let (status, body) = station.post(
            &format!("tasks/{}/assign", task.id),
            &serde_json::json!({"staff": "李所长", "assignee": "张警官", "due_date": "2030-01-31"}),
        );
        assert_eq!(status, 200, "{body}");
    }
    let pages = pages_from(&station, &zhang, "tasks", cursor);
    let sizes: Vec<usize> = pages.iter().map(|(bytes, _)| *bytes).collect();
    assert!(
        sizes.len() >= 3,
        "12 MB of households come in several pages: {sizes:?}"
    );
    assert_within_the_budget(&sizes);

    let report = zhang.sync();
    assert_eq!(report.pulled as usize, tasks.len() * 2, "{report:?}");
    let whole: i64 = zhang
        .store
        .conn()
        .query_row(
            "SELECT count(*) FROM households WHERE notes = ?1",
            [&note],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(whole, households, "every household arrives whole");
    assert_eq!(zhang.store.open_work().unwrap().tasks.len(), tasks.len());
}

/// Every page of one scope from `cursor` on, as the station sends them to `device` asked for the
/// most records a page may hold: each with its size in bytes.
fn pages_from(
    station: &Station,
    device: &Device,
    scope: &str,
    mut cursor: i64,
) -> Vec<(usize, doorstep_protocol::PullResponse)> {
    let (device_id, credential) = (
        device.store.device().unwrap().device_id,
        device.credential(),
    );
    let mut pages = Vec::new();
    loop {
        let (status, body) = station.request_bytes(
            "GET",
            &format!("pull?device_id={device_id}&scope={scope}&cursor={cursor}&limit=5000"),
            &credential,
            None,
        );
        assert_eq!(status, 200);
        let page: doorstep_protocol::PullResponse = serde_json::from_slice(&body).unwrap();
        assert!(
            !page.records.is_empty() || !page.more,
            "a page that says more holds records"
        );
        assert!(page.cursor > cursor || !page.more, "the cursor moves on");
        cursor = page.cursor;
        let more = page.more;
        pages.push((body.len(), page));
        if !more {
            return pages;
        }
    }
}

/// Each page's records stop short of the station's budget; the rest of a page is ids and versions.
fn assert_within_the_budget(sizes: &[usize]) {
    let budget = doorstep_station::store::PAGE_BYTES;
    assert!(
        sizes.iter().all(|&bytes| bytes < budget + 100_000),
        "pages of at most {budget} bytes of records: {sizes:?}"
    );
}

/// A refused change comes back with the record as the station holds it, for the laptop to take
/// back: a batch of refused edits of records with long notes made an answer larger than a laptop
/// reads (30 MB for a thousand), so that laptop could never sync again — the same batch, refused
/// again as a replay is, on every try. An answer now ends once it holds `ANSWER_BYTES` of records
/// and acknowledges no further; the rest, sent again, is answered in turn. So is a replay of the
/// whole batch (its answers lost), and so does the real laptop's sync.
#[test]
fn a_push_answer_of_refused_long_records_ends_at_its_budget_and_the_rest_goes_again() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let households = 400;
    let (note, saved) = households_with_long_notes(&mut zhang, "幸福社区", households);
    zhang.sync();
    // Edits based on versions the station never handed out (a forging laptop, or a broken one):
    // each refused as `base_ahead`, with the household as the station holds it.
    for h in &saved {
        let mut h: Household = zhang.household(h.id.0);
        h.contact_phone = "13800138000".into();
        zhang.store.save(&h).unwrap();
    }
    let sent = zhang.store.acked_seq().unwrap();
    let forged: Vec<_> = zhang
        .store
        .changes_after(sent, 1000)
        .unwrap()
        .into_iter()
        .map(|mut c| {
            c.base_version += 1_000_000;
            c
        })
        .collect();
    assert_eq!(forged.len(), households as usize);
    let device_id = zhang.store.device().unwrap().device_id;
    let budget = doorstep_station::store::ANSWER_BYTES;

    // Sent as a laptop sends after an answer taken in part: from what was acknowledged. Then the
    // whole batch again, as a laptop whose answers were lost does: each change is reported again.
    for round in ["first", "replayed"] {
        let (mut acked, mut answers) = (sent, 0);
        let mut refused = std::collections::HashSet::new();
        while acked < sent + households {
            let changes = forged
                .iter()
                .filter(|c| c.device_seq > acked)
                .cloned()
                .collect();
            let (status, body) = raw_push(&station, &zhang, &PushRequest { device_id, changes });
            assert_eq!(status, 200, "{round}");
            assert!(
                body.len() < budget + 200_000,
                "{round}: an answer of {} bytes",
                body.len()
            );
            let answer: PushResponse = serde_json::from_str(&body).unwrap();
            assert!(answer.acked_seq > acked, "{round}: each answer moves on");
            for r in &answer.refused {
                assert_eq!(r.reason, "base_ahead");
                let record = r.station_record.as_ref().expect("the station's copy");
                assert_eq!(record.fields["notes"], note.as_str());
                refused.insert(r.entity_id);
            }
            acked = answer.acked_seq;
            answers += 1;
        }
        assert!(
            answers >= 3,
            "{round}: 12 MB of records in {answers} answers"
        );
        assert_eq!(
            refused.len(),
            households as usize,
            "{round}: every refusal reported"
        );
    }
    assert_eq!(
        station.count("SELECT count(*) FROM changes WHERE status = 'refused'"),
        households
    );

    // The laptop itself, with the same forged edits in its change log: it syncs, hears of every
    // refusal and takes the station's households back.
    let mut wang = Device::new(&station, "王警官", "幸福社区");
    wang.sync();
    for h in &saved {
        let mut h: Household = wang.household(h.id.0);
        h.contact_phone = "13900139000".into();
        wang.store.save(&h).unwrap();
    }
    wang.store
        .conn()
        .execute_batch(
            "DROP TRIGGER changes_are_never_edited;
         UPDATE changes SET base_version = base_version + 1000000 WHERE entity = 'household';",
        )
        .unwrap();
    let report = wang.sync();
    assert_eq!(report.refused, households as u32, "{report:?}");
    assert_eq!(wang.store.sync_status().unwrap().unsent, 0);
    let theirs: i64 = wang
        .store
        .conn()
        .query_row(
            "SELECT count(*) FROM households WHERE contact_phone = '13900139000'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(theirs, 0, "the station's copies taken back");
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// The station tells laptops it takes pushes gzip'd, and a gzip'd push is stored as the same
/// push plain would be; the laptop's own sync sends them so (the fault suite counts the bytes).
#[test]
fn a_gzipped_push_is_taken_as_the_same_push_plain() {
    let station = Station::start();
    let mut zhang = Device::new(&station, "张警官", "幸福社区");
    let (status, scopes) = station.request("GET", "scopes", &zhang.credential(), None);
    assert_eq!(status, 200, "{scopes}");
    let scopes: doorstep_protocol::Scopes = serde_json::from_str(&scopes).unwrap();
    assert_eq!(scopes.push_encodings, ["gzip"]);

    for i in 0..20 {
        new_household(&mut zhang, "幸福社区", &format!("幸福路{i}号"));
    }
    let request = PushRequest {
        device_id: zhang.store.device().unwrap().device_id,
        changes: zhang.store.changes_after(0, 100).unwrap(),
    };
    let json = serde_json::to_vec(&request).unwrap();
    let (status, answer) =
        station.post_encoded("push", &zhang.credential(), &["gzip"], &gzip(&json));
    assert_eq!(status, 200, "{answer}");
    let answer: PushResponse = serde_json::from_str(&answer).unwrap();
    assert_eq!((answer.acked_seq, answer.stored), (20, 20));
    // The same again, plain: a replay of what is stored.
    let (status, again) = station.post_encoded("push", &zhang.credential(), &["identity"], &json);
    assert_eq!(status, 200, "{again}");
    let again: PushResponse = serde_json::from_str(&again).unwrap();
    assert_eq!((again.acked_seq, again.duplicates), (20, 20));
    assert_eq!(
        station.count("SELECT count(*) FROM records WHERE entity = 'household'"),
        20
    );
}

/// Bodies the station must refuse however they are packed: one that unpacks into far more than
/// it takes in a request (a few kilobytes that would be gigabytes: 413, nothing stored, and the
/// station answers on), one that is not gzip though it says so (400), and encodings it does not
/// take, or several stacked (415) — each with a reason, none a 5xx.
#[test]
fn bodies_packed_to_harm_or_unknown_are_refused_with_a_reason() {
    use std::io::Write as _;
    let station = Station::start();
    let zhang = Device::new(&station, "张警官", "幸福社区");
    let token = zhang.credential();

    // 512 MiB of spaces inside a push's JSON, gzip'd into well under a megabyte.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(br#"{"device_id":"00000000-0000-0000-0000-000000000000","changes":["#)
        .unwrap();
    let spaces = vec![b' '; 1024 * 1024];
    for _ in 0..512 {
        gz.write_all(&spaces).unwrap();
    }
    gz.write_all(b"]}").unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 1024 * 1024, "{}", bomb.len());
    let (status, reason) = station.post_encoded("push", &token, &["gzip"], &bomb);
    assert_eq!(status, 413, "{reason}");
    assert!(
        reason.contains("larger than the station accepts"),
        "{reason}"
    );

    let mut not_gzip = gzip(b"{}");
    not_gzip.truncate(12);
    not_gzip.extend_from_slice(&[0xff; 64]);
    let (status, reason) = station.post_encoded("push", &token, &["gzip"], &not_gzip);
    assert_eq!(status, 400, "{reason}");
    assert!(reason.contains("could not be read"), "{reason}");

    let device = zhang.store.device().unwrap().device_id;
    let json = format!(r#"{{"device_id":"{device}","changes":[]}}"#);
    let json = json.as_bytes();
    // An encoding's name in any case is the same encoding.
    let (status, reason) = station.post_encoded("push", &token, &["GZIP"], &gzip(json));
    assert_eq!(status, 200, "{reason}");
    for encodings in [&["br"][..], &["gzip, gzip"], &["gzip", "gzip"], &["x-gzip"]] {
        let body = match encodings {
            ["gzip", "gzip"] => gzip(&gzip(json)),
            _ => json.to_vec(),
        };
        let (status, reason) = station.post_encoded("push", &token, encodings, &body);
        assert_eq!(status, 415, "{encodings:?}: {reason}");
        assert!(
            reason.contains("plain or gzip'd"),
            "{encodings:?}: {reason}"
        );
    }

    // The station answers on, and nothing was stored.
    let (status, _) = station.request("GET", "scopes", &token, None);
    assert_eq!(status, 200);
    assert_eq!(station.count("SELECT count(*) FROM changes"), 0);
}
