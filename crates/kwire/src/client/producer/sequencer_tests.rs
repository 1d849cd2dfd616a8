//! Transitions of the per-partition sequencing state machine, one rule per test, and a
//! property test that drives it with random events against an independent model.
#![allow(clippy::unwrap_used)]

use std::collections::{HashMap, VecDeque};

use proptest::prelude::*;

use super::{Failure, Recovery, Sequencer, seq_add};

const PID: i64 = 7;

/// (job, producer id, epoch, base sequence) of one request.
type Sent = (u32, i64, i16, i32);

fn sequencer(max_in_flight: usize) -> Sequencer<u32> {
    Sequencer::new((PID, 0), max_in_flight)
}

/// Sends everything the window allows.
fn send_all(s: &mut Sequencer<u32>) -> Vec<Sent> {
    let mut out = Vec::new();
    while let Some(o) = s.next_send() {
        out.push((*o.job, o.producer_id, o.epoch, o.base_sequence));
        s.on_sent();
    }
    out
}

/// Acknowledges the oldest request: (job, epoch, base sequence).
fn ack(s: &mut Sequencer<u32>) -> (u32, i16, i32) {
    let a = s.on_acked().unwrap();
    (a.job, a.epoch, a.base_sequence)
}

/// Queues `jobs` (id, records) and gets the first acknowledged, so the window is open.
fn confirmed(max_in_flight: usize, jobs: &[(u32, i32)]) -> Sequencer<u32> {
    let mut s = sequencer(max_in_flight);
    s.push(100, 1);
    assert_eq!(send_all(&mut s), vec![(100, PID, 0, 0)]);
    assert_eq!(ack(&mut s), (100, 0, 0));
    for &(job, records) in jobs {
        s.push(job, records);
    }
    s
}

#[test]
fn sequences_wrap_like_kafka() {
    assert_eq!(seq_add(0, 5), 5);
    assert_eq!(seq_add(i32::MAX, 1), 0);
    assert_eq!(seq_add(i32::MAX - 1, 3), 1);
}

#[test]
fn batches_take_consecutive_sequences_and_are_acknowledged_in_order() {
    let mut s = sequencer(5);
    s.push(0, 2);
    s.push(1, 3);
    s.push(2, 4);
    assert_eq!(send_all(&mut s), vec![(0, PID, 0, 0)]);
    assert_eq!(ack(&mut s), (0, 0, 0));
    assert_eq!(send_all(&mut s), vec![(1, PID, 0, 2), (2, PID, 0, 5)]);
    assert_eq!(ack(&mut s), (1, 0, 2));
    assert_eq!(ack(&mut s), (2, 0, 5));
    assert!(s.is_empty());
    s.push(3, 1);
    assert_eq!(send_all(&mut s), vec![(3, PID, 0, 9)]);
}

#[test]
fn one_request_in_flight_until_the_first_acknowledgement() {
    let mut s = sequencer(5);
    for job in 0..4 {
        s.push(job, 1);
    }
    assert_eq!(send_all(&mut s).len(), 1);
    assert!(!s.can_send());
    assert_eq!(s.in_flight(), 1);
    ack(&mut s);
    assert_eq!(send_all(&mut s).len(), 3);
}

