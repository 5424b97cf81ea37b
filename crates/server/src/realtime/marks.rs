//! Coalescing of one connection's delivered and read marks: at most one goes to the
//! store per session and kind each [`MARK_INTERVAL`], carrying the highest position
//! offered meanwhile. A client that marks in a loop then costs one query a second, not
//! one per frame, and never more than one stored event a second.

use std::time::Duration;

use tokio::time::Instant;
use uuid::Uuid;

pub const MARK_INTERVAL: Duration = Duration::from_secs(1);

/// Which mark: delivered or read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    Delivered,
    Read,
}

impl MarkKind {
    pub fn is_read(self) -> bool {
        self == MarkKind::Read
    }
}

/// A mark that is due to be stored now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueMark {
    pub session_id: Uuid,
    pub kind: MarkKind,
    pub up_to_seq: u64,
}

struct Slot {
    session_id: Uuid,
    kind: MarkKind,
    /// When this slot last went to the store.
    last_sent: Instant,
    /// The highest position offered since then, waiting for the interval to pass.
    pending: Option<u64>,
}

/// The slots of one connection. Empty (no allocation) until the client marks.
#[derive(Default)]
pub struct MarkCoalescer {
    slots: Vec<Slot>,
}

impl MarkCoalescer {
    /// Offers a mark: returns it when it may go to the store at once, or keeps the
    /// highest one until [`Self::take_due`] hands it out.
    pub fn offer(&mut self, mark: DueMark, now: Instant) -> Option<DueMark> {
        self.slots
            .retain(|s| s.pending.is_some() || now.duration_since(s.last_sent) < MARK_INTERVAL);
        let slot = self
            .slots
            .iter_mut()
            .find(|s| s.session_id == mark.session_id && s.kind == mark.kind);
        match slot {
            Some(slot) => {
                slot.pending = Some(
                    slot.pending
                        .map_or(mark.up_to_seq, |p| p.max(mark.up_to_seq)),
                );
                None
            }
            None => {
                self.slots.push(Slot {
                    session_id: mark.session_id,
                    kind: mark.kind,
                    last_sent: now,
                    pending: None,
                });
                Some(mark)
            }
        }
    }

    /// When the earliest kept mark may go to the store; `None` when none is kept.
    pub fn next_due(&self) -> Option<Instant> {
        self.slots
            .iter()
            .filter(|s| s.pending.is_some())
            .map(|s| s.last_sent + MARK_INTERVAL)
            .min()
    }

    /// The kept marks whose interval has passed, now counted as sent.
    pub fn take_due(&mut self, now: Instant) -> Vec<DueMark> {
        self.take(
            |slot| now.duration_since(slot.last_sent) >= MARK_INTERVAL,
            now,
        )
    }

    /// Every kept mark, due or not: the connection is closing.
    pub fn take_all(&mut self, now: Instant) -> Vec<DueMark> {
        self.take(|_| true, now)
    }

    fn take(&mut self, due: impl Fn(&Slot) -> bool, now: Instant) -> Vec<DueMark> {
        let mut marks = Vec::new();
        for slot in &mut self.slots {
            if !due(slot) {
                continue;
            }
            if let Some(up_to_seq) = slot.pending.take() {
                slot.last_sent = now;
                marks.push(DueMark {
                    session_id: slot.session_id,
                    kind: slot.kind,
                    up_to_seq,
                });
            }
        }
        marks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mark(session_id: Uuid, kind: MarkKind, up_to_seq: u64) -> DueMark {
        DueMark {
            session_id,
            kind,
            up_to_seq,
        }
    }

    #[test]
    fn the_first_mark_goes_at_once_and_later_ones_wait_carrying_the_highest() {
        let mut marks = MarkCoalescer::default();
        let session = Uuid::new_v4();
        let start = Instant::now();
        assert_eq!(
            marks.offer(mark(session, MarkKind::Read, 3), start),
            Some(mark(session, MarkKind::Read, 3)),
            "nothing was sent lately, so the mark goes now"
        );
        for seq in [9, 5, 7] {
            assert_eq!(marks.offer(mark(session, MarkKind::Read, seq), start), None);
        }
        assert_eq!(marks.next_due(), Some(start + MARK_INTERVAL));
        assert!(
            marks.take_due(start + MARK_INTERVAL / 2).is_empty(),
            "not due before the interval has passed"
        );
        assert_eq!(
            marks.take_due(start + MARK_INTERVAL),
            vec![mark(session, MarkKind::Read, 9)],
            "one mark, at the highest position offered"
        );
        assert_eq!(marks.next_due(), None, "nothing is kept any more");
    }

    #[test]
    fn kinds_and_sessions_have_slots_of_their_own() {
        let mut marks = MarkCoalescer::default();
        let (one, two) = (Uuid::new_v4(), Uuid::new_v4());
        let now = Instant::now();
        assert!(marks
            .offer(mark(one, MarkKind::Delivered, 2), now)
            .is_some());
        assert!(marks.offer(mark(one, MarkKind::Read, 2), now).is_some());
        assert!(marks.offer(mark(two, MarkKind::Read, 4), now).is_some());
        assert!(marks.offer(mark(two, MarkKind::Read, 5), now).is_none());
        assert_eq!(
            marks.take_all(now),
            vec![mark(two, MarkKind::Read, 5)],
            "a closing connection flushes what it kept"
        );
    }

    #[test]
    fn a_quiet_slot_is_forgotten_so_the_next_mark_goes_at_once() {
        let mut marks = MarkCoalescer::default();
        let session = Uuid::new_v4();
        let start = Instant::now();
        assert!(marks
            .offer(mark(session, MarkKind::Read, 1), start)
            .is_some());
        let later = start + MARK_INTERVAL * 2;
        assert!(marks
            .offer(mark(session, MarkKind::Read, 2), later)
            .is_some());
        assert_eq!(marks.slots.len(), 1, "the old slot was dropped");
    }
}
