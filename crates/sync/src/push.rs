//! The push: the laptop's change log sent from the station's last acknowledgement, in batches, each
//! answer recorded as it comes (a cut connection resumes from there).
//!
//! Over a link that carries requests at once (HTTPS), the next batch is on its way while the
//! station decides one: it travels, and the station reads and decodes it, while the batch before
//! it is decided, instead of after its answer came back. Over a link of a station's Wi-Fi (50
//! Mbit/s, 10 ms there and back) a demo beat's whole sync took 2.0–2.3 s instead of 3.1–3.6 s; on
//! loopback, where nothing travels, about a tenth less (docs/perf).
//!
//! Answers are taken in the order the batches were sent. A batch sent ahead assumes the one before
//! it is taken whole; when an answer says otherwise (a part taken, sequences reused by a laptop
//! restored from a backup, an acknowledgement for another laptop's change), the answer to the
//! batch sent ahead is not taken — it answered a guess — and the push goes on one batch at a time
//! from what the station did acknowledge. The station stores a change once whatever order or how
//! often it comes (held until the ones before it arrive, a replay counted as a duplicate), so
//! nothing is lost or doubled by that.

use crate::{Progress, SyncError, SyncReport, Transport, note_skew};
use doorstep_core::Store;
use doorstep_core::store::changes::Change;
use doorstep_protocol::{PushRequest, PushResponse};
use std::collections::VecDeque;
use std::thread::{Scope, ScopedJoinHandle};

/// Changes per push (the station takes up to `limits::MAX_BATCH`).
pub const PUSH_BATCH: u32 = doorstep_protocol::limits::PUSH_BATCH;
/// Bytes of changes in one push, at most: half of what the station reads of one request
/// (`limits::MAX_BODY_BYTES`), the rest left for the request's own fields. A batch of changes with
/// long notes reaches it before [`PUSH_BATCH`] changes.
const PUSH_BYTES: usize = doorstep_protocol::limits::MAX_BODY_BYTES / 2;
/// Times one sync renumbers its unsent changes before giving up (once is the normal case).
const MAX_RENUMBERING: u32 = 3;
/// Pushes in flight at once over a link that carries them so: one being decided, the next on its
/// way. A third would only wait behind the station's single writer.
const IN_FLIGHT: usize = 2;

/// A batch sent, and its answer when it comes.
struct Sent<'scope> {
    /// The sequence of its last change.
    last: i64,
    answer: Answer<'scope>,
}

enum Answer<'scope> {
    /// On its way over a link that carries pushes at once; the request comes back with its answer.
    Coming(ScopedJoinHandle<'scope, Answered>),
    /// Over a link that answers one push at a time (a bundle): sent when its answer is asked for.
    Asked(PushRequest),
}

type Answered = (PushRequest, Result<Option<PushResponse>, SyncError>);

impl Sent<'_> {
    fn answer(self, client: &impl Transport) -> Answered {
        match self.answer {
            Answer::Coming(handle) => wait(handle),
            Answer::Asked(request) => {
                let answer = client.push(&request);
                (request, answer)
            }
        }
    }
}

