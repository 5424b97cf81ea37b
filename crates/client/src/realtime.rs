use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use lifeline_protocol::{
    AdhocSessionSummary, ApiError, ClientFrame, Cursor, ErrorCode, EventData, Party, ServerFrame,
    SessionEvent, REALTIME_PATH,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::{ApiClient, ClientError};

/// How often a technician's connection checks whether its access token needs renewing;
/// shorter than the API client's refresh margin, so the renewal comes before the end.
const RENEWAL_CHECK: Duration = Duration::from_secs(20);

/// What the realtime connection reports, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum RealtimeEvent {
    /// Connected (again); replayed events follow.
    Connected { party: Party },
    /// The connection dropped; it reconnects by itself and resumes.
    Disconnected { reason: String },
    /// A stored session event, each delivered once, in `seq` order per session.
    Event(SessionEvent),
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
    /// One of the technician's ad-hoc sessions changed (activated, ended, expired).
    Adhoc(AdhocSessionSummary),
    /// To an agent: a technician asks to connect with this proof of the password.
    ConnectRequested {
        connection_id: Uuid,
        technician_name: String,
        nonce: String,
        proof: String,
        /// The company's rule for asking the person at the computer.
        control_confirmation: lifeline_protocol::ControlConfirmation,
    },
    /// A message sent with [`RealtimeClient::send_message`] was refused; nothing was
    /// stored. The code says why (`invalid_input`, `not_found`, `session_ended`,
    /// `rate_limited`).
    SendFailed {
        session_id: Uuid,
        client_id: Uuid,
        error: ApiError,
    },
    /// The service refused the sign-in; no further reconnects.
    Rejected(ApiError),
}

#[derive(Debug, Clone)]
pub struct RealtimeOptions {
    /// Where to resume: events after these `seq`s are sent first.
    pub cursors: Vec<Cursor>,
    /// Acknowledge the other party's messages as delivered as soon as they arrive.
    pub auto_delivered: bool,
    /// Silence after which the connection counts as dead (the service pings every 25 s).
    pub idle_timeout: Duration,
}

impl Default for RealtimeOptions {
    fn default() -> Self {
        Self {
            cursors: Vec::new(),
            auto_delivered: true,
            idle_timeout: Duration::from_secs(60),
        }
    }
}

type Cursors = Arc<Mutex<HashMap<Uuid, u64>>>;

/// One WebSocket to the service that reconnects with backoff and resumes from the last
/// `seq` it delivered, so nothing is lost or delivered twice.
pub struct RealtimeClient {
    events: mpsc::UnboundedReceiver<RealtimeEvent>,
    frames: RealtimeHandle,
    cursors: Cursors,
    task: JoinHandle<()>,
}

enum Stop {
    /// The owner dropped or closed the client.
    Closed,
    /// The service refused the hello.
    Rejected,
}

impl RealtimeClient {
    /// Connects in the background; events arrive through [`RealtimeClient::next`].
    pub fn connect(api: ApiClient, options: RealtimeOptions) -> Self {
        let (events_tx, events) = mpsc::unbounded_channel();
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let cursors: Cursors = Arc::new(Mutex::new(
            options
                .cursors
                .iter()
                .map(|c| (c.session_id, c.seq))
                .collect(),
        ));
        let task = tokio::spawn(run(
            api,
            options,
            Arc::clone(&cursors),
            events_tx,
            commands_rx,
        ));
        Self {
            events,
            frames: RealtimeHandle { commands },
            cursors,
            task,
        }
    }

    pub async fn next(&mut self) -> Option<RealtimeEvent> {
        self.events.recv().await
    }

    /// The last `seq` delivered for a session (0 if none).
    pub fn cursor(&self, session_id: Uuid) -> u64 {
        let map = self.cursors.lock().unwrap_or_else(PoisonError::into_inner);
        map.get(&session_id).copied().unwrap_or(0)
    }

    pub fn cursors(&self) -> Vec<Cursor> {
        let map = self.cursors.lock().unwrap_or_else(PoisonError::into_inner);
        map.iter()
            .map(|(&session_id, &seq)| Cursor { session_id, seq })
            .collect()
    }

    /// Momentary frames; dropped while disconnected, which is what typing should do.
    pub fn typing(&self, session_id: Uuid, typing: bool) {
        self.frames.typing(session_id, typing);
    }

    pub fn delivered(&self, session_id: Uuid, up_to_seq: u64) {
        self.frames.delivered(session_id, up_to_seq);
    }

    pub fn read(&self, session_id: Uuid, up_to_seq: u64) {
        self.frames.read(session_id, up_to_seq);
    }

    /// Sends a chat message on the connection, without a request of its own (see
    /// [`RealtimeHandle::send_message`]).
    pub fn send_message(&self, session_id: Uuid, client_id: Uuid, text: &str) {
        self.frames.send_message(session_id, client_id, text);
    }

