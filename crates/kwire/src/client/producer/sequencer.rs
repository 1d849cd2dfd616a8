//! Per-partition sequencing of the idempotent producer (KIP-98 idempotence, KIP-360 epoch
//! bumps for idempotent producers) as a pure state machine: no I/O, no tasks, no clock.
//!
//! The [`Worker`](super::worker::Worker) owns the connection, the request tasks and the retry
//! timer; it reports what happened (a batch was queued, a request went out, the oldest request
//! was acknowledged or failed, a producer id arrived) and carries out what this module decides
//! (which batch to send with which producer id, epoch and sequence number; resend, restart the
//! sequence under a new epoch, or fail every batch).
//!
//! Rules:
//! - each batch takes the next sequence numbers of the partition (one per record, wrapping
//!   from `i32::MAX` to 0) and keeps them across resends;
//! - batches go out in queue order, at most `max_in_flight` unacknowledged requests, and only
//!   one until the broker acknowledged a batch of the current sequence run (producer id and
//!   epoch): before that the broker holds no state for us and would accept any first sequence;
//! - when the oldest request fails, every later request is abandoned (their acknowledgements
//!   still count) and one request is in flight until the next acknowledgement;
//! - a retriable failure resends the unacknowledged batches with the same sequence numbers;
//! - a lost producer state (OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID) bumps the epoch
//!   and renumbers the unacknowledged batches from 0;
//! - a fatal failure fails every unacknowledged batch and starts the next batch at sequence 0
//!   under the next epoch (or a new producer id once the epochs are used up).

use std::collections::VecDeque;

/// Kafka sequence numbers wrap from `i32::MAX` to 0.
pub(crate) fn seq_add(seq: i32, n: i32) -> i32 {
    ((i64::from(seq) + i64::from(n)) % (i64::from(i32::MAX) + 1)) as i32
}

/// How a failure is to be treated, as the worker judged it from the error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// OUT_OF_ORDER_SEQUENCE_NUMBER or UNKNOWN_PRODUCER_ID: the broker lost our state.
    LostState,
    /// Not retriable, or the oldest batch's delivery timeout has passed.
    Fatal,
    /// Retriable: the same batches may be sent again.
    Retriable,
}

/// What the worker does after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recovery {
    /// Resend the unacknowledged batches, same sequence numbers, after a backoff.
    Retry,
    /// Call [`Sequencer::restart`] with this producer id and epoch (`None`: the epochs are
    /// used up, obtain a new producer id first), then resend at once.
    Restart(Option<(i64, i16)>),
    /// Call [`Sequencer::fail_all`] and fail what it returns.
    Fail,
}

/// The next request to put on the wire.
#[derive(Debug)]
pub(crate) struct Outgoing<'a, J> {
    pub(crate) job: &'a J,
    pub(crate) producer_id: i64,
    pub(crate) epoch: i16,
    pub(crate) base_sequence: i32,
}

/// An acknowledged batch and the identity it was last sent with.
#[derive(Debug)]
pub(crate) struct Acked<J> {
    pub(crate) job: J,
    pub(crate) records: i32,
    pub(crate) producer_id: i64,
    pub(crate) epoch: i16,
    pub(crate) base_sequence: i32,
}

#[derive(Debug)]
struct Entry<J> {
    job: J,
    records: i32,
    base_sequence: i32,
    /// Producer id and epoch of the last transmission.
    sent_as: (i64, i16),
}

/// The sequencing state of one partition; `J` is the worker's job (the batch and its reply).
#[derive(Debug)]
pub(crate) struct Sequencer<J> {
    /// Negative: a new producer id is needed before the next send.
    producer_id: i64,
    epoch: i16,
    next_sequence: i32,
    /// Unacknowledged batches in sequence order; the first `in_flight` are on the wire.
    entries: VecDeque<Entry<J>>,
    in_flight: usize,
    max_in_flight: usize,
    /// Whether the broker acknowledged a batch of the current sequence run.
    confirmed: bool,
}

impl<J> Sequencer<J> {
    /// A partition that has sent nothing yet under `(producer_id, epoch)`.
    pub(crate) fn new((producer_id, epoch): (i64, i16), max_in_flight: usize) -> Self {
        Self {
            producer_id,
            epoch,
            next_sequence: 0,
            entries: VecDeque::new(),
            in_flight: 0,
            max_in_flight,
            confirmed: false,
        }
    }

    /// Producer id and epoch the next request will carry.
    pub(crate) fn producer(&self) -> (i64, i16) {
        (self.producer_id, self.epoch)
    }

    /// Unacknowledged batches, sent or not.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Requests on the wire.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The oldest unacknowledged batch.
    pub(crate) fn front(&self) -> Option<&J> {
        self.entries.front().map(|e| &e.job)
    }

    /// Whether a producer id must be obtained (InitProducerId) before the next send.
    pub(crate) fn needs_producer_id(&self) -> bool {
        self.producer_id < 0
    }

    /// Whether a batch is waiting and the window has room for it.
    pub(crate) fn can_send(&self) -> bool {
        let window = if self.confirmed {
            self.max_in_flight
        } else {
            1
        };
        self.in_flight < self.entries.len() && self.in_flight < window
    }