fn wait(handle: ScopedJoinHandle<'_, Answered>) -> Answered {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Sends the changes the station has not acknowledged, in batches, recording each answer; returns
/// the sequence numbers this push sent and the station took, as (after, through): the pull does
/// not bring back records they left as sent.
pub(crate) fn push(
    store: &mut Store,
    client: &impl Transport,
    report: &mut SyncReport,
    progress: &mut impl FnMut(Progress),
) -> Result<(i64, i64), SyncError> {
    let device_id = store.device()?.device_id;
    let link = client.pull_ahead();
    // The changes this sync pushed and the station took, which the laptop holds as it sent them:
    // the pull does not bring back records they left as sent. Only numbers it sent count — the
    // station may acknowledge more (a laptop restored from a backup) — and none below a
    // renumbering, which are the station's.
    let mut pushed_after = report.acked_seq;
    let mut pushed_through = report.acked_seq;
    let mut reuses = 0;
    std::thread::scope(|s| {
        let mut flight: VecDeque<Sent> = VecDeque::new();
        // One batch at a time until the station has taken one whole in this sync: a laptop
        // restored from a backup learns of its reused numbers from the first answer, before more
        // go out under them. And again after any answer that was not the one expected.
        let mut depth = 1;
        // While the station decides, this side records the answer before and reads the batch after
        // the last one sent from the change log (with the sequence it was read after: used if the
        // batches in flight are taken whole, else read again from what the station acknowledged).
        let mut ahead: Option<(i64, Vec<Change>)> = None;
        let mut unrecorded: Option<PushResponse> = None;
        let pushing = loop {
            let after = flight.back().map_or(report.acked_seq, |sent| sent.last);
            let batch = match ahead.take() {
                Some((read_after, batch)) if read_after == after => batch,
                _ => match next_batch(store, after) {
                    Ok(batch) => batch,
                    Err(e) => break Err(e),
                },
            };
            if let Some(last) = batch.last().map(|c| c.device_seq) {
                flight.push_back(send(
                    s,
                    link,
                    PushRequest {
                        device_id,
                        changes: batch,
                    },
                    last,
                ));
                if flight.len() < depth {
                    continue;
                }
            }
            let Some(oldest) = flight.pop_front() else {
                break Ok(());
            };
            if let Some(answer) = unrecorded.take()
                && let Err(e) = record_answer(store, report, &answer, progress)
            {
                break Err(e);
            }
            let newest = flight.back().map_or(oldest.last, |sent| sent.last);
            match next_batch(store, newest) {
                Ok(batch) => ahead = Some((newest, batch)),
                Err(e) => break Err(e),
            }
            let last_sent = oldest.last;
            let (request, answer) = oldest.answer(client);
            let answer = match answer {
                Ok(Some(answer)) => answer,
                // The link takes nothing more in this sync (an answer bundle).
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            };
            if let Some(reuse) = answer.sequence_reused {
                // This laptop was restored from a backup (or copied): its new changes took numbers
                // the station holds for others. They move past the station's numbers and go again
                // (the batches read or sent ahead hold their old numbers).
                (depth, ahead) = (1, None);
                drop_answers(&mut flight);
                reuses += 1;
                if reuses > MAX_RENUMBERING {
                    break Err(SyncError::Protocol(format!(
                        "the station keeps reporting sequence {} as taken",
                        reuse.from_seq
                    )));
                }
                match store.renumber_unsent(reuse.from_seq, reuse.station_seq) {
                    Ok(renumbered) => report.renumbered += renumbered,
                    Err(e) => break Err(e.into()),
                }
                pushed_after = pushed_after.max(reuse.station_seq);
                continue;
            }
            let theirs = match answer.acked_change_id {
                Some(theirs) => match store.change_id_at(answer.acked_seq) {
                    Ok(mine) => mine.filter(|mine| *mine != theirs),
                    Err(e) => break Err(e.into()),
                },
                None => None,
            };
            if theirs.is_some() {
                // The station's acknowledgement ends on another change than this laptop's at that
                // number: a laptop restored from a backup, whose numbers the station holds for
                // changes of its other life.
                (depth, ahead) = (1, None);
                drop_answers(&mut flight);
                reuses += 1;
                if reuses > MAX_RENUMBERING {
                    break Err(SyncError::Protocol(format!(
                        "the station acknowledges sequence {} for another change",
                        answer.acked_seq
                    )));
                }
                if answer.acked_seq <= last_sent {
                    // Within what it sent (the answer that said the number was taken was lost):
                    // not for us. Send again from where we were; the station then says so.
                    continue;
                }
                // Beyond the batch, which the station took: the numbers after it are the other
                // life's (the batch ended just before them; sent again, it would get this answer
                // every time). The changes after it move past them.
                match store.renumber_unsent(last_sent + 1, answer.acked_seq) {
                    Ok(n) => report.renumbered += n,
                    Err(e) => break Err(e.into()),
                }
                pushed_after = pushed_after.max(answer.acked_seq);
            }
            if answer.acked_seq <= report.acked_seq {
                // The station holds nothing new from us: a gap it is waiting for. Stop rather
                // than loop.
                break Err(SyncError::Protocol(format!(
                    "the station acknowledged no progress past {}",
                    answer.acked_seq
                )));
            }
            // Taken: counted now, recorded while the next batch is in flight (or below).
            pushed_through = pushed_through.max(last_sent);
            note_skew(report, answer.station_time_ms);
            if let Some(ms) = answer.clock_ahead_ms {
                report.clock_skew_ms = Some(ms);
            }
            // Counted as far as the station took them: the rest of a batch taken in part goes
            // again.
            let taken = |changes: &[Change]| {
                changes
                    .iter()
                    .filter(|c| c.device_seq > report.acked_seq && c.device_seq <= answer.acked_seq)
                    .count() as u32
            };
            report.pushed += taken(&request.changes);
            if answer.acked_seq == last_sent {
                // As expected: the batch sent after it goes on.
                if link.is_some() {
                    depth = IN_FLIGHT;
                }
            } else {
                // Taken in part, or beyond it (the batch sent ahead arrived first and was held
                // for it, or the station holds more of a restored laptop's): the answer to the
                // batch sent ahead was given to a guess. What the station acknowledged counts.
                (depth, ahead) = (1, None);
                for dropped in drop_answers(&mut flight) {
                    report.pushed += taken(&dropped.changes);
                }
            }
            report.acked_seq = answer.acked_seq;
            report.conflicts += answer.conflicts;
            report.refused += answer.refused.len() as u32;
            unrecorded = Some(answer);
        };
        // The last answer taken is recorded whether or not the push went on to fail. (An answer
        // still coming is waited for as the scope ends, and not taken: the next sync sends its
        // batch again, which the station counts as a duplicate.)
        if let Some(answer) = unrecorded.take() {
            record_answer(store, report, &answer, progress)?;
        }
        pushing?;
        Ok((pushed_after, pushed_through.max(pushed_after)))
    })
}

/// Sends `request` on a thread of `s` over a link that carries pushes at once; over one that does
/// not, it goes when its answer is asked for.
fn send<'scope>(
    s: &'scope Scope<'scope, '_>,
    link: Option<&'scope (dyn Transport + Sync)>,
    request: PushRequest,
    last: i64,
) -> Sent<'scope> {
    let answer = match link {
        Some(link) => Answer::Coming(s.spawn(move || {
            let answer = link.push(&request);
            (request, answer)
        })),
        None => Answer::Asked(request),
    };
    Sent { last, answer }
}