    /// A sender for momentary frames that another task can keep while this client's
    /// owner waits on [`RealtimeClient::next`].
    pub fn handle(&self) -> RealtimeHandle {
        self.frames.clone()
    }

    /// Closes the connection for good (as dropping the client does).
    pub fn close(self) {}
}

impl Drop for RealtimeClient {
    fn drop(&mut self) {
        // Handles may outlive the client; the connection must not.
        self.task.abort();
    }
}

/// Sends typing, delivered and read frames on a [`RealtimeClient`]'s connection.
/// Like the client's own methods, frames are dropped while disconnected.
#[derive(Debug, Clone)]
pub struct RealtimeHandle {
    commands: mpsc::UnboundedSender<ClientFrame>,
}

impl RealtimeHandle {
    pub fn delivered(&self, session_id: Uuid, up_to_seq: u64) {
        let _ = self.commands.send(ClientFrame::Delivered {
            session_id,
            up_to_seq,
        });
    }

    pub fn typing(&self, session_id: Uuid, typing: bool) {
        let _ = self
            .commands
            .send(ClientFrame::Typing { session_id, typing });
    }

    pub fn read(&self, session_id: Uuid, up_to_seq: u64) {
        let _ = self.commands.send(ClientFrame::Read {
            session_id,
            up_to_seq,
        });
    }

    /// Sends a chat message. Once stored it arrives as a [`RealtimeEvent::Event`] with
    /// this `client_id`, like every message of the session; a refusal arrives as
    /// [`RealtimeEvent::SendFailed`]. If neither comes (the connection dropped on the
    /// way), send it again with the same `client_id`: it is stored once.
    pub fn send_message(&self, session_id: Uuid, client_id: Uuid, text: &str) {
        let _ = self.commands.send(ClientFrame::Send {
            session_id,
            client_id,
            text: text.to_owned(),
        });
    }
}

async fn run(
    api: ApiClient,
    options: RealtimeOptions,
    cursors: Cursors,
    events: mpsc::UnboundedSender<RealtimeEvent>,
    mut commands: mpsc::UnboundedReceiver<ClientFrame>,
) {
    let mut attempt: u32 = 0;
    loop {
        let outcome = connect_once(
            &api,
            &options,
            &cursors,
            &events,
            &mut commands,
            &mut attempt,
        )
        .await;
        match outcome {
            Ok(Stop::Closed) | Ok(Stop::Rejected) => return,
            Err(err) => {
                if events
                    .send(RealtimeEvent::Disconnected {
                        reason: err.to_string(),
                    })
                    .is_err()
                {
                    return;
                }
            }
        }
        attempt = attempt.saturating_add(1);
        // 0.25 s, 0.5 s, 1 s … up to 10 s, with jitter so a restarted service is not
        // hit by every client in the same instant.
        let base = 250u64.saturating_mul(1 << attempt.min(6)).min(10_000);
        let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0]) * base / 512;
        tokio::time::sleep(Duration::from_millis(base / 2 + jitter)).await;
    }
}

