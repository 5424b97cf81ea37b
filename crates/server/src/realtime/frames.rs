//! What a realtime client sends after hello: typing, delivered and read marks, and a
//! technician's token renewal; and how long a technician's connection may last.

use std::time::Duration;

use lifeline_protocol::{ClientFrame, ServerFrame};
use uuid::Uuid;

use super::closing::CloseReason;
use super::hub::Live;
use super::marks::{DueMark, MarkKind};
use super::sends::{refusal, SendRequest, Sender, Sends};
use super::socket::{send_frame, Connection, Peer, SocketError};
use crate::error::AppError;
use crate::state::AppState;

impl Connection {
    /// How long the connection's access token has left; `None` for parties whose
    /// tokens end with their session instead.
    pub(super) fn token_left(&self) -> Option<Duration> {
        match self.peer {
            Peer::Technician { expires_at, .. } => {
                let left = expires_at.saturating_sub(self.state.now()).max(0);
                Some(Duration::from_millis(u64::try_from(left).unwrap_or(0)))
            }
            Peer::EndUser { .. } | Peer::Agent { .. } => None,
        }
    }

    /// A fresh access token of the same technician moves the connection's end on.
    pub(super) async fn renew(&mut self, token: &str) -> Result<(), SocketError> {
        let Peer::Technician {
            technician_id,
            family_id,
            expires_at,
        } = &mut self.peer
        else {
            let error = AppError::invalid("only a technician's connection is renewed");
            let frame = ServerFrame::Error {
                error: error.to_api_error(),
            };
            return send_frame(&mut self.socket, &frame).await;
        };
        match crate::auth::extract_technician_sign_in(&self.state, token).await {
            Ok((technician, sign_in)) if technician.id == *technician_id => {
                *family_id = sign_in.family_id;
                *expires_at = sign_in.expires_at;
                Ok(())
            }
            Ok(_) | Err(_) => {
                let error = AppError::UnauthorizedBecause(
                    "that token does not renew this connection; it stays until its own expires",
                );
                let frame = ServerFrame::Error {
                    error: error.to_api_error(),
                };
                send_frame(&mut self.socket, &frame).await
            }
        }
    }

    /// A chat message sent on the socket: handed to its sending task (see `sends`).
    async fn send_message(&mut self, request: SendRequest) -> Result<(), SocketError> {
        if self.token_left().is_some_and(|left| left.is_zero()) {
            // Nothing more is taken on an expired token, timer or not.
            self.closing = Some(CloseReason::TokenExpired);
            return Ok(());
        }
        let sender = match self.peer {
            Peer::Technician { technician_id, .. } => Sender::Technician { technician_id },
            Peer::EndUser { session_id, .. } => Sender::EndUser { session_id },
            // The agent's app chats in its ad-hoc session, not in support sessions.
            Peer::Agent { .. } => {
                let frame = refusal(&request, &AppError::NotFound("session"));
                return send_frame(&mut self.socket, &frame).await;
            }
        };
        let state = &self.state;
        let sends = self
            .sends
            .get_or_insert_with(|| Box::new(Sends::start(state.clone(), sender)));
        match sends.offer(request) {
            None => Ok(()),
            Some(refused) => send_frame(&mut self.socket, &refused).await,
        }
    }

    pub(super) async fn handle_client_frame(&mut self, text: &str) -> Result<(), SocketError> {
        let frame = match serde_json::from_str::<ClientFrame>(text) {
            Ok(frame) => frame,
            Err(err) => {
                let error = AppError::invalid(format!("invalid frame: {err}")).to_api_error();
                return send_frame(&mut self.socket, &ServerFrame::Error { error }).await;
            }
        };
        let party = self.peer.party();
        let technician_id = self.peer.technician_id();
        let (session_id, kind, up_to_seq) = match frame {
            ClientFrame::Hello { .. } => {
                let error = AppError::invalid("hello was already sent").to_api_error();
                return send_frame(&mut self.socket, &ServerFrame::Error { error }).await;
            }
            ClientFrame::Renew { token } => return Box::pin(self.renew(token.expose())).await,
            ClientFrame::Send {
                session_id,
                client_id,
                text,
            } => {
                let request = SendRequest {
                    session_id,
                    client_id,
                    text,
                };
                return Box::pin(self.send_message(request)).await;
            }
            ClientFrame::Typing { session_id, typing } => {
                if owns(&self.state, &self.peer, session_id).await? {
                    self.state.hub.publish(
                        technician_id,
                        Live::Typing {
                            session_id,
                            from: party,
                            typing,
                        },
                    );
                }
                return Ok(());
            }
            ClientFrame::Delivered {
                session_id,
                up_to_seq,
            } => (session_id, MarkKind::Delivered, up_to_seq),
            ClientFrame::Read {
                session_id,
                up_to_seq,
            } => (session_id, MarkKind::Read, up_to_seq),
        };
        // A session this connection was sent is one it may see; others are looked up.
        if !self.sent.contains_key(&session_id)
            && !owns(&self.state, &self.peer, session_id).await?
        {
            let error = AppError::NotFound("session").to_api_error();
            return send_frame(&mut self.socket, &ServerFrame::Error { error }).await;
        }
        let mark = DueMark {
            session_id,
            kind,
            up_to_seq,
        };
        match self.marks.offer(mark, tokio::time::Instant::now()) {
            Some(mark) => self.store_mark(mark).await,
            None => Ok(()),
        }
    }

    /// Stores a mark if it covers something new from the other side, and publishes it.
    pub(super) async fn store_mark(&mut self, mark: DueMark) -> Result<(), SocketError> {
        let now = self.state.now();
        let advanced = self
            .state
            .store
            .advance_mark(
                mark.session_id,
                self.peer.party(),
                mark.kind.is_read(),
                mark.up_to_seq,
                now,
            )
            .await
            .map_err(AppError::from)?;
        if let Some(event) = advanced {
            crate::sessions::publish_event(&self.state, self.peer.technician_id(), event);
        }
        Ok(())
    }
}

/// Whether the peer may see the session. A free function over `Sync` parts, because a
/// `&Connection` (holding the socket) cannot be held across an await in a spawned task.
pub(super) async fn owns(
    state: &AppState,
    peer: &Peer,
    session_id: Uuid,
) -> Result<bool, SocketError> {
    Ok(match *peer {
        Peer::EndUser {
            session_id: own, ..
        } => own == session_id,
        Peer::Agent { .. } => false,
        Peer::Technician { technician_id, .. } => state
            .store
            .session(session_id)
            .await
            .map_err(AppError::from)?
            .is_some_and(|s| s.technician_id == technician_id),
    })
}