#[test]
fn the_window_is_capped_at_max_in_flight() {
    let jobs: Vec<(u32, i32)> = (0..10).map(|j| (j, 1)).collect();
    let mut s = confirmed(3, &jobs);
    let sent = send_all(&mut s);
    assert_eq!(sent.iter().map(|r| r.0).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert_eq!(s.in_flight(), 3);
    assert_eq!(ack(&mut s), (0, 0, 1));
    assert_eq!(send_all(&mut s), vec![(3, PID, 0, 4)]);
    assert_eq!(s.in_flight(), 3);
}

#[test]
fn after_a_failure_one_request_in_flight_until_the_next_acknowledgement() {
    let jobs: Vec<(u32, i32)> = (0..8).map(|j| (j, 1)).collect();
    let mut s = confirmed(5, &jobs);
    assert_eq!(send_all(&mut s).len(), 5);
    let (done, then) = s.on_failed::<()>(Failure::Retriable, Vec::new());
    assert!(done.is_empty());
    assert_eq!(then, Recovery::Retry);
    assert_eq!(s.in_flight(), 0);
    assert_eq!(send_all(&mut s), vec![(0, PID, 0, 1)]);
    assert_eq!(ack(&mut s), (0, 0, 1));
    assert_eq!(send_all(&mut s).len(), 5);
}

#[test]
fn a_lost_connection_resends_with_the_same_sequences() {
    let mut s = confirmed(5, &[(0, 3), (1, 3), (2, 3)]);
    let first = send_all(&mut s);
    assert_eq!(first, vec![(0, PID, 0, 1), (1, PID, 0, 4), (2, PID, 0, 7)]);
    let (_, then) = s.on_failed::<()>(Failure::Retriable, Vec::new());
    assert_eq!(then, Recovery::Retry);
    let mut again = send_all(&mut s);
    ack(&mut s);
    again.extend(send_all(&mut s));
    assert_eq!(again, first);
    assert_eq!(ack(&mut s), (1, 0, 4));
    assert_eq!(ack(&mut s), (2, 0, 7));
}

#[test]
fn later_acknowledgements_after_a_failure_are_kept_and_the_rest_resent() {
    let mut s = confirmed(5, &[(1, 1), (2, 1), (3, 1), (4, 1)]);
    assert_eq!(send_all(&mut s).len(), 4);
    // Job 1 failed; of 2, 3, 4 the broker acknowledged 2 and 4.
    let (done, then) = s.on_failed(Failure::Retriable, vec![(0, "a2"), (2, "a4")]);
    let done: Vec<_> = done
        .into_iter()
        .map(|(a, x)| (a.job, a.base_sequence, x))
        .collect();
    assert_eq!(done, vec![(2, 2, "a2"), (4, 4, "a4")]);
    assert_eq!(then, Recovery::Retry);
    assert_eq!(s.len(), 2);
    assert_eq!(send_all(&mut s), vec![(1, PID, 0, 1)]);
    ack(&mut s);
    assert_eq!(send_all(&mut s), vec![(3, PID, 0, 3)]);
}

#[test]
fn a_lost_producer_state_bumps_the_epoch_and_renumbers_from_zero() {
    let mut s = confirmed(5, &[(0, 2), (1, 3)]);
    assert_eq!(send_all(&mut s).len(), 2);
    let (done, then) = s.on_failed::<()>(Failure::LostState, Vec::new());
    assert!(done.is_empty());
    assert_eq!(then, Recovery::Restart(Some((PID, 1))));
    s.restart((PID, 1));
    s.push(2, 1);
    assert_eq!(send_all(&mut s), vec![(0, PID, 1, 0)]);
    assert_eq!(ack(&mut s), (0, 1, 0));
    assert_eq!(send_all(&mut s), vec![(1, PID, 1, 2), (2, PID, 1, 5)]);
}

#[test]
fn a_lost_producer_state_at_the_last_epoch_needs_a_new_producer_id() {
    let mut s = Sequencer::new((PID, i16::MAX), 5);
    s.push(0u32, 1);
    send_all(&mut s);
    let (_, then) = s.on_failed::<()>(Failure::LostState, Vec::new());
    assert_eq!(then, Recovery::Restart(None));
    s.restart((PID + 1, 0));
    assert_eq!(send_all(&mut s), vec![(0, PID + 1, 0, 0)]);
}

#[test]
fn an_acknowledgement_reports_the_identity_the_batch_was_last_sent_with() {
    // A resent batch the broker already had comes back as a duplicate, i.e. an
    // acknowledgement: it names the epoch and sequence of its last transmission.
    let mut s = confirmed(5, &[(0, 4)]);
    send_all(&mut s);
    s.on_failed::<()>(Failure::LostState, Vec::new());
    s.restart((PID, 1));
    send_all(&mut s);
    let a = s.on_acked().unwrap();
    assert_eq!(
        (a.job, a.records, a.producer_id, a.epoch, a.base_sequence),
        (0, 4, PID, 1, 0)
    );
}

#[test]
fn a_fatal_failure_fails_everything_and_restarts_the_sequence() {
    let mut s = confirmed(5, &[(0, 2), (1, 2), (2, 2)]);
    assert_eq!(send_all(&mut s).len(), 3);
    let (_, then) = s.on_failed::<()>(Failure::Fatal, Vec::new());
    assert_eq!(then, Recovery::Fail);
    assert_eq!(s.fail_all().collect::<Vec<_>>(), vec![0, 1, 2]);
    assert!(s.is_empty());
    assert_eq!(s.producer(), (PID, 1));
    s.push(3, 1);
    s.push(4, 1);
    assert_eq!(send_all(&mut s), vec![(3, PID, 1, 0)]);
}

#[test]
fn a_fatal_failure_at_the_last_epoch_fetches_a_new_producer_id() {
    let mut s = Sequencer::new((PID, i16::MAX), 5);
    s.push(0u32, 1);
    assert_eq!(s.fail_all().count(), 1);
    assert!(s.needs_producer_id());
    s.push(1, 1);
    s.on_producer_id((PID + 1, 0));
    assert!(!s.needs_producer_id());
    assert_eq!(send_all(&mut s), vec![(1, PID + 1, 0, 0)]);
}

#[test]
fn a_send_failure_is_fatal_only_with_nothing_in_flight() {
    let mut s = confirmed(5, &[(0, 1), (1, 1)]);
    assert_eq!(s.on_send_failed(true), Recovery::Fail);
    assert_eq!(s.on_send_failed(false), Recovery::Retry);
    s.next_send().unwrap();
    s.on_sent();
    assert_eq!(s.on_send_failed(true), Recovery::Retry);
}

#[test]
fn sequences_wrap_from_i32_max_to_zero() {
    let mut s = sequencer(5);
    s.push(0, i32::MAX);
    s.push(1, 5);
    s.push(2, 1);
    assert_eq!(send_all(&mut s), vec![(0, PID, 0, 0)]);
    ack(&mut s);
    assert_eq!(
        send_all(&mut s),
        vec![(1, PID, 0, i32::MAX), (2, PID, 0, 4)]
    );
    // Renumbering wraps the same way.
    s.on_failed::<()>(Failure::LostState, Vec::new());
    s.push(3, 1);
    s.restart((PID, 1));
    assert_eq!(send_all(&mut s), vec![(1, PID, 1, 0)]);
    ack(&mut s);
    assert_eq!(send_all(&mut s), vec![(2, PID, 1, 5), (3, PID, 1, 6)]);
}

// ---- property test -------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Push(i32),
    Send,
    Ack,
    /// The oldest request fails; bit `i` of the mask: the `i`-th later request was acknowledged.
    Fail(Failure, u8),
    SendFailed(bool),
}

