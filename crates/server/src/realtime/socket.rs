use crate::metrics::SocketParty;
use std::collections::HashMap;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use lifeline_protocol::{ClientFrame, Cursor, Party, ServerFrame, SessionEvent, REALTIME_PATH};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use super::closing::{self, CloseReason};
use super::cursors::SentCursors;
use super::frames::owns;
use super::hub::{Live, SignInEnded};
use super::marks::MarkCoalescer;
use super::origin;
use super::published::PublishedEvent;
use super::sends::Sends;
use crate::auth::tokens::END_USER_PREFIX;
use crate::error::AppError;
use crate::socket_close;
use crate::state::AppState;

/// Small buffers: an idle connection should cost a few KiB, not tungstenite's 128 KiB.
/// Reads start with this much room (a hello fits; a bigger frame grows it).
const READ_BUFFER_BYTES: usize = 256;
/// Frames are written out at once rather than gathered: a gathering buffer would keep
/// the capacity of the largest burst for the life of an idle connection.
const WRITE_BUFFER_BYTES: usize = 0;
const MAX_FRAME_BYTES: usize = 64 * 1024;
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
const PING_INTERVAL: Duration = Duration::from_secs(25);
const REPLAY_PAGE: u32 = 500;

pub fn router() -> Router<AppState> {
    Router::new().route(REALTIME_PATH, get(upgrade))
}

async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Some(refused) = origin::refuse_foreign(&state.config, &headers) {
        return refused;
    }
    ws.read_buffer_size(READ_BUFFER_BYTES)
        .write_buffer_size(WRITE_BUFFER_BYTES)
        .max_write_buffer_size(MAX_FRAME_BYTES * 4)
        .max_message_size(MAX_FRAME_BYTES)
        .max_frame_size(MAX_FRAME_BYTES)
        .on_upgrade(move |socket| async move {
            if let Err(err) = serve(state, socket).await {
                tracing::debug!(error = %err, "realtime connection closed");
            }
        })
}

