//! The last `seq` a connection has sent, per session. Most connections follow one
//! session (an end user's), so the cursors are a list kept in order, sized to what it
//! holds: a list of one takes a quarter of a hash map's smallest table, and an idle
//! connection keeps it for its whole life.

use uuid::Uuid;

#[derive(Default)]
pub(super) struct SentCursors {
    by_session: Vec<(Uuid, u64)>,
}

impl SentCursors {
    fn find(&self, session_id: &Uuid) -> Result<usize, usize> {
        self.by_session
            .binary_search_by(|(id, _)| id.cmp(session_id))
    }

    pub(super) fn get(&self, session_id: &Uuid) -> Option<u64> {
        self.find(session_id).ok().map(|at| self.by_session[at].1)
    }

    pub(super) fn contains_key(&self, session_id: &Uuid) -> bool {
        self.find(session_id).is_ok()
    }

    /// The sessions followed, in no meaningful order.
    pub(super) fn keys(&self) -> impl Iterator<Item = &Uuid> {
        self.by_session.iter().map(|(id, _)| id)
    }

    pub(super) fn insert(&mut self, session_id: Uuid, seq: u64) {
        match self.find(&session_id) {
            Ok(at) => self.by_session[at].1 = seq,
            Err(at) => {
                if self.by_session.is_empty() {
                    // A Vec's first push reserves room for four.
                    self.by_session.reserve_exact(1);
                }
                self.by_session.insert(at, (session_id, seq));
            }
        }
    }

    /// Follows the session from 0 unless it is followed already.
    pub(super) fn follow(&mut self, session_id: Uuid) {
        if !self.contains_key(&session_id) {
            self.insert(session_id, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_move_per_session_and_a_first_one_takes_room_for_one() {
        let mut cursors = SentCursors::default();
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        cursors.insert(a, 3);
        assert_eq!(cursors.by_session.capacity(), 1);
        cursors.follow(b);
        cursors.follow(a);
        cursors.insert(b, 7);
        assert_eq!(cursors.get(&a), Some(3));
        assert_eq!(cursors.get(&b), Some(7));
        assert_eq!(cursors.get(&Uuid::new_v4()), None);
        let mut keys: Vec<Uuid> = cursors.keys().copied().collect();
        keys.sort();
        let mut expected = vec![a, b];
        expected.sort();
        assert_eq!(keys, expected);
    }
}
