//! What the desk tells its UI, and the task that turns realtime events into it.

use std::sync::Arc;

use lifeline_protocol::{EventData, Party, SessionEvent, TechnicianProfile, UnixMillis};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use uuid::Uuid;

use crate::desk::DeskShared;
use crate::{RealtimeClient, RealtimeEvent};

/// One thing the UI should know about, pushed as it happens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum DeskEvent {
    /// The realtime connection came up (`online`) or dropped; it reconnects by itself.
    Connection {
        online: bool,
        reason: Option<String>,
    },
    /// A stored session event, once and in `seq` order per session.
    Session { event: SessionEvent },
    /// The end user started or stopped typing.
    Typing { session_id: Uuid, typing: bool },
    /// The end user's connection came or went.
    Presence { session_id: Uuid, online: bool },
    /// A file transfer moved on.
    Transfer { transfer: TransferUpdate },
    /// One of the technician's ad-hoc sessions changed: activated, ended or expired, or
    /// its computer came online or went offline.
    Adhoc {
        session: lifeline_protocol::AdhocSessionSummary,
    },
    /// The technician clicked the notification of this session: the app comes to the
    /// front and shows it.
    ShowSession { session_id: Uuid },
    /// The service no longer accepts this sign-in; the UI returns to Sign in. `code`
    /// says why, for the UI to branch on; `reason` is the service's words.
    SignedOut {
        code: crate::ipc::IpcErrorCode,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TransferDirection {
    Send,
    Receive,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum TransferState {
    Running,
    Done,
    Cancelled,
    /// `code` is what the UI branches on (e.g. `checksum_mismatch`); `message` is for
    /// people.
    Failed {
        code: crate::ipc::IpcErrorCode,
        message: String,
    },
}

/// Where one file transfer stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TransferUpdate {
    pub id: Uuid,
    pub session_id: Uuid,
    pub name: String,
    pub direction: TransferDirection,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub done: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: u64,
    pub state: TransferState,
}

/// The result of a sign-in, silent or not.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SignedIn {
    /// The service signed in to, as the desk reaches it (no trailing slash).
    pub server_url: String,
    pub technician: TechnicianProfile,
    pub server: lifeline_protocol::ServerInfo,
    /// The refresh token is in the OS keychain, so the next start signs in silently.
    pub remembered: bool,
    /// Remember me was asked for but the keychain failed; the sign-in still holds.
    pub keychain_error: Option<String>,
}

/// Where the UI receives [`DeskEvent`]s; the desktop shell forwards them as app events.
pub type EventSink = Arc<dyn Fn(DeskEvent) + Send + Sync>;

/// Only an arrival this recent is news: older ones are replays after a (re)connect.
const ARRIVAL_NEWS_MS: UnixMillis = 60_000;

/// Pumps realtime events to the sink until `stop` fires or the service refuses us.
pub(crate) async fn pump(
    mut realtime: RealtimeClient,
    shared: Arc<DeskShared>,
    (enrollments, api): (super::adhoc::Enrollments, crate::ApiClient),
    mut stop: oneshot::Receiver<()>,
) {
    loop {
        let next = tokio::select! {
            _ = &mut stop => break,
            next = realtime.next() => next,
        };
        let Some(event) = next else { break };
        let desk_event = match event {
            RealtimeEvent::Connected { .. } => {
                // Agents may have started enrolling while this app was away.
                let (enrollments, api) = (enrollments.clone(), api.clone());
                tokio::spawn(async move { enrollments.serve_all(&api).await });
                DeskEvent::Connection {
                    online: true,
                    reason: None,
                }
            }
            RealtimeEvent::Disconnected { reason } => DeskEvent::Connection {
                online: false,
                reason: Some(reason),
            },
            RealtimeEvent::Event(event) => {
                if let EventData::EndUserJoined { name } = &event.data {
                    if super::now_ms() - event.at < ARRIVAL_NEWS_MS {
                        // The notification names the session by its key, which the
                        // event does not carry.
                        let (shared, api, name) = (Arc::clone(&shared), api.clone(), name.clone());
                        let session_id = event.session_id;
                        tokio::spawn(async move {
                            let key = match api.session(session_id).await {
                                Ok(session) => session.support_key_display,
                                Err(_) => String::new(),
                            };
                            shared.announce_arrival(name.as_deref(), session_id, &key);
                        });
                    }
                }
                shared.outbox.stored(&event);
                DeskEvent::Session { event }
            }
            RealtimeEvent::SendFailed {
                client_id, error, ..
            } => {
                shared.outbox.refused(client_id, error);
                continue;
            }
            RealtimeEvent::Typing {
                session_id,
                from: Party::EndUser,
                typing,
            } => DeskEvent::Typing { session_id, typing },
            RealtimeEvent::Presence {
                session_id,
                party: Party::EndUser,
                online,
            } => DeskEvent::Presence { session_id, online },
            // Our own typing and presence echo back; the UI has no use for them.
            RealtimeEvent::Typing { .. } | RealtimeEvent::Presence { .. } => continue,
            RealtimeEvent::Adhoc(session) => {
                let (enrollments, api, waiting) =
                    (enrollments.clone(), api.clone(), session.clone());
                tokio::spawn(async move { enrollments.serve(&api, &waiting).await });
                let fresh = session
                    .activated_at
                    .is_some_and(|at| super::now_ms() - at < ARRIVAL_NEWS_MS);
                if session.status == lifeline_protocol::AdhocStatus::Active && fresh {
                    shared.announce_activation(&session.end_user_email);
                }
                DeskEvent::Adhoc { session }
            }
            // Only agents are asked to let technicians in.
            RealtimeEvent::ConnectRequested { .. } => continue,
            RealtimeEvent::Rejected(error) => {
                (shared.sink)(DeskEvent::SignedOut {
                    code: crate::ipc::IpcErrorCode::Service(error.code),
                    reason: error.message,
                });
                break;
            }
        };
        (shared.sink)(desk_event);
    }
    realtime.close();
}
