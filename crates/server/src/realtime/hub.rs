use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use lifeline_protocol::Party;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use uuid::Uuid;

use super::published::PublishedEvent;
use crate::cluster::{ClusterLink, PresenceKind, Shared};

/// Live items a connection may fall behind by before it re-reads from the database
/// (always correct, only slower). An end user's or agent's channel carries one
/// session, and an idle one is kept per connection, so it is small. A technician's
/// carries all of their sessions, and there is one per technician online: a
/// technician who falls behind re-reads every one of their sessions, which on a busy
/// node costs more than the 256 slots (about 16 KiB) that keep it from happening.
fn channel_capacity(kind: PresenceKind) -> usize {
    match kind {
        PresenceKind::EndUser | PresenceKind::Agent => 4,
        PresenceKind::Technician => 256,
    }
}

/// What flows to live connections. Only `Event` is stored; the rest is momentary.
/// Serializable, as other nodes' connections get it over the cluster's bus.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Live {
    Event(PublishedEvent),
    Typing {
        session_id: Uuid,
        from: Party,
        typing: bool,
    },
    Presence {
        session_id: Uuid,
        party: Party,
        online: bool,
    },
    /// For the technician's connection and the session's agent.
    Adhoc(Arc<lifeline_protocol::AdhocSessionSummary>),
    /// A frame for one ad-hoc session's agent only.
    ToAgent {
        adhoc_session_id: Uuid,
        frame: Arc<lifeline_protocol::ServerFrame>,
    },
    /// A technician's sign-in ended: the connections it opened must close at once.
    SignInEnded(SignInEnded),
    /// This node may have missed what other nodes published (its bus connection was
    /// lost): every connection re-reads from its cursors.
    Resync,
    /// These parties' connections were on a node that died without a word: their peers
    /// hear they are offline (unless they came back meanwhile). Never crosses nodes.
    PresenceLapsed(Arc<Vec<(PresenceKind, Uuid)>>),
}

/// Why a technician's connections close, and which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignInEnded {
    /// One sign-in (its token family) was signed out or revoked.
    SignedOut { family_id: Uuid },
    /// The account was disabled: every sign-in ends.
    Disabled,
    /// Every sign-in but `keep` ended (a password change ends the others).
    AllBut { keep: Option<Uuid> },
}

impl SignInEnded {
    /// Whether a connection opened by the sign-in `family_id` must close.
    pub fn ends(&self, family_id: Uuid) -> bool {
        match *self {
            SignInEnded::SignedOut { family_id: ended } => ended == family_id,
            SignInEnded::Disabled => true,
            SignInEnded::AllBut { keep } => keep != Some(family_id),
        }
    }
}

impl Live {
    pub fn session_id(&self) -> Uuid {
        match self {
            Live::Event(event) => event.session_id,
            Live::Typing { session_id, .. } | Live::Presence { session_id, .. } => *session_id,
            Live::Adhoc(summary) => summary.id,
            Live::ToAgent {
                adhoc_session_id, ..
            } => *adhoc_session_id,
            Live::SignInEnded(_) | Live::Resync | Live::PresenceLapsed(_) => Uuid::nil(),
        }
    }
}

type Channels = Mutex<HashMap<Uuid, broadcast::Sender<Live>>>;

/// Fan-out to the end user of a session and to the technician's one connection,
/// which carries all of that technician's sessions. With a cluster, what is published
/// here also goes to the other nodes, and what they publish arrives through
/// `Hub::deliver`; whether a party is online counts every node.
#[derive(Clone, Default)]
pub struct Hub {
    sessions: Arc<Channels>,
    technicians: Arc<Channels>,
    /// Per ad-hoc session, the agent's connection.
    agents: Arc<Channels>,
    cluster: Option<ClusterLink>,
}

/// Returns the receiver, and whether it is the first one here (the party came online
/// on this node).
fn subscribe(channels: &Channels, id: Uuid, capacity: usize) -> (broadcast::Receiver<Live>, bool) {
    let mut map = channels.lock().unwrap_or_else(PoisonError::into_inner);
    let sender = map
        .entry(id)
        .or_insert_with(|| broadcast::channel(capacity).0);
    let first = sender.receiver_count() == 0;
    (sender.subscribe(), first)
}

