//! Which other node holds whose connection. Every entry carries the time its node last
//! vouched for it (an online message or a heartbeat); one not vouched for within
//! [`STALE_AFTER`] counts as offline, so the connections of a node that died without a
//! word go offline by themselves.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Three heartbeats missed.
pub const STALE_AFTER: Duration = Duration::from_secs(15);

/// The kinds of party a node holds connections of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PresenceKind {
    /// By session id.
    EndUser,
    /// By technician id.
    Technician,
    /// By ad-hoc session id.
    Agent,
}

type Key = (PresenceKind, Uuid);

#[derive(Default)]
pub struct RemotePresence {
    /// Per party, the nodes holding it and when each last said so.
    entries: Mutex<HashMap<Key, HashMap<Uuid, Instant>>>,
}

impl RemotePresence {
    pub fn set(&self, node: Uuid, kind: PresenceKind, id: Uuid, online: bool) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if online {
            entries
                .entry((kind, id))
                .or_default()
                .insert(node, Instant::now());
        } else if let Some(nodes) = entries.get_mut(&(kind, id)) {
            nodes.remove(&node);
            if nodes.is_empty() {
                entries.remove(&(kind, id));
            }
        }
    }

    pub fn refresh(&self, node: Uuid, present: &[Key]) {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        for key in present {
            entries.entry(*key).or_default().insert(node, now);
        }
    }

    pub fn is_online(&self, kind: PresenceKind, id: Uuid) -> bool {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries.get(&(kind, id)).is_some_and(|nodes| {
            nodes
                .values()
                .any(|vouched| vouched.elapsed() < STALE_AFTER)
        })
    }

    /// Forgets what no node vouched for lately; returns the parties no node holds any
    /// more (their nodes died without a word).
    pub fn prune(&self) -> Vec<Key> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let mut lapsed = Vec::new();
        entries.retain(|key, nodes| {
            nodes.retain(|_, vouched| vouched.elapsed() < STALE_AFTER);
            if nodes.is_empty() {
                lapsed.push(*key);
            }
            !nodes.is_empty()
        });
        lapsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_party_is_online_while_a_node_vouches_for_it() {
        let presence = RemotePresence::default();
        let (node_a, node_b, agent) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        assert!(!presence.is_online(PresenceKind::Agent, agent));
        presence.set(node_a, PresenceKind::Agent, agent, true);
        presence.refresh(node_b, &[(PresenceKind::Agent, agent)]);
        assert!(presence.is_online(PresenceKind::Agent, agent));
        assert!(!presence.is_online(PresenceKind::Technician, agent));
        presence.set(node_a, PresenceKind::Agent, agent, false);
        assert!(
            presence.is_online(PresenceKind::Agent, agent),
            "node b still has it"
        );
        presence.set(node_b, PresenceKind::Agent, agent, false);
        assert!(!presence.is_online(PresenceKind::Agent, agent));
    }

    #[test]
    fn what_no_node_vouched_for_lately_is_offline() {
        let presence = RemotePresence::default();
        let (node, session) = (Uuid::new_v4(), Uuid::new_v4());
        presence.set(node, PresenceKind::EndUser, session, true);
        let long_ago = Instant::now()
            .checked_sub(STALE_AFTER + Duration::from_secs(1))
            .expect("the clock is past 16 s");
        presence
            .entries
            .lock()
            .expect("lock")
            .get_mut(&(PresenceKind::EndUser, session))
            .expect("entry")
            .insert(node, long_ago);
        assert!(!presence.is_online(PresenceKind::EndUser, session));
        let fresh = Uuid::new_v4();
        presence.set(node, PresenceKind::Technician, fresh, true);
        assert_eq!(
            presence.prune(),
            vec![(PresenceKind::EndUser, session)],
            "the lapsed party is named once, the fresh one is kept"
        );
        assert!(presence.prune().is_empty());
        assert!(presence.is_online(PresenceKind::Technician, fresh));
    }
}
