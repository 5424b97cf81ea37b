use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use lifeline_protocol::{Party, SessionEvent};
use tokio::sync::broadcast;
use uuid::Uuid;

/// Room for bursts; a connection that falls further behind re-reads from the database.
const CHANNEL_CAPACITY: usize = 8;

/// What flows to live connections. Only `Event` is stored; the rest is momentary.
#[derive(Debug, Clone)]
pub enum Live {
    Event(Arc<SessionEvent>),
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
}

/// Why a technician's connections close, and which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
            Live::SignInEnded(_) => Uuid::nil(),
        }
    }
}

type Channels = Mutex<HashMap<Uuid, broadcast::Sender<Live>>>;

/// Fan-out to the end user of a session and to the technician's one connection,
/// which carries all of that technician's sessions.
#[derive(Clone, Default)]
pub struct Hub {
    sessions: Arc<Channels>,
    technicians: Arc<Channels>,
    /// Per ad-hoc session, the agent's connection.
    agents: Arc<Channels>,
}

fn subscribe(channels: &Channels, id: Uuid) -> broadcast::Receiver<Live> {
    let mut map = channels.lock().unwrap_or_else(PoisonError::into_inner);
    map.entry(id)
        .or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0)
        .subscribe()
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

fn release(channels: &Channels, id: Uuid) {
    let mut map = channels.lock().unwrap_or_else(PoisonError::into_inner);
    if map
        .get(&id)
        .is_some_and(|sender| sender.receiver_count() == 0)
    {
        map.remove(&id);
    }
}

impl Hub {
    pub fn subscribe_session(&self, session_id: Uuid) -> broadcast::Receiver<Live> {
        subscribe(&self.sessions, session_id)
    }

    pub fn subscribe_technician(&self, technician_id: Uuid) -> broadcast::Receiver<Live> {
        subscribe(&self.technicians, technician_id)
    }

    /// Tells the technician's connection and the session's agent about an ad-hoc session.
    pub fn publish_adhoc(
        &self,
        technician_id: Uuid,
        summary: lifeline_protocol::AdhocSessionSummary,
    ) {
        let live = Live::Adhoc(Arc::new(summary));
        send(&self.agents, live.session_id(), &live);
        send(&self.technicians, technician_id, &live);
    }

    /// Closes the technician's connections that `ended` names.
    pub fn end_sign_in(&self, technician_id: Uuid, ended: SignInEnded) {
        send(&self.technicians, technician_id, &Live::SignInEnded(ended));
    }

    pub fn publish(&self, technician_id: Uuid, live: Live) {
        send(&self.sessions, live.session_id(), &live);
        send(&self.technicians, technician_id, &live);
    }

    /// Drops channels nobody listens to any more; call after a receiver is dropped.
    pub fn release_session(&self, session_id: Uuid) {
        release(&self.sessions, session_id);
    }

    pub fn release_technician(&self, technician_id: Uuid) {
        release(&self.technicians, technician_id);
    }

    /// Whether the agent of an ad-hoc session is connected.
    pub fn agent_online(&self, adhoc_session_id: Uuid) -> bool {
        let map = self.agents.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(&adhoc_session_id)
            .is_some_and(|s| s.receiver_count() > 0)
    }

    /// Sends a frame to the ad-hoc session's agent; false when it is not connected.
    pub fn send_to_agent(
        &self,
        adhoc_session_id: Uuid,
        frame: lifeline_protocol::ServerFrame,
    ) -> bool {
        let live = Live::ToAgent {
            adhoc_session_id,
            frame: Arc::new(frame),
        };
        send(&self.agents, adhoc_session_id, &live)
    }

    pub fn subscribe_agent(&self, adhoc_session_id: Uuid) -> broadcast::Receiver<Live> {
        subscribe(&self.agents, adhoc_session_id)
    }

    pub fn release_agent(&self, adhoc_session_id: Uuid) {
        release(&self.agents, adhoc_session_id);
    }

    /// Whether the technician has a live connection.
    pub fn technician_online(&self, technician_id: Uuid) -> bool {
        let map = self
            .technicians
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        map.get(&technician_id)
            .is_some_and(|s| s.receiver_count() > 0)
    }

    /// Whether the end user of the session has a live connection.
    pub fn end_user_online(&self, session_id: Uuid) -> bool {
        let map = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(&session_id).is_some_and(|s| s.receiver_count() > 0)
    }
}