#[derive(Debug, thiserror::Error)]
pub(super) enum SocketError {
    #[error("socket: {0}")]
    Socket(#[from] axum::Error),
    #[error("{0}")]
    App(#[from] AppError),
    #[error("encoding a frame: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Who is on the other end, after `hello`.
pub(super) enum Peer {
    Technician {
        technician_id: Uuid,
        /// The sign-in (token family) the connection's access token belongs to.
        family_id: Uuid,
        /// When that access token expires, unless a renewal moves it on.
        expires_at: i64,
    },
    EndUser {
        technician_id: Uuid,
        session_id: Uuid,
    },
    /// The support-session app of an ad-hoc session; it speaks for the person at the
    /// computer, so it is the end-user party of what it takes part in.
    Agent {
        technician_id: Uuid,
        adhoc_session_id: Uuid,
    },
}

impl Peer {
    pub(super) fn party(&self) -> Party {
        match self {
            Peer::Technician { .. } => Party::Technician,
            Peer::EndUser { .. } | Peer::Agent { .. } => Party::EndUser,
        }
    }
    pub(super) fn technician_id(&self) -> Uuid {
        match self {
            Peer::Technician { technician_id, .. }
            | Peer::EndUser { technician_id, .. }
            | Peer::Agent { technician_id, .. } => *technician_id,
        }
    }
}

pub(super) struct Connection {
    pub(super) state: AppState,
    pub(super) socket: WebSocket,
    pub(super) peer: Peer,
    /// Per session, the last `seq` this client has been sent.
    pub(super) sent: SentCursors,
    /// The client's delivered and read marks, at most one stored a second.
    pub(super) marks: MarkCoalescer,
    /// Set when the connection must close after what it is doing now.
    pub(super) closing: Option<CloseReason>,
    /// The task storing the chat messages sent on this socket, from its first `send`.
    pub(super) sends: Option<Box<Sends>>,
}

/// The next refused `send` to report; never, on a socket that has not sent any.
async fn next_refusal(sends: &mut Option<Box<Sends>>) -> Option<Box<ServerFrame>> {
    match sends {
        Some(sends) => Box::pin(sends.next_refusal()).await,
        None => std::future::pending().await,
    }
}

pub(super) async fn send_frame(
    socket: &mut WebSocket,
    frame: &ServerFrame,
) -> Result<(), SocketError> {
    let text = serde_json::to_string(frame)?;
    socket.send(Message::Text(text.into())).await?;
    Ok(())
}

async fn close_too_large(socket: &mut WebSocket) {
    let frame = ServerFrame::Error {
        error: socket_close::too_large(MAX_FRAME_BYTES).to_api_error(),
    };
    if let Ok(text) = serde_json::to_string(&frame) {
        socket_close::close_too_large(socket, text).await;
    }
}

async fn refuse(mut socket: WebSocket, error: AppError) -> Result<(), SocketError> {
    let frame = ServerFrame::Error {
        error: error.to_api_error(),
    };
    send_frame(&mut socket, &frame).await?;
    let close = CloseFrame {
        code: 4401,
        reason: "hello refused".into(),
    };
    socket.send(Message::Close(Some(close))).await?;
    Ok(())
}

/// Cold paths (auth, replay, database work) are boxed below: a spawned task is as large
/// as its largest await point for its whole life, and an idle connection should not
/// pay for a query it ran once.
async fn serve(state: AppState, mut socket: WebSocket) -> Result<(), SocketError> {
    let hello = match tokio::time::timeout(HELLO_TIMEOUT, socket.recv()).await {
        Ok(Some(Ok(Message::Text(text)))) => serde_json::from_str::<ClientFrame>(&text),
        Ok(Some(Err(err))) if socket_close::is_oversized(&err) => {
            close_too_large(&mut socket).await;
            return Ok(());
        }
        Ok(_) | Err(_) => {
            return Box::pin(refuse(
                socket,
                AppError::invalid("the first frame must be a hello"),
            ))
            .await;
        }
    };
    let (token, cursors) = match hello {
        Ok(ClientFrame::Hello { token, cursors }) => (token, cursors),
        Ok(_) => {
            return Box::pin(refuse(
                socket,
                AppError::invalid("the first frame must be a hello"),
            ))
            .await
        }
        Err(err) => {
            return Box::pin(refuse(
                socket,
                AppError::invalid(format!("invalid hello: {err}")),
            ))
            .await
        }
    };
    let token = token.expose();
    let authenticated = if token.starts_with(crate::auth::tokens::AGENT_PREFIX) {
        Box::pin(crate::auth::extract_agent(&state, token))
            .await
            .map(|record| Peer::Agent {
                technician_id: record.technician_id,
                adhoc_session_id: record.id,
            })
    } else if token.starts_with(END_USER_PREFIX) {
        Box::pin(crate::auth::extract_session_for_end_user(&state, token))
            .await
            .map(|session| Peer::EndUser {
                technician_id: session.technician_id,
                session_id: session.id,
            })
    } else {
        Box::pin(crate::auth::extract_technician_sign_in(&state, token))
            .await
            .map(|(technician, sign_in)| Peer::Technician {
                technician_id: technician.id,
                family_id: sign_in.family_id,
                expires_at: sign_in.expires_at,
            })
    };
    let peer = match authenticated {
        Ok(peer) => peer,
        Err(err) => return Box::pin(refuse(socket, err)).await,
    };
    let _open = state.metrics.socket_opened(match peer {
        Peer::Technician { .. } => SocketParty::Technician,
        Peer::EndUser { .. } => SocketParty::EndUser,
        Peer::Agent { .. } => SocketParty::Agent,
    });
    let mut connection = Connection {
        state,
        socket,
        peer,
        sent: SentCursors::default(),
        marks: MarkCoalescer::default(),
        closing: None,
        sends: None,
    };
    let result = connection.run(cursors).await;
    // Marks the client made in its last second still count.
    let kept = connection.marks.take_all(tokio::time::Instant::now());
    for mark in kept {
        if let Err(err) = Box::pin(connection.store_mark(mark)).await {
            tracing::debug!(error = %err, "storing a mark at close");
        }
    }
    connection.leave();
    result
}

impl Connection {
    async fn run(&mut self, cursors: Vec<Cursor>) -> Result<(), SocketError> {
        // Subscribe before replaying so nothing published in between is missed.
        let mut live = match self.peer {
            Peer::Technician { technician_id, .. } => {
                self.state.hub.subscribe_technician(technician_id)
            }
            Peer::EndUser { session_id, .. } => self.state.hub.subscribe_session(session_id),
            Peer::Agent {
                adhoc_session_id, ..
            } => self.state.hub.subscribe_agent(adhoc_session_id),
        };
        Box::pin(send_frame(
            &mut self.socket,
            &ServerFrame::Welcome {
                party: self.peer.party(),
            },
        ))
        .await?;
        Box::pin(self.resume(cursors)).await?;
        self.announce_presence(true);
        Box::pin(self.report_peer_presence()).await?;
        let mut ping = tokio::time::interval(PING_INTERVAL);
        ping.reset();
        let shutdown = self.state.shutdown.clone();
        loop {
            // Boxed only while a mark waits, so an idle connection carries no timer.
            let next_mark = self.marks.next_due();
            let mark_timer = async move {
                match next_mark {
                    Some(at) => Box::pin(tokio::time::sleep_until(at)).await,
                    None => std::future::pending::<()>().await,
                }
            };
            // A technician's connection lasts as long as its access token (or renewal).
            let token_left = self.token_left();
            let token_timer = async move {
                match token_left {
                    Some(left) => Box::pin(tokio::time::sleep(left)).await,
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                incoming = self.socket.recv() => match incoming {
                    Some(Ok(Message::Text(text))) => Box::pin(self.handle_client_frame(&text)).await?,
                    Some(Ok(Message::Close(_))) | None => return Ok(()),
                    Some(Ok(_)) => {}
                    Some(Err(err)) if socket_close::is_oversized(&err) => {
                        Box::pin(close_too_large(&mut self.socket)).await;
                        return Ok(());
                    }
                    Some(Err(err)) => return Err(err.into()),
                },
                received = live.recv() => match received {
                    Ok(item) if self.token_left().is_some_and(|left| left.is_zero()) => {
                        // Nothing more is sent on an expired token, timer or not.
                        drop(item);
                        self.closing = Some(CloseReason::TokenExpired);
                    }
                    Ok(item) => Box::pin(self.forward(item)).await?,
                    Err(RecvError::Lagged(_)) => Box::pin(self.catch_up_all()).await?,
                    Err(RecvError::Closed) => return Ok(()),
                },
                // What runs only now and then is boxed: an idle connection's future is as
                // large as the largest thing it awaits anywhere.
                _ = ping.tick() => {
                    Box::pin(self.socket.send(Message::Ping(Default::default()))).await?;
                    if let Peer::Technician { technician_id, family_id, .. } = self.peer {
                        self.closing =
                            Box::pin(closing::sign_in_lapsed(&self.state, technician_id, family_id))
                                .await;
                    }
                }
                () = mark_timer => {
                    for mark in self.marks.take_due(tokio::time::Instant::now()) {
                        Box::pin(self.store_mark(mark)).await?;
                    }
                }
                () = token_timer => self.closing = Some(CloseReason::TokenExpired),
                Some(refused) = next_refusal(&mut self.sends) => {
                    Box::pin(send_frame(&mut self.socket, &refused)).await?;
                }
                () = shutdown.cancelled() => {
                    let close = CloseFrame { code: 1001, reason: "service restarting".into() };
                    let _ = Box::pin(self.socket.send(Message::Close(Some(close)))).await;
                    return Ok(());
                }
            }
            if let Some(reason) = self.closing.take() {
                tracing::info!(?reason, "realtime connection closed by the service");
                Box::pin(closing::close(&mut self.socket, reason)).await;
                return Ok(());
            }
        }
    }

    fn leave(&self) {
        self.announce_presence(false);
        match self.peer {
            Peer::Technician { technician_id, .. } => {
                self.state.hub.release_technician(technician_id)
            }
            Peer::EndUser { session_id, .. } => self.state.hub.release_session(session_id),
            Peer::Agent {
                adhoc_session_id, ..
            } => {
                self.state.hub.release_agent(adhoc_session_id);
                // The Computers page shows whether the agent is online.
                let state = self.state.clone();
                tokio::spawn(async move {
                    let _ = crate::adhoc::announce(&state, adhoc_session_id).await;
                });
            }
        }
    }

    /// Sends every stored event after the client's cursors; sessions it did not name
    /// start from 0, so a fresh client gets whole histories.
    async fn resume(&mut self, cursors: Vec<Cursor>) -> Result<(), SocketError> {
        let given: HashMap<Uuid, u64> = cursors.iter().map(|c| (c.session_id, c.seq)).collect();
        let sessions = match self.peer {
            Peer::EndUser { session_id, .. } => vec![session_id],
            Peer::Agent { .. } => Vec::new(),
            Peer::Technician { technician_id, .. } => {
                let mut ids = self
                    .state
                    .store
                    .open_session_ids(technician_id)
                    .await
                    .map_err(AppError::from)?;
                for cursor in &cursors {
                    if !ids.contains(&cursor.session_id)
                        && owns(&self.state, &self.peer, cursor.session_id).await?
                    {
                        ids.push(cursor.session_id);
                    }
                }
                ids
            }
        };
        for session_id in sessions {
            let since = given.get(&session_id).copied().unwrap_or(0);
            self.sent.insert(session_id, since);
            self.catch_up(session_id).await?;
        }
        Ok(())
    }

    /// Sends what the database holds after the last `seq` sent for the session.
    async fn catch_up(&mut self, session_id: Uuid) -> Result<(), SocketError> {
        loop {
            let since = self.sent.get(&session_id).unwrap_or(0);
            let events = self
                .state
                .store
                .events_since(session_id, since, REPLAY_PAGE)
                .await
                .map_err(AppError::from)?;
            let page_len = events.len();
            for event in events {
                self.send_event(event).await?;
            }
            if page_len < REPLAY_PAGE as usize {
                return Ok(());
            }
        }
    }

    async fn catch_up_all(&mut self) -> Result<(), SocketError> {
        let sessions: Vec<Uuid> = self.sent.keys().copied().collect();
        for session_id in sessions {
            self.catch_up(session_id).await?;
        }
        Ok(())
    }

    /// Counts an event as sent: the end user's last one closes the connection after it.
    fn sending(&mut self, event: &SessionEvent) {
        if matches!(self.peer, Peer::EndUser { .. })
            && matches!(
                event.data,
                lifeline_protocol::EventData::SessionEnded { .. }
            )
        {
            // The end user's token ends with the session: this is the last event.
            self.closing = Some(CloseReason::SessionEnded);
        }
        self.sent.insert(event.session_id, event.seq);
    }

    async fn send_event(&mut self, event: SessionEvent) -> Result<(), SocketError> {
        self.sending(&event);
        send_frame(&mut self.socket, &ServerFrame::Event { event }).await
    }

    /// A live event, in the frame its other recipients send too.
    async fn send_published(&mut self, event: &PublishedEvent) -> Result<(), SocketError> {
        self.sending(event);
        self.socket.send(Message::Text(event.frame()?)).await?;
        Ok(())
    }

    async fn forward(&mut self, item: Live) -> Result<(), SocketError> {
        let own = self.peer.party();
        match item {
            Live::Event(event) => {
                let last = self.sent.get(&event.session_id).unwrap_or(0);
                if event.seq == last + 1 {
                    self.send_published(&event).await?;
                } else if event.seq > last {
                    // Events published out of order or a missed one: the database has
                    // them all, in order.
                    self.sent.follow(event.session_id);
                    self.catch_up(event.session_id).await?;
                }
                Ok(())
            }
            Live::Typing {
                session_id,
                from,
                typing,
            } if from != own => {
                send_frame(
                    &mut self.socket,
                    &ServerFrame::Typing {
                        session_id,
                        from,
                        typing,
                    },
                )
                .await
            }
            Live::Presence {
                session_id,
                party,
                online,
            } if party != own => {
                send_frame(
                    &mut self.socket,
                    &ServerFrame::Presence {
                        session_id,
                        party,
                        online,
                    },
                )
                .await
            }
            Live::Adhoc(summary) => {
                let frame = ServerFrame::Adhoc {
                    session: (*summary).clone(),
                };
                send_frame(&mut self.socket, &frame).await
            }
            Live::ToAgent { frame, .. } => send_frame(&mut self.socket, &frame).await,
            Live::SignInEnded(ended) => {
                if let Peer::Technician { family_id, .. } = self.peer {
                    if ended.ends(family_id) {
                        self.closing = Some(match ended {
                            SignInEnded::Disabled => CloseReason::Disabled,
                            _ => CloseReason::SignedOut,
                        });
                    }
                }
                Ok(())
            }
            Live::Resync => {
                if let Peer::Agent {
                    adhoc_session_id, ..
                } = self.peer
                {
                    // What it may have missed is its session's state.
                    if let Some(record) = self
                        .state
                        .store
                        .adhoc(adhoc_session_id, self.state.now())
                        .await
                        .map_err(AppError::from)?
                    {
                        let session = crate::adhoc::summary(&record);
                        send_frame(&mut self.socket, &ServerFrame::Adhoc { session }).await?;
                    }
                }
                self.catch_up_all().await
            }
            Live::PresenceLapsed(lapsed) => Box::pin(self.report_lapsed(&lapsed)).await,
            Live::Typing { .. } | Live::Presence { .. } => Ok(()),
        }
    }
}