/// Whether a connected receiver got it. No receiver means nobody is connected; stored
/// events are replayed from the database later.
fn send(channels: &Channels, id: Uuid, live: &Live) -> bool {
    let map = channels.lock().unwrap_or_else(PoisonError::into_inner);
    map.get(&id).is_some_and(|sender| {
        sender
            .send(live.clone())
            .is_ok_and(|receivers| receivers > 0)
    })
}

/// Whether the last receiver left (the party went offline on this node).
fn release(channels: &Channels, id: Uuid) -> bool {
    let mut map = channels.lock().unwrap_or_else(PoisonError::into_inner);
    if map
        .get(&id)
        .is_some_and(|sender| sender.receiver_count() == 0)
    {
        map.remove(&id);
        return true;
    }
    false
}

fn online_here(channels: &Channels, id: Uuid) -> bool {
    let map = channels.lock().unwrap_or_else(PoisonError::into_inner);
    map.get(&id).is_some_and(|s| s.receiver_count() > 0)
}

fn present(channels: &Channels) -> Vec<Uuid> {
    let map = channels.lock().unwrap_or_else(PoisonError::into_inner);
    map.iter()
        .filter(|(_, sender)| sender.receiver_count() > 0)
        .map(|(id, _)| *id)
        .collect()
}

impl Hub {
    /// A hub that also reaches the other nodes through `cluster`.
    pub fn clustered(cluster: ClusterLink) -> Self {
        Self {
            cluster: Some(cluster),
            ..Self::default()
        }
    }

    fn channels(&self, kind: PresenceKind) -> &Channels {
        match kind {
            PresenceKind::EndUser => &self.sessions,
            PresenceKind::Technician => &self.technicians,
            PresenceKind::Agent => &self.agents,
        }
    }

    fn share(&self, shared: Shared) {
        if let Some(cluster) = &self.cluster {
            cluster.share(shared);
        }
    }

    fn subscribe_to(&self, kind: PresenceKind, id: Uuid) -> broadcast::Receiver<Live> {
        let (receiver, first) = subscribe(self.channels(kind), id, channel_capacity(kind));
        if first {
            self.share(Shared::Online {
                kind,
                id,
                online: true,
            });
        }
        receiver
    }

    fn release_from(&self, kind: PresenceKind, id: Uuid) {
        if release(self.channels(kind), id) {
            self.share(Shared::Online {
                kind,
                id,
                online: false,
            });
        }
    }

    /// Whether the party has a live connection on this node or another.
    fn online(&self, kind: PresenceKind, id: Uuid) -> bool {
        online_here(self.channels(kind), id)
            || self
                .cluster
                .as_ref()
                .is_some_and(|cluster| cluster.online_elsewhere(kind, id))
    }

    /// Every party connected to this node, for the cluster's heartbeat.
    pub(crate) fn present_here(&self) -> Vec<(PresenceKind, Uuid)> {
        [
            PresenceKind::EndUser,
            PresenceKind::Technician,
            PresenceKind::Agent,
        ]
        .into_iter()
        .flat_map(|kind| {
            present(self.channels(kind))
                .into_iter()
                .map(move |id| (kind, id))
        })
        .collect()
    }

    pub fn subscribe_session(&self, session_id: Uuid) -> broadcast::Receiver<Live> {
        self.subscribe_to(PresenceKind::EndUser, session_id)
    }

    pub fn subscribe_technician(&self, technician_id: Uuid) -> broadcast::Receiver<Live> {
        self.subscribe_to(PresenceKind::Technician, technician_id)
    }

    pub fn subscribe_agent(&self, adhoc_session_id: Uuid) -> broadcast::Receiver<Live> {
        self.subscribe_to(PresenceKind::Agent, adhoc_session_id)
    }

    /// Tells the technician's connection and the session's agent about an ad-hoc session.
    pub fn publish_adhoc(
        &self,
        technician_id: Uuid,
        summary: lifeline_protocol::AdhocSessionSummary,
    ) {
        let live = Live::Adhoc(Arc::new(summary));
        self.share(Shared::Publish {
            technician_id,
            live: live.clone(),
            to_agent: true,
        });
        self.send_here(technician_id, &live, true);
    }

    /// To this node's connections: the technician's, and the session's end user's (or
    /// with `to_agent`, the ad-hoc session's agent's).
    fn send_here(&self, technician_id: Uuid, live: &Live, to_agent: bool) {
        let others = if to_agent {
            &self.agents
        } else {
            &self.sessions
        };
        send(others, live.session_id(), live);
        send(&self.technicians, technician_id, live);
    }