    /// Event: a batch of `records` records was queued; it takes the next sequence numbers.
    pub(crate) fn push(&mut self, job: J, records: i32) {
        let base_sequence = self.next_sequence;
        self.next_sequence = seq_add(base_sequence, records);
        self.entries.push_back(Entry {
            job,
            records,
            base_sequence,
            sent_as: (self.producer_id, self.epoch),
        });
    }

    /// Event: InitProducerId answered.
    pub(crate) fn on_producer_id(&mut self, (producer_id, epoch): (i64, i16)) {
        self.producer_id = producer_id;
        self.epoch = epoch;
    }

    /// Decision: the batch to send next and its header fields, if the window has room.
    pub(crate) fn next_send(&self) -> Option<Outgoing<'_, J>> {
        if !self.can_send() {
            return None;
        }
        let e = self.entries.get(self.in_flight)?;
        Some(Outgoing {
            job: &e.job,
            producer_id: self.producer_id,
            epoch: self.epoch,
            base_sequence: e.base_sequence,
        })
    }

    /// Event: the batch [`next_send`](Self::next_send) named is on the wire.
    pub(crate) fn on_sent(&mut self) {
        if let Some(e) = self.entries.get_mut(self.in_flight) {
            e.sent_as = (self.producer_id, self.epoch);
            self.in_flight += 1;
        }
    }

    /// Event: the oldest request was acknowledged. Returns its batch.
    pub(crate) fn on_acked(&mut self) -> Option<Acked<J>> {
        self.in_flight = self.in_flight.saturating_sub(1);
        let entry = self.entries.pop_front()?;
        self.confirmed = true;
        Some(acked(entry))
    }

    /// Event: the oldest request failed, and the worker has waited for every later request.
    /// `later_acked` holds, in sending order, the position among those later requests (0 =
    /// the one right after the failed one) of each that was acknowledged, with its answer.
    ///
    /// Returns the acknowledged batches with their answers, in order (they are delivered; the
    /// rest stay and are resent), and what to do next. Whatever it is, one request is in
    /// flight until the next acknowledgement: the broker may have lost our state and would
    /// then accept any sequence.
    pub(crate) fn on_failed<A>(
        &mut self,
        failure: Failure,
        later_acked: Vec<(usize, A)>,
    ) -> (Vec<(Acked<J>, A)>, Recovery) {
        self.in_flight = 0;
        let mut done = Vec::new();
        for (pos, answer) in later_acked.into_iter().rev() {
            if let Some(entry) = self.entries.remove(pos + 1) {
                done.push((acked(entry), answer));
            }
        }
        done.reverse();
        self.confirmed = false;
        let recovery = match failure {
            Failure::LostState => Recovery::Restart(self.next_epoch()),
            Failure::Fatal => Recovery::Fail,
            Failure::Retriable => Recovery::Retry,
        };
        (done, recovery)
    }

    /// Event: sending failed before the request was on the wire (no leader, no connection).
    /// Fatal only when nothing is in flight; otherwise their answers decide.
    pub(crate) fn on_send_failed(&self, fatal: bool) -> Recovery {
        if fatal && self.in_flight == 0 {
            Recovery::Fail
        } else {
            Recovery::Retry
        }
    }

    /// Event: epoch bumped (KIP-360) to `(producer_id, epoch)`: the unacknowledged batches
    /// are renumbered from sequence 0 and one request is in flight until acknowledged.
    pub(crate) fn restart(&mut self, (producer_id, epoch): (i64, i16)) {
        debug_assert_eq!(self.in_flight, 0, "restart with requests in flight");
        self.producer_id = producer_id;
        self.epoch = epoch;
        self.confirmed = false;
        let mut seq = 0;
        for e in &mut self.entries {
            e.base_sequence = seq;
            seq = seq_add(seq, e.records);
        }
        self.next_sequence = seq;
    }

    /// Decision carried out: every unacknowledged batch fails, oldest first (the worker fails
    /// the first with the error, the rest as aborted since writing them would leave a hole).
    /// The partition restarts at sequence 0 under the next epoch, or with a new producer id
    /// (fetched before the next send) once the epochs are used up.
    pub(crate) fn fail_all(&mut self) -> impl Iterator<Item = J> + '_ {
        debug_assert_eq!(self.in_flight, 0, "fail_all with requests in flight");
        self.next_sequence = 0;
        self.confirmed = false;
        if self.epoch < i16::MAX {
            self.epoch += 1;
        } else {
            self.producer_id = -1;
        }
        self.entries.drain(..).map(|e| e.job)
    }

    /// The next epoch of this producer id, or `None` when a new producer id is needed.
    fn next_epoch(&self) -> Option<(i64, i16)> {
        if self.epoch == i16::MAX || self.producer_id < 0 {
            None
        } else {
            Some((self.producer_id, self.epoch + 1))
        }
    }
}

fn acked<J>(e: Entry<J>) -> Acked<J> {
    Acked {
        job: e.job,
        records: e.records,
        producer_id: e.sent_as.0,
        epoch: e.sent_as.1,
        base_sequence: e.base_sequence,
    }
}

#[cfg(test)]
#[path = "sequencer_tests.rs"]
mod tests;