/// Waits for the batches in flight and leaves their answers untaken (each answered a batch sent on
/// a guess the answer before proved wrong); returns the requests that went.
fn drop_answers(flight: &mut VecDeque<Sent>) -> Vec<PushRequest> {
    flight
        .drain(..)
        .filter_map(|sent| match sent.answer {
            Answer::Coming(handle) => Some(wait(handle).0),
            Answer::Asked(_) => None,
        })
        .collect()
}

/// The changes to push after `after`: up to [`PUSH_BATCH`], fewer where together they would make a
/// request larger than the station reads ([`PUSH_BYTES`]): sent as they are, such a batch was
/// refused whole on every sync and nothing after it ever left the laptop. The first change always
/// goes (one change's fields are bounded far below the limit).
fn next_batch(
    store: &Store,
    after: i64,
) -> Result<Vec<doorstep_core::store::changes::Change>, SyncError> {
    let mut batch = store.changes_after(after, PUSH_BATCH)?;
    let mut bytes = 0;
    for (i, change) in batch.iter().enumerate() {
        bytes += serde_json::to_vec(change)
            .map_err(|e| SyncError::Protocol(e.to_string()))?
            .len();
        if bytes > PUSH_BYTES {
            batch.truncate(i.max(1));
            break;
        }
    }
    Ok(batch)
}

