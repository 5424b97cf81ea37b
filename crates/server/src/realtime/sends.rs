//! Chat messages sent on a realtime socket (`send` frames), without a request each:
//! checked as the messages route checks them, queued for the group commit in the order
//! they arrived, and stored while the socket goes on reading and delivering.
//!
//! A socket that sends gets one task for this at its first `send`. The task takes what
//! has arrived, looks up its sessions in one round, and queues the messages in order;
//! so one sender's messages to a session are stored in the order sent, while many wait
//! for their commit at once. A stored message comes back to the sender as its `event`,
//! like to everyone else in the session; only a refusal is answered on its own, as
//! `send_failed`. Nothing here writes to the socket: refusals go back to the
//! connection, which owns it.

use std::collections::HashMap;

use futures_util::stream::FuturesUnordered;
use futures_util::StreamExt;
use lifeline_protocol::{Party, ServerFrame};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::error::AppError;
use crate::state::AppState;
use crate::store::SessionRecord;

/// Sends a socket may have waiting to be queued, and again waiting for their commit;
/// past that a `send` is refused with `rate_limited` until the commits catch up.
const IN_FLIGHT: usize = 256;

/// Who sends on the socket, as the hello established it.
#[derive(Clone, Copy)]
pub(super) enum Sender {
    Technician { technician_id: Uuid },
    EndUser { session_id: Uuid },
}

/// One `send` frame.
pub(super) struct SendRequest {
    pub(super) session_id: Uuid,
    pub(super) client_id: Uuid,
    pub(super) text: String,
}

/// The connection's end of its sending task. Refusals come boxed: a frame held while
/// the connection writes it would otherwise widen every idle connection's future.
pub(super) struct Sends {
    requests: mpsc::Sender<SendRequest>,
    refusals: mpsc::Receiver<Box<ServerFrame>>,
}

impl Sends {
    pub(super) fn start(state: AppState, sender: Sender) -> Self {
        let (requests, arrived) = mpsc::channel(IN_FLIGHT);
        let (refuse, refusals) = mpsc::channel(IN_FLIGHT);
        tokio::spawn(send_in_order(state, sender, arrived, refuse));
        Self { requests, refusals }
    }

    /// Hands a send to the task; the refusal to tell at once while too many are in
    /// flight.
    pub(super) fn offer(&self, request: SendRequest) -> Option<Box<ServerFrame>> {
        let full = self.requests.try_send(request).err()?;
        let busy = AppError::RateLimited {
            retry_after_secs: 1,
        };
        Some(refusal(&full.into_inner(), &busy))
    }

    /// The next refusal to tell the client.
    pub(super) async fn next_refusal(&mut self) -> Option<Box<ServerFrame>> {
        self.refusals.recv().await
    }
}

/// The `send_failed` frame for a refused send.
pub(super) fn refusal(request: &SendRequest, error: &AppError) -> Box<ServerFrame> {
    if let AppError::Internal(err) = error {
        tracing::warn!(error = %err, "a message sent on a realtime socket was not stored");
    }
    Box::new(ServerFrame::SendFailed {
        session_id: request.session_id,
        client_id: request.client_id,
        error: error.to_api_error(),
    })
}

/// The task: ends when the connection drops its `Sends` and every queued message has
/// been stored.
async fn send_in_order(
    state: AppState,
    sender: Sender,
    mut arrived: mpsc::Receiver<SendRequest>,
    refuse: mpsc::Sender<Box<ServerFrame>>,
) {
    let mut storing = FuturesUnordered::new();
    let mut taken = Vec::new();
    loop {
        let (busy, room) = (!storing.is_empty(), IN_FLIGHT - storing.len());
        tokio::select! {
            Some(refused) = storing.next(), if busy => {
                if let Some(frame) = refused {
                    let _ = refuse.send(frame).await;
                }
            }
            count = arrived.recv_many(&mut taken, room), if room > 0 => {
                if count == 0 {
                    break;
                }
                let sessions = look_up(&state, sender, &taken).await;
                for request in taken.drain(..) {
                    let session = match sessions.get(&request.session_id) {
                        Some(Ok(session)) => session,
                        Some(Err(error)) => {
                            let _ = refuse.send(refusal(&request, error)).await;
                            continue;
                        }
                        // Every request's session was looked up.
                        None => {
                            let _ = refuse.send(refusal(&request, &AppError::NotFound("session"))).await;
                            continue;
                        }
                    };
                    let queued = crate::sessions::chat::queue_message(
                        &state,
                        session,
                        party(sender),
                        request.client_id,
                        &request.text,
                    )
                    .await;
                    match queued {
                        Ok(queued) => {
                            let state = &state;
                            storing.push(async move {
                                let stored = queued.recorded(state).await;
                                stored.err().map(|error| refusal(&request, &error))
                            });
                        }
                        Err(error) => {
                            let _ = refuse.send(refusal(&request, &error)).await;
                        }
                    }
                }
            }
        }
    }
    while let Some(refused) = storing.next().await {
        if let Some(frame) = refused {
            let _ = refuse.send(frame).await;
        }
    }
}

fn party(sender: Sender) -> Party {
    match sender {
        Sender::Technician { .. } => Party::Technician,
        Sender::EndUser { .. } => Party::EndUser,
    }
}

/// Each session the requests name, read once, if the sender is in it; "not found"
/// otherwise, so ids of other technicians' sessions can't be probed.
async fn look_up(
    state: &AppState,
    sender: Sender,
    requests: &[SendRequest],
) -> HashMap<Uuid, Result<SessionRecord, AppError>> {
    let mut ids: Vec<Uuid> = requests.iter().map(|r| r.session_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let reads = ids.into_iter().map(|id| async move {
        let session = match sender {
            Sender::EndUser { session_id } if session_id != id => Ok(None),
            Sender::EndUser { .. } | Sender::Technician { .. } => state.store.session(id).await,
        };
        let session = match session {
            Ok(Some(session)) if in_session(sender, &session) => Ok(session),
            Ok(_) => Err(AppError::NotFound("session")),
            Err(err) => Err(AppError::from(err)),
        };
        (id, session)
    });
    futures_util::future::join_all(reads)
        .await
        .into_iter()
        .collect()
}

fn in_session(sender: Sender, session: &SessionRecord) -> bool {
    match sender {
        Sender::Technician { technician_id } => session.technician_id == technician_id,
        Sender::EndUser { session_id } => session.id == session_id,
    }
}
