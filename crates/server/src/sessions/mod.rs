//! Support sessions: keys, chat, consent requests, ending, and transcripts.

pub mod chat;
mod keys;
mod routes;
pub(crate) mod transcript;

use lifeline_protocol::{
    EventData, Party, SessionEvent, SessionStatus, SessionSummary, SupportKey,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::realtime::{Live, PublishedEvent};
use crate::state::AppState;
use crate::store::SessionState;
use crate::store::{AppendOutcome, QueuedAppend, SessionRecord, TechnicianRecord};

pub use keys::generate_support_key;
pub use routes::router;

/// Publishes a stored event to whoever is connected. A session's end also stops its
/// screen stream.
pub fn publish_event(state: &AppState, technician_id: Uuid, event: SessionEvent) {
    if let EventData::SessionEnded { by } = event.data {
        crate::media::session_ended(state, event.session_id, by);
    }
    state
        .hub
        .publish(technician_id, Live::Event(PublishedEvent::new(event)));
}

/// Stores an event, then publishes it; a deduplicated resend is not published again.
pub async fn record_event(
    state: &AppState,
    session: &SessionRecord,
    author: Option<Party>,
    client_id: Option<Uuid>,
    data: EventData,
) -> AppResult<SessionEvent> {
    queue_event(state, session, author, client_id, data)
        .await?
        .recorded(state)
        .await
}

/// Queues an event for the next group commit; `recorded` waits for it and publishes
/// it. One caller's events of a session are stored in the order it queued them.
pub async fn queue_event(
    state: &AppState,
    session: &SessionRecord,
    author: Option<Party>,
    client_id: Option<Uuid>,
    data: EventData,
) -> AppResult<QueuedEvent> {
    let queued = state
        .store
        .queue_event(session.id, author, client_id, &data, state.now())
        .await?;
    Ok(QueuedEvent {
        technician_id: session.technician_id,
        queued,
    })
}

/// An event waiting for its commit.
pub struct QueuedEvent {
    technician_id: Uuid,
    queued: QueuedAppend,
}

impl QueuedEvent {
    /// The stored event, once committed, published to whoever is connected (unless it
    /// was a resend of one stored before).
    pub async fn recorded(self, state: &AppState) -> AppResult<SessionEvent> {
        let AppendOutcome { event, created } = self.queued.stored().await?;
        if created {
            state.metrics.event_stored(&event.data);
            publish_event(state, self.technician_id, event.clone());
        }
        Ok(event)
    }
}

/// The session, if this technician owns it; otherwise "not found", so ids of other
/// technicians' sessions cannot be probed.
pub async fn owned_session(
    state: &AppState,
    technician: &TechnicianRecord,
    session_id: Uuid,
) -> AppResult<SessionRecord> {
    match state.store.session(session_id).await? {
        Some(session) if session.technician_id == technician.id => Ok(session),
        _ => Err(AppError::NotFound("session")),
    }
}

pub fn status(session: &SessionRecord, now: i64) -> SessionStatus {
    match session.status {
        SessionState::Active => SessionStatus::Active,
        SessionState::Ended => SessionStatus::Ended,
        SessionState::Waiting if session.key_expires_at <= now => SessionStatus::Expired,
        SessionState::Waiting => SessionStatus::Waiting,
    }
}

/// Refuses changes to a session that is over.
pub fn ensure_open(session: &SessionRecord, now: i64) -> AppResult<()> {
    match status(session, now) {
        SessionStatus::Ended => Err(AppError::SessionEnded),
        SessionStatus::Expired => Err(AppError::KeyExpired),
        SessionStatus::Waiting | SessionStatus::Active => Ok(()),
    }
}

pub fn join_url(state: &AppState, key: &SupportKey) -> String {
    let base = state.config.public_url.as_str().trim_end_matches('/');
    format!("{base}/join/{}", key.as_str())
}

pub fn summary(state: &AppState, session: &SessionRecord) -> AppResult<SessionSummary> {
    let key = SupportKey::parse(&session.support_key)
        .map_err(|_| AppError::Internal(anyhow::anyhow!("stored support key is malformed")))?;
    Ok(SessionSummary {
        id: session.id,
        support_key_display: key.grouped(),
        join_url: join_url(state, &key),
        support_key: key,
        key_expires_at: session.key_expires_at,
        request_control_on_arrival: session.request_control_on_arrival,
        status: status(session, state.now()),
        technician_name: session.technician_name.clone(),
        end_user_name: session.end_user_name.clone(),
        created_at: session.created_at,
        ended_at: session.ended_at,
        last_seq: session.last_seq(),
        adhoc_session_id: session.adhoc_session_id,
    })
}