fn op() -> impl Strategy<Value = Op> {
    let records = prop_oneof![4 => 1..=1000i32, 1 => Just(400_000_000i32)];
    let failure = prop_oneof![
        Just(Failure::Retriable),
        Just(Failure::LostState),
        Just(Failure::Fatal)
    ];
    prop_oneof![
        3 => records.prop_map(Op::Push),
        4 => Just(Op::Send),
        3 => Just(Op::Ack),
        1 => (failure, any::<u8>()).prop_map(|(f, m)| Op::Fail(f, m)),
        1 => any::<bool>().prop_map(Op::SendFailed),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Req {
    job: u32,
    pid: i64,
    epoch: i16,
    base: i32,
    records: i32,
}

/// What the state machine should do, written independently of it.
struct Model {
    s: Sequencer<u32>,
    max: usize,
    pid: i64,
    epoch: i16,
    next_pid: i64,
    next_seq: i32,
    next_job: u32,
    confirmed: bool,
    /// Unresolved jobs in queue order, with records and expected base sequence.
    queue: Vec<(u32, i32)>,
    bases: HashMap<u32, i32>,
    wire: VecDeque<Req>,
}

/// Whether two sequence ranges overlap on the 2^31 circle.
fn overlap(a: i32, a_len: i32, b: i32, b_len: i32) -> bool {
    let m = i64::from(i32::MAX) + 1;
    let ab = (i64::from(b) - i64::from(a)).rem_euclid(m);
    let ba = (i64::from(a) - i64::from(b)).rem_euclid(m);
    ab < i64::from(a_len) || ba < i64::from(b_len)
}

impl Model {
    fn new(epoch: i16, max: usize) -> Self {
        Self {
            s: Sequencer::new((PID, epoch), max),
            max,
            pid: PID,
            epoch,
            next_pid: PID + 1,
            next_seq: 0,
            next_job: 0,
            confirmed: false,
            queue: Vec::new(),
            bases: HashMap::new(),
            wire: VecDeque::new(),
        }
    }

    fn apply(&mut self, op: Op) {
        match op {
            Op::Push(records) => self.push(records),
            Op::Send => self.send(),
            Op::Ack => self.ack(),
            Op::Fail(failure, mask) => self.fail(failure, mask),
            Op::SendFailed(fatal) => {
                let then = self.s.on_send_failed(fatal);
                if fatal && self.wire.is_empty() {
                    assert_eq!(then, Recovery::Fail);
                    self.fail_all();
                } else {
                    assert_eq!(then, Recovery::Retry);
                }
            }
        }
        assert_eq!(self.s.in_flight(), self.wire.len());
        assert_eq!(self.s.len(), self.queue.len());
    }

    fn push(&mut self, records: i32) {
        let job = self.next_job;
        self.next_job += 1;
        self.s.push(job, records);
        self.queue.push((job, records));
        self.bases.insert(job, self.next_seq);
        self.next_seq = seq_add(self.next_seq, records);
    }

    fn send(&mut self) {
        assert_eq!(self.s.needs_producer_id(), self.pid < 0);
        if self.pid < 0 {
            (self.pid, self.epoch) = (self.next_pid, 0);
            self.next_pid += 1;
            self.s.on_producer_id((self.pid, self.epoch));
        }
        let window = if self.confirmed { self.max } else { 1 };
        let unsent = self.queue.get(self.wire.len()).copied();
        let Some(o) = self.s.next_send() else {
            assert!(
                unsent.is_none() || self.wire.len() >= window,
                "nothing sent"
            );
            return;
        };
        let (job, records) = unsent.unwrap();
        assert!(self.wire.len() < window, "window {window} exceeded");
        let req = Req {
            job: *o.job,
            pid: o.producer_id,
            epoch: o.epoch,
            base: o.base_sequence,
            records,
        };
        assert_eq!(req.job, job, "sent out of order");
        assert_eq!((req.pid, req.epoch), (self.pid, self.epoch));
        assert_eq!(req.base, self.bases[&job], "sequence changed");
        for w in &self.wire {
            assert_eq!((w.pid, w.epoch), (req.pid, req.epoch));
            assert!(
                !overlap(w.base, w.records, req.base, req.records),
                "{w:?} {req:?}"
            );
        }
        self.s.on_sent();
        self.wire.push_back(req);
    }

    fn ack(&mut self) {
        let Some(w) = self.wire.pop_front() else {
            return;
        };
        let a = self.s.on_acked().unwrap();
        let got = (a.job, a.pid_epoch(), a.base_sequence, a.records);
        assert_eq!(got, (w.job, (w.pid, w.epoch), w.base, w.records));
        self.resolve(w.job);
        self.confirmed = true;
    }

    fn fail(&mut self, failure: Failure, mask: u8) {
        if self.wire.pop_front().is_none() {
            return;
        }
        let later: Vec<(usize, Req)> = self
            .wire
            .drain(..)
            .enumerate()
            .filter(|(i, _)| *i < 8 && mask & (1 << i) != 0)
            .collect();
        let expected: Vec<Req> = later.iter().map(|(_, r)| *r).collect();
        let (done, then) = self.s.on_failed(failure, later);
        assert_eq!(done.len(), expected.len());
        for ((a, r), w) in done.into_iter().zip(expected) {
            assert_eq!(r, w);
            assert_eq!(
                (a.job, a.pid_epoch(), a.base_sequence),
                (w.job, (w.pid, w.epoch), w.base)
            );
            self.resolve(a.job);
        }
        self.confirmed = false;
        match failure {
            Failure::Retriable => assert_eq!(then, Recovery::Retry),
            Failure::Fatal => {
                assert_eq!(then, Recovery::Fail);
                self.fail_all();
            }
            Failure::LostState => self.restart(then),
        }
    }

    fn restart(&mut self, then: Recovery) {
        let expected = (self.epoch < i16::MAX && self.pid >= 0).then(|| (self.pid, self.epoch + 1));
        assert_eq!(then, Recovery::Restart(expected));
        let next = expected.unwrap_or_else(|| {
            self.next_pid += 1;
            (self.next_pid - 1, 0)
        });
        (self.pid, self.epoch) = next;
        self.s.restart(next);
        self.next_seq = 0;
        for &(job, records) in &self.queue {
            self.bases.insert(job, self.next_seq);
            self.next_seq = seq_add(self.next_seq, records);
        }
    }

    fn fail_all(&mut self) {
        let failed: Vec<u32> = self.s.fail_all().collect();
        let queued: Vec<u32> = self.queue.drain(..).map(|(j, _)| j).collect();
        assert_eq!(failed, queued);
        self.next_seq = 0;
        self.confirmed = false;
        if self.epoch < i16::MAX {
            self.epoch += 1;
        } else {
            self.pid = -1;
        }
    }

    fn resolve(&mut self, job: u32) {
        let i = self.queue.iter().position(|(j, _)| *j == job);
        assert!(i.is_some(), "job {job} resolved twice");
        self.queue.remove(i.unwrap());
    }
}

impl super::Acked<u32> {
    fn pid_epoch(&self) -> (i64, i16) {
        (self.producer_id, self.epoch)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn random_events_keep_sends_in_order_and_sequences_apart(
        epoch in prop_oneof![Just(0i16), Just(i16::MAX - 1)],
        max in 1usize..=5,
        ops in prop::collection::vec(op(), 0..120),
    ) {
        let mut m = Model::new(epoch, max);
        for op in ops {
            m.apply(op);
        }
    }
}