    /// Closes the technician's connections that `ended` names.
    pub fn end_sign_in(&self, technician_id: Uuid, ended: SignInEnded) {
        self.share(Shared::EndSignIn {
            technician_id,
            ended,
        });
        send(&self.technicians, technician_id, &Live::SignInEnded(ended));
    }

    pub fn publish(&self, technician_id: Uuid, live: Live) {
        self.share(Shared::Publish {
            technician_id,
            live: live.clone(),
            to_agent: false,
        });
        self.send_here(technician_id, &live, false);
    }

    /// What another node published, for this node's own connections.
    pub(crate) fn deliver(&self, shared: Shared) {
        match shared {
            Shared::Publish {
                technician_id,
                live,
                to_agent,
            } => self.send_here(technician_id, &live, to_agent),
            Shared::EndSignIn {
                technician_id,
                ended,
            } => {
                send(&self.technicians, technician_id, &Live::SignInEnded(ended));
            }
            Shared::ToAgent {
                adhoc_session_id,
                frame,
            } => {
                let live = Live::ToAgent {
                    adhoc_session_id,
                    frame,
                };
                send(&self.agents, adhoc_session_id, &live);
            }
            Shared::Online { .. } | Shared::Heartbeat { .. } | Shared::Verdict { .. } => {}
        }
    }

    /// Every connection of this node re-reads from its cursors.
    pub(crate) fn resync(&self) {
        for kind in [
            PresenceKind::EndUser,
            PresenceKind::Technician,
            PresenceKind::Agent,
        ] {
            for id in present(self.channels(kind)) {
                send(self.channels(kind), id, &Live::Resync);
            }
        }
    }

    /// Other nodes no longer hold these parties (their node died): every connection
    /// here hears of those not connected here either, and tells its client what
    /// concerns it.
    pub(crate) fn presence_lapsed(&self, lapsed: Vec<(PresenceKind, Uuid)>) {
        let gone: Vec<(PresenceKind, Uuid)> = lapsed
            .into_iter()
            .filter(|(kind, id)| !online_here(self.channels(*kind), *id))
            .collect();
        if gone.is_empty() {
            return;
        }
        let live = Live::PresenceLapsed(Arc::new(gone));
        for kind in [PresenceKind::EndUser, PresenceKind::Technician] {
            for id in present(self.channels(kind)) {
                send(self.channels(kind), id, &live);
            }
        }
    }

    /// Drops channels nobody listens to any more; call after a receiver is dropped.
    pub fn release_session(&self, session_id: Uuid) {
        self.release_from(PresenceKind::EndUser, session_id);
    }

    pub fn release_technician(&self, technician_id: Uuid) {
        self.release_from(PresenceKind::Technician, technician_id);
    }

    pub fn release_agent(&self, adhoc_session_id: Uuid) {
        self.release_from(PresenceKind::Agent, adhoc_session_id);
    }

    /// Whether the agent of an ad-hoc session is connected.
    pub fn agent_online(&self, adhoc_session_id: Uuid) -> bool {
        self.online(PresenceKind::Agent, adhoc_session_id)
    }

    /// Sends a frame to the ad-hoc session's agent; false when it is not connected
    /// here or on another node.
    pub fn send_to_agent(
        &self,
        adhoc_session_id: Uuid,
        frame: lifeline_protocol::ServerFrame,
    ) -> bool {
        let frame = Arc::new(frame);
        let live = Live::ToAgent {
            adhoc_session_id,
            frame: frame.clone(),
        };
        if send(&self.agents, adhoc_session_id, &live) {
            return true;
        }
        let elsewhere = self
            .cluster
            .as_ref()
            .is_some_and(|cluster| cluster.online_elsewhere(PresenceKind::Agent, adhoc_session_id));
        if elsewhere {
            self.share(Shared::ToAgent {
                adhoc_session_id,
                frame,
            });
        }
        elsewhere
    }

    /// Whether the technician has a live connection.
    pub fn technician_online(&self, technician_id: Uuid) -> bool {
        self.online(PresenceKind::Technician, technician_id)
    }

    /// Whether the end user of the session has a live connection.
    pub fn end_user_online(&self, session_id: Uuid) -> bool {
        self.online(PresenceKind::EndUser, session_id)
    }
}
