//! Screen streams: the media socket (`/api/v1/media`) and the in-memory relay between a
//! session's sender and its viewers, bridged over NATS when they are on different nodes
//! of a cluster. Pictures are relayed, never stored; only a stream's start and stop go
//! into the session's events. This module must not decode or look into the pictures it
//! carries.

mod bridge;
mod input;
mod relay;
mod routes;
mod socket;
mod viewer;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use lifeline_protocol::{EventData, MediaSource, Party, StopReason, StreamFormat, StreamInfo};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::SessionRecord;

pub use bridge::MediaBus;
pub use relay::Relay;
pub use routes::router;
pub use socket::router as socket_router;

/// The relays of the sessions that have a media socket open.
#[derive(Default)]
pub struct MediaHub {
    relays: Mutex<HashMap<Uuid, Arc<Relay>>>,
    /// In a cluster: each relay gets a bridge to the other nodes'.
    bus: Option<MediaBus>,
}

impl MediaHub {
    pub fn clustered(bus: MediaBus) -> Self {
        Self {
            relays: Mutex::default(),
            bus: Some(bus),
        }
    }

    /// The session's relay, made (and bridged, in a cluster) if needed.
    fn entry(&self, relays: &mut HashMap<Uuid, Arc<Relay>>, session_id: Uuid) -> Arc<Relay> {
        relays
            .entry(session_id)
            .or_insert_with(|| {
                let relay = Arc::new(Relay::default());
                if let Some(bus) = &self.bus {
                    bridge::spawn(bus.clone(), session_id, relay.clone());
                }
                relay
            })
            .clone()
    }

    fn relay(&self, session_id: Uuid) -> Arc<Relay> {
        let mut relays = self.relays.lock().unwrap_or_else(PoisonError::into_inner);
        self.entry(&mut relays, session_id)
    }

    /// Attaches a sender to the session's relay as the hub holds it now, under the hub's
    /// lock, so a relay being released at this moment is never the one attached to.
    fn attach_sender(&self, session_id: Uuid) -> Option<(Arc<Relay>, Arc<relay::SenderLink>)> {
        let mut relays = self.relays.lock().unwrap_or_else(PoisonError::into_inner);
        let relay = self.entry(&mut relays, session_id);
        let link = relay.attach_sender()?;
        Some((relay, link))
    }

    fn existing(&self, session_id: Uuid) -> Option<Arc<Relay>> {
        let relays = self.relays.lock().unwrap_or_else(PoisonError::into_inner);
        relays.get(&session_id).cloned()
    }

    /// Forgets the session's relay once nobody is attached.
    fn release(&self, session_id: Uuid) {
        let mut relays = self.relays.lock().unwrap_or_else(PoisonError::into_inner);
        if relays.get(&session_id).is_some_and(|r| r.is_idle()) {
            if let Some(relay) = relays.remove(&session_id) {
                relay.released.cancel();
            }
        }
    }
}

/// Starts a stream in the session (or changes its format), after checking that the end
/// user's consent stands; records the start.
async fn start_stream(
    state: &AppState,
    session: &SessionRecord,
    relay: &Relay,
    format: StreamFormat,
) -> AppResult<StreamInfo> {
    format
        .validate()
        .map_err(|e| AppError::invalid(e.to_string()))?;
    crate::sessions::ensure_open(session, state.now())?;
    if let Some(live) = relay.stream() {
        // A new size or codec of the same stream: no new consent, no new event.
        let changed = StreamInfo { format, ..live };
        relay.announce(changed.clone());
        return Ok(changed);
    }
    if !state.store.screen_consent_stands(session.id).await? {
        return Err(AppError::ConsentRequired(
            "the end user has not allowed a screen view; the technician asks first",
        ));
    }
    let stream = StreamInfo {
        stream_id: Uuid::new_v4(),
        session_id: session.id,
        started_at: state.now(),
        format,
    };
    let event = EventData::ScreenShareStarted {
        stream_id: stream.stream_id,
        source: stream.format.source,
        surface: stream.format.surface,
        width: stream.format.width,
        height: stream.format.height,
    };
    crate::sessions::record_event(state, session, Some(Party::EndUser), None, event).await?;
    relay.announce(stream.clone());
    tracing::info!(session = %session.id, stream = %stream.stream_id, "screen view started");
    Ok(stream)
}

/// Stops the session's stream, if one is live, and records who stopped it and why.
async fn stop_stream(
    state: &AppState,
    session: &SessionRecord,
    relay: &Relay,
    by: Party,
    reason: StopReason,
) -> AppResult<()> {
    let Some(stopped) = relay.stop(by, reason) else {
        return Ok(());
    };
    tracing::info!(session = %session.id, stream = %stopped.stream_id, ?reason, "screen view stopped");
    let event = EventData::ScreenShareStopped {
        stream_id: stopped.stream_id,
        by,
        reason,
    };
    crate::sessions::record_event(state, session, Some(by), None, event).await?;
    Ok(())
}

/// The attended app left or was cancelled: its stream, if live, stops on both ends.
pub async fn stop_app_stream(
    state: &AppState,
    session: &SessionRecord,
    by: Party,
) -> AppResult<()> {
    let Some(relay) = state.media.existing(session.id) else {
        return Ok(());
    };
    if relay
        .stream()
        .is_none_or(|live| live.format.source != MediaSource::Agent)
    {
        return Ok(());
    }
    let reason = match by {
        Party::Technician => StopReason::StoppedViewing,
        Party::EndUser => StopReason::StoppedSharing,
    };
    stop_stream(state, session, &relay, by, reason).await
}

/// The session is about to end: its stream stops first, on both ends, so the record
/// shows the stop before the end.
pub async fn stop_before_end(state: &AppState, session_id: Uuid, by: Party) -> AppResult<()> {
    let relay = state
        .media
        .existing(session_id)
        .filter(|relay| relay.stream().is_some());
    let Some(relay) = relay else {
        return stop_elsewhere_before_end(state, session_id, by).await;
    };
    let Some(session) = state.store.session(session_id).await? else {
        return Ok(());
    };
    stop_stream(state, &session, &relay, by, StopReason::SessionEnded).await
}

/// In a cluster the stream may be live on another node: that node stops it, and this
/// one records the stop, before the end.
async fn stop_elsewhere_before_end(state: &AppState, session_id: Uuid, by: Party) -> AppResult<()> {
    let Some(bus) = &state.media.bus else {
        return Ok(());
    };
    let Some(stopped) = bus.stop_elsewhere(session_id, by).await else {
        return Ok(());
    };
    let Some(session) = state.store.session(session_id).await? else {
        return Ok(());
    };
    tracing::info!(session = %session_id, stream = %stopped.stream_id, "screen view stopped on another node");
    let event = EventData::ScreenShareStopped {
        stream_id: stopped.stream_id,
        by: stopped.by,
        reason: stopped.reason,
    };
    crate::sessions::record_event(state, &session, Some(stopped.by), None, event).await?;
    Ok(())
}

/// The session ended: a stream still live (from a path that did not stop it first)
/// stops at once on both ends. Called for every stored `session_ended` event.
pub fn session_ended(state: &AppState, session_id: Uuid, by: Party) {
    if state.media.existing(session_id).is_none() {
        return;
    }
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(err) = stop_before_end(&state, session_id, by).await {
            tracing::warn!(error = %err, "stopping a screen view at the session's end");
        }
    });
}