/// Records the station's answer to a push the sync has taken (its acknowledgement, refusals,
/// landed versions and clock), then reports the progress.
fn record_answer(
    store: &mut Store,
    report: &SyncReport,
    answer: &PushResponse,
    progress: &mut impl FnMut(Progress),
) -> Result<(), SyncError> {
    store.record_push(
        answer.acked_seq,
        &answer.refused,
        &answer.landed,
        answer.station_time_ms,
    )?;
    progress(Progress::Pushed {
        sent: report.pushed,
        remaining: store.sync_status()?.unsent,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync_over;
    use doorstep_core::ids::{ChangeId, DeviceId};
    use doorstep_core::model::{Household, HouseholdKind};
    use doorstep_protocol::{PullResponse, Scopes, SequenceReuse};
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// A beat with nothing to download, for the fake stations below.
    fn beat() -> Scopes {
        Scopes {
            work: doorstep_core::store::scopes::WorkScope {
                beats: vec!["幸福社区".into()],
                officer_name: "张警官".into(),
                ..Default::default()
            },
            standing: Default::default(),
            bundle_recipient: String::new(),
            push_encodings: Vec::new(),
        }
    }

    fn nothing_to_pull(cursor: i64) -> PullResponse {
        PullResponse {
            records: Vec::new(),
            removed: Vec::new(),
            cursor,
            more: false,
            head: cursor,
            station_time_ms: 0,
        }
    }

    /// A station that takes every push whole until `cut_after` pushes, then is out of reach; its
    /// beat has nothing to download.
    struct TakesPushes {
        cut_after: usize,
        ahead: bool,
        pushes: Mutex<usize>,
        /// Changes of each push the station takes (the rest, it says, go again): an answer bundle
        /// of a station that answered in smaller batches than this laptop sends.
        takes: usize,
    }

    impl Transport for TakesPushes {
        fn push(&self, request: &PushRequest) -> Result<Option<PushResponse>, SyncError> {
            let mut pushes = self.pushes.lock().unwrap();
            if *pushes == self.cut_after {
                return Err(SyncError::Unreachable("cut".into()));
            }
            *pushes += 1;
            let taken = &request.changes[..self.takes.min(request.changes.len())];
            let last = taken.last().unwrap();
            // Each record lands at a version the laptop can tell: its change's number + 1,000.
            let landed = taken
                .iter()
                .map(|c| doorstep_core::store::remote::Landed {
                    entity: c.entity,
                    id: c.entity_id,
                    version: c.device_seq + 1000,
                })
                .collect();
            Ok(Some(PushResponse {
                acked_seq: last.device_seq,
                acked_change_id: Some(last.change_id),
                stored: taken.len() as u32,
                landed,
                ..Default::default()
            }))
        }

        fn scopes(&self) -> Result<Scopes, SyncError> {
            Ok(beat())
        }

        fn pull(
            &self,
            _: DeviceId,
            _: &str,
            cursor: i64,
            _: u32,
            _: (i64, i64),
        ) -> Result<PullResponse, SyncError> {
            Ok(nothing_to_pull(cursor))
        }

        fn pull_ahead(&self) -> Option<&(dyn Transport + Sync)> {
            self.ahead.then_some(self as &(dyn Transport + Sync))
        }
    }

    /// A laptop with `n` unsent changes, each a new household (in the order of their numbers).
    fn laptop_with_changes(n: usize) -> (Store, Vec<Household>) {
        let mut store = Store::open_in_memory().unwrap();
        store.init_device("张警官", &["幸福社区".into()]).unwrap();
        let households = (0..n)
            .map(|i| {
                let h =
                    Household::new("幸福社区", format!("幸福路{i}号"), HouseholdKind::Residence);
                store.save(&h).unwrap();
                h
            })
            .collect();
        (store, households)
    }

    /// How many of `households` hold the version the station said they landed at.
    fn landed(store: &Store, households: &[Household]) -> usize {
        households
            .iter()
            .enumerate()
            .filter(|(i, h)| store.get::<Household>(h.id.0).unwrap().version == *i as i64 + 1001)
            .count()
    }

    /// Each answer is recorded while the next batch is in flight: every answer the station gave
    /// is recorded, the last one too, and one given before the link broke as well.
    #[test]
    fn every_push_the_station_answered_is_recorded_even_when_the_next_one_fails() {
        let changes = 2 * PUSH_BATCH as usize + 10;
        for ahead in [false, true] {
            let (mut store, households) = laptop_with_changes(changes);
            let whole = TakesPushes {
                cut_after: usize::MAX,
                ahead,
                pushes: Mutex::new(0),
                takes: usize::MAX,
            };
            let report = sync_over(&mut store, &whole, |_| ()).unwrap();
            assert_eq!(report.pushed as usize, changes, "ahead: {ahead}");
            assert_eq!(store.acked_seq().unwrap(), changes as i64, "ahead: {ahead}");
            assert_eq!(store.sync_status().unwrap().unsent, 0, "ahead: {ahead}");
            assert_eq!(landed(&store, &households), changes, "ahead: {ahead}");

            let (mut store, households) = laptop_with_changes(changes);
            let cut = TakesPushes {
                cut_after: 1,
                ahead,
                pushes: Mutex::new(0),
                takes: usize::MAX,
            };
            let outcome = sync_over(&mut store, &cut, |_| ());
            assert!(
                matches!(outcome, Err(SyncError::Unreachable(_))),
                "{outcome:?}"
            );
            assert_eq!(
                store.acked_seq().unwrap(),
                PUSH_BATCH as i64,
                "the first batch's answer, ahead: {ahead}"
            );
            assert_eq!(
                landed(&store, &households),
                PUSH_BATCH as usize,
                "ahead: {ahead}"
            );
        }
    }

    /// A batch the station takes only in part goes again from where it stopped: each change is
    /// counted as pushed once, when the station took it.
    #[test]
    fn a_batch_taken_in_part_counts_each_change_once() {
        let changes = 2 * PUSH_BATCH as usize + 10;
        for ahead in [false, true] {
            let (mut store, households) = laptop_with_changes(changes);
            let halves = TakesPushes {
                cut_after: usize::MAX,
                ahead,
                pushes: Mutex::new(0),
                takes: PUSH_BATCH as usize / 2,
            };
            let report = sync_over(&mut store, &halves, |_| ()).unwrap();
            assert_eq!(report.pushed as usize, changes, "ahead: {ahead}");
            assert_eq!(store.acked_seq().unwrap(), changes as i64, "ahead: {ahead}");
            assert_eq!(landed(&store, &households), changes, "ahead: {ahead}");
        }
    }

    /// A station that keeps each laptop's changes in their order as the real one does: a change
    /// above a gap is held until the ones before it come, the acknowledgement is as far as all
    /// are here, a change sent again is a duplicate, and a number it holds for another change is
    /// reported as reused. Each push takes a few milliseconds to decide, one at a time; the
    /// pushes numbered in `late` wait before they are decided, so the one sent after them is
    /// decided first; the first push from each sequence in `lost` never reaches it (the link
    /// cut). `ahead`: whether pushes may go at once (as over HTTPS).
    struct InOrder {
        ahead: bool,
        lost: Mutex<Vec<i64>>,
        held: Mutex<BTreeMap<i64, ChangeId>>,
        /// Every change stored, by id (a change stored twice would be counted twice).
        stored: Mutex<BTreeMap<ChangeId, usize>>,
        pushes: AtomicUsize,
        in_flight: AtomicUsize,
        most_in_flight: AtomicUsize,
        late: Vec<usize>,
        writer: Mutex<()>,
    }

    impl InOrder {
        fn new(ahead: bool, late: Vec<usize>) -> InOrder {
            InOrder {
                ahead,
                lost: Mutex::new(Vec::new()),
                held: Mutex::new(BTreeMap::new()),
                stored: Mutex::new(BTreeMap::new()),
                pushes: AtomicUsize::new(0),
                in_flight: AtomicUsize::new(0),
                most_in_flight: AtomicUsize::new(0),
                late,
                writer: Mutex::new(()),
            }
        }

        /// The first push of a batch from each of `from` is lost on the way: unreachable,
        /// nothing stored.
        fn losing(self, from: Vec<i64>) -> InOrder {
            *self.lost.lock().unwrap() = from;
            self
        }

        /// Numbers the station holds already for changes of another life of the laptop (a
        /// restored copy), above a gap when `from` is past 1.
        fn holding_others(self, from: i64, to: i64) -> InOrder {
            for seq in from..=to {
                self.held.lock().unwrap().insert(seq, ChangeId::new());
            }
            self
        }

        fn contiguous(held: &BTreeMap<i64, ChangeId>) -> i64 {
            let mut seq = 0;
            while held.contains_key(&(seq + 1)) {
                seq += 1;
            }
            seq
        }

        /// How many times each of `changes` was stored (0 when never).
        fn stored_times(&self, ids: &[ChangeId]) -> Vec<usize> {
            let stored = self.stored.lock().unwrap();
            ids.iter()
                .map(|id| stored.get(id).copied().unwrap_or(0))
                .collect()
        }
    }

    impl Transport for InOrder {
        fn push(&self, request: &PushRequest) -> Result<Option<PushResponse>, SyncError> {
            let first = request.changes.first().map_or(0, |c| c.device_seq);
            {
                let mut lost = self.lost.lock().unwrap();
                if let Some(i) = lost.iter().position(|from| *from == first) {
                    lost.remove(i);
                    return Err(SyncError::Unreachable("cut".into()));
                }
            }
            let number = self.pushes.fetch_add(1, Ordering::SeqCst) + 1;
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.most_in_flight.fetch_max(now, Ordering::SeqCst);
            if self.late.contains(&number) {
                std::thread::sleep(Duration::from_millis(150));
            }
            let _writer = self.writer.lock().unwrap();
            std::thread::sleep(Duration::from_millis(5));
            let mut held = self.held.lock().unwrap();
            let mut answer = PushResponse::default();
            for c in &request.changes {
                match held.get(&c.device_seq) {
                    Some(id) if *id == c.change_id => answer.duplicates += 1,
                    Some(_) => {
                        answer.sequence_reused = Some(SequenceReuse {
                            from_seq: c.device_seq,
                            station_seq: 0,
                        });
                        break;
                    }
                    None if self.stored.lock().unwrap().contains_key(&c.change_id) => {
                        // Stored already under another number: its place counts as filled.
                        held.insert(c.device_seq, c.change_id);
                        answer.duplicates += 1;
                    }
                    None => {
                        held.insert(c.device_seq, c.change_id);
                        *self.stored.lock().unwrap().entry(c.change_id).or_default() += 1;
                        answer.stored += 1;
                    }
                }
            }
            if let Some(reuse) = &mut answer.sequence_reused {
                reuse.station_seq = held.keys().next_back().copied().unwrap_or(0);
            }
            answer.acked_seq = InOrder::contiguous(&held);
            answer.acked_change_id = held.get(&answer.acked_seq).copied();
            answer.held = held.range(answer.acked_seq + 1..).count() as u32;
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            Ok(Some(answer))
        }

        fn scopes(&self) -> Result<Scopes, SyncError> {
            Ok(beat())
        }

        fn pull(
            &self,
            _: DeviceId,
            _: &str,
            cursor: i64,
            _: u32,
            _: (i64, i64),
        ) -> Result<PullResponse, SyncError> {
            Ok(nothing_to_pull(cursor))
        }

        fn pull_ahead(&self) -> Option<&(dyn Transport + Sync)> {
            self.ahead.then_some(self as &(dyn Transport + Sync))
        }
    }

    fn change_ids(store: &Store) -> Vec<ChangeId> {
        store
            .changes_after(0, u32::MAX)
            .unwrap()
            .iter()
            .map(|c| c.change_id)
            .collect()
    }

    /// Over a link that carries pushes at once, the next batch is on its way while the station
    /// decides one; every change is still stored once and counted once.
    #[test]
    fn a_batch_goes_while_the_one_before_is_decided_and_each_change_is_stored_once() {
        let changes = 4 * PUSH_BATCH as usize + 10;
        let (mut store, _) = laptop_with_changes(changes);
        let ids = change_ids(&store);
        let station = InOrder::new(true, vec![]);
        let report = sync_over(&mut store, &station, |_| ()).unwrap();
        assert_eq!(station.most_in_flight.load(Ordering::SeqCst), 2);
        assert_eq!(
            station.pushes.load(Ordering::SeqCst),
            5,
            "no batch sent twice"
        );
        assert_eq!(report.pushed as usize, changes);
        assert_eq!(store.acked_seq().unwrap(), changes as i64);
        assert_eq!(store.sync_status().unwrap().unsent, 0);
        assert!(station.stored_times(&ids).iter().all(|n| *n == 1));
    }

    /// The batch sent ahead reaches the station's writer before the one sent before it: held
    /// there, then decided with it. The laptop takes the first answer (which acknowledges both)
    /// and not the second (which answered a gap); nothing is sent twice or counted twice.
    #[test]
    fn a_batch_decided_before_the_one_sent_before_it_is_neither_lost_nor_counted_twice() {
        let changes = 4 * PUSH_BATCH as usize + 10;
        let (mut store, _) = laptop_with_changes(changes);
        let ids = change_ids(&store);
        // The first push goes alone; the second and third are in flight together.
        let station = InOrder::new(true, vec![2]);
        let report = sync_over(&mut store, &station, |_| ()).unwrap();
        assert_eq!(report.pushed as usize, changes);
        assert_eq!(store.acked_seq().unwrap(), changes as i64);
        assert_eq!(store.sync_status().unwrap().unsent, 0);
        assert!(station.stored_times(&ids).iter().all(|n| *n == 1));
        assert_eq!(
            station.pushes.load(Ordering::SeqCst),
            5,
            "no batch sent twice"
        );
    }

    /// A laptop restored from a backup: the station holds its numbers for changes of its other
    /// life. The first answer says so before anything more goes: each change is renumbered once.
    #[test]
    fn a_restored_laptop_renumbers_each_change_once_before_sending_ahead() {
        let changes = 3 * PUSH_BATCH as usize;
        for ahead in [false, true] {
            let (mut store, _) = laptop_with_changes(changes);
            let ids = change_ids(&store);
            let station = InOrder::new(ahead, vec![]).holding_others(1, 700);
            let report = sync_over(&mut store, &station, |_| ()).unwrap();
            assert_eq!(report.renumbered as usize, changes, "ahead: {ahead}");
            assert_eq!(report.pushed as usize, changes, "ahead: {ahead}");
            assert_eq!(store.sync_status().unwrap().unsent, 0);
            assert!(station.stored_times(&ids).iter().all(|n| *n == 1));
        }
    }

    /// The station holds numbers of another life right after a batch's end (the other life's
    /// changes below them never came): the batch is taken and acknowledged past its end, up to a
    /// change that is not the laptop's. Before, the laptop sent that batch again from where it
    /// was and got the same answer until it gave up: nothing after it ever left. Sent ahead, the
    /// next batch runs into the numbers too, and its answer is not taken. Every change arrives
    /// once, under a number of its own.
    #[test]
    fn numbers_taken_right_after_a_batch_move_the_changes_after_it_and_lose_nothing() {
        let changes = 4 * PUSH_BATCH as usize;
        for (ahead, from) in [(false, 2), (true, 2), (true, 3)] {
            let (mut store, _) = laptop_with_changes(changes);
            let ids = change_ids(&store);
            let from = from * PUSH_BATCH as i64 + 1;
            let station = InOrder::new(ahead, vec![]).holding_others(from, from + 4);
            let report = sync_over(&mut store, &station, |_| ()).unwrap();
            assert_eq!(store.sync_status().unwrap().unsent, 0, "{report:?}");
            assert!(station.stored_times(&ids).iter().all(|n| *n == 1));
            assert_eq!(report.pushed as usize, changes, "{report:?}");
            assert_eq!(
                report.renumbered as usize,
                changes - from as usize + 1,
                "ahead: {ahead}"
            );
        }
    }

    /// The link loses a batch while the one sent after it arrives: the station holds the later
    /// one above the gap, the sync reports the laptop offline, and the next sync sends the lost
    /// batch, which the station decides with the held one. Nothing is lost, nothing stored twice.
    #[test]
    fn a_batch_lost_while_the_next_arrives_is_sent_again_and_nothing_is_stored_twice() {
        let changes = 4 * PUSH_BATCH as usize + 10;
        let (mut store, _) = laptop_with_changes(changes);
        let ids = change_ids(&store);
        // The first batch goes alone; the third is lost while the fourth, sent after it, arrives.
        let third = 2 * PUSH_BATCH as i64 + 1;
        let station = InOrder::new(true, vec![]).losing(vec![third]);
        let outcome = sync_over(&mut store, &station, |_| ());
        assert!(
            matches!(outcome, Err(SyncError::Unreachable(_))),
            "{outcome:?}"
        );
        assert_eq!(store.acked_seq().unwrap(), 2 * PUSH_BATCH as i64);
        let held = station.held.lock().unwrap().len();
        assert_eq!(
            held,
            3 * PUSH_BATCH as usize,
            "the fourth batch held above the gap"
        );

        sync_over(&mut store, &station, |_| ()).unwrap();
        assert_eq!(store.acked_seq().unwrap(), changes as i64);
        assert_eq!(store.sync_status().unwrap().unsent, 0);
        assert!(station.stored_times(&ids).iter().all(|n| *n == 1));
    }
}