async fn connect_once(
    api: &ApiClient,
    options: &RealtimeOptions,
    cursors: &Cursors,
    events: &mpsc::UnboundedSender<RealtimeEvent>,
    commands: &mut mpsc::UnboundedReceiver<ClientFrame>,
    attempt: &mut u32,
) -> Result<Stop, ClientError> {
    let token = match api.access_token().await {
        Ok(token) => token,
        Err(ClientError::NotSignedIn) => {
            let error = ApiError::new(ErrorCode::Unauthorized, "not signed in");
            let _ = events.send(RealtimeEvent::Rejected(error));
            return Ok(Stop::Rejected);
        }
        Err(err) => return Err(err),
    };
    let url = crate::media::websocket_url(api, REALTIME_PATH)?;
    let mut socket = api.connect_websocket(url.as_str()).await?;
    let mut socket_token = token.clone();
    let mut token_updates = api.token_updates();
    token_updates.mark_unchanged();
    // A technician's connection lasts as long as its access token: a fresh one is sent
    // over it as it comes (refreshing when it nears its end is the API client's job,
    // asked for here often enough to come before the end).
    let mut renewal = tokio::time::interval(RENEWAL_CHECK);
    renewal.reset();
    let hello = ClientFrame::Hello {
        token,
        cursors: {
            let map = cursors.lock().unwrap_or_else(PoisonError::into_inner);
            map.iter()
                .map(|(&session_id, &seq)| Cursor { session_id, seq })
                .collect()
        },
    };
    let text = serde_json::to_string(&hello).map_err(|e| ClientError::Protocol(e.to_string()))?;
    socket
        .send(Message::Text(text.into()))
        .await
        .map_err(|e| ClientError::WebSocket(e.to_string()))?;
    let mut own_party = None;
    loop {
        tokio::select! {
            incoming = tokio::time::timeout(options.idle_timeout, socket.next()) => {
                let message = match incoming {
                    Err(_) => return Err(ClientError::WebSocket("no sign of life from the service".into())),
                    Ok(None) => return Err(ClientError::WebSocket("the service closed the connection".into())),
                    Ok(Some(Err(e))) => return Err(ClientError::WebSocket(e.to_string())),
                    Ok(Some(Ok(message))) => message,
                };
                let Message::Text(text) = message else { continue };
                let frame: ServerFrame = serde_json::from_str(text.as_str())
                    .map_err(|e| ClientError::Protocol(format!("frame: {e}")))?;
                match frame {
                    ServerFrame::Welcome { party } => {
                        own_party = Some(party);
                        *attempt = 0;
                        if events.send(RealtimeEvent::Connected { party }).is_err() {
                            return Ok(Stop::Closed);
                        }
                    }
                    ServerFrame::Event { event } => {
                        let fresh = {
                            let mut map = cursors.lock().unwrap_or_else(PoisonError::into_inner);
                            let last = map.entry(event.session_id).or_insert(0);
                            let fresh = event.seq > *last;
                            if fresh {
                                *last = event.seq;
                            }
                            fresh
                        };
                        if !fresh {
                            continue;
                        }
                        // Hand the event over before anything else can fail: the cursor
                        // already counts it as delivered.
                        let ack = match (&event.data, own_party) {
                            (EventData::Message { from, .. }, Some(own)) if options.auto_delivered && *from != own => {
                                Some(ClientFrame::Delivered { session_id: event.session_id, up_to_seq: event.seq })
                            }
                            _ => None,
                        };
                        if events.send(RealtimeEvent::Event(event)).is_err() {
                            return Ok(Stop::Closed);
                        }
                        if let Some(ack) = ack {
                            let text = serde_json::to_string(&ack).map_err(|e| ClientError::Protocol(e.to_string()))?;
                            socket.send(Message::Text(text.into())).await.map_err(|e| ClientError::WebSocket(e.to_string()))?;
                        }
                    }
                    ServerFrame::Typing { session_id, from, typing } => {
                        let _ = events.send(RealtimeEvent::Typing { session_id, from, typing });
                    }
                    ServerFrame::Presence { session_id, party, online } => {
                        let _ = events.send(RealtimeEvent::Presence { session_id, party, online });
                    }
                    ServerFrame::Adhoc { session } => {
                        let _ = events.send(RealtimeEvent::Adhoc(session));
                    }
                    ServerFrame::ConnectRequested { connection_id, technician_name, nonce, proof, control_confirmation } => {
                        let _ = events.send(RealtimeEvent::ConnectRequested { connection_id, technician_name, nonce, proof, control_confirmation });
                    }
                    ServerFrame::SendFailed { session_id, client_id, error } => {
                        let _ = events.send(RealtimeEvent::SendFailed { session_id, client_id, error });
                    }
                    ServerFrame::Error { error } => {
                        // Only a refused sign-in is final; anything else at hello (the
                        // service restarting, a busy database) is worth another try.
                        if own_party.is_none() && matches!(error.code, ErrorCode::Unauthorized | ErrorCode::Forbidden | ErrorCode::SessionEnded) {
                            let _ = events.send(RealtimeEvent::Rejected(error));
                            return Ok(Stop::Rejected);
                        }
                        if own_party.is_none() {
                            return Err(ClientError::WebSocket(format!("hello refused: {}", error.message)));
                        }
                        tracing::warn!(code = ?error.code, message = %error.message, "realtime frame refused");
                    }
                }
            }
            changed = token_updates.changed() => {
                if changed.is_err() {
                    continue;
                }
                let fresh = token_updates.borrow_and_update().as_ref().map(|pair| pair.access_token.clone());
                if let Some(fresh) = fresh.filter(|fresh| *fresh != socket_token) {
                    let text = serde_json::to_string(&ClientFrame::Renew { token: fresh.clone() })
                        .map_err(|e| ClientError::Protocol(e.to_string()))?;
                    socket.send(Message::Text(text.into())).await.map_err(|e| ClientError::WebSocket(e.to_string()))?;
                    socket_token = fresh;
                }
            }
            _ = renewal.tick(), if socket_token.expose().starts_with(lifeline_protocol::ACCESS_TOKEN_PREFIX) => {
                // Refreshes when the token is close to its end; the change comes above.
                if let Err(err) = api.access_token().await {
                    tracing::debug!(error = %err, "renewing the realtime connection's token");
                }
            }
            command = commands.recv() => {
                let Some(frame) = command else {
                    let _ = socket.close(None).await;
                    return Ok(Stop::Closed);
                };
                let text = serde_json::to_string(&frame).map_err(|e| ClientError::Protocol(e.to_string()))?;
                socket.send(Message::Text(text.into())).await.map_err(|e| ClientError::WebSocket(e.to_string()))?;
            }
        }
    }
}
