//! Why the service closes a realtime connection on its own, and how: the typed error as
//! the last frame, then a Close whose code says whether to come back (4401: sign in or
//! renew first; 4403: the account may not; 4410: the session is over) and whose reason
//! is the error's code.

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use lifeline_protocol::ServerFrame;

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The access token the connection was opened with expired and was not renewed.
    TokenExpired,
    /// The sign-in was signed out or revoked.
    SignedOut,
    /// The technician's account was disabled.
    Disabled,
    /// The end user's session ended; their token works no more.
    SessionEnded,
}

impl CloseReason {
    fn error(self) -> AppError {
        match self {
            CloseReason::TokenExpired => AppError::UnauthorizedBecause(
                "the access token expired; renew it on the connection or connect again",
            ),
            CloseReason::SignedOut => {
                AppError::UnauthorizedBecause("this sign-in has ended; sign in again")
            }
            CloseReason::Disabled => {
                AppError::Forbidden("this technician account is disabled".into())
            }
            CloseReason::SessionEnded => AppError::SessionEnded,
        }
    }

    fn code(self) -> u16 {
        match self {
            CloseReason::TokenExpired | CloseReason::SignedOut => 4401,
            CloseReason::Disabled => 4403,
            CloseReason::SessionEnded => 4410,
        }
    }
}

/// Sends the reason's error frame and the Close; failures mean the client is gone.
pub async fn close(socket: &mut WebSocket, reason: CloseReason) {
    let error = reason.error().to_api_error();
    let frame = serde_json::to_string(&ServerFrame::Error {
        error: error.clone(),
    });
    close_after(socket, reason, error, frame).await;
}

/// [`close`] for a media socket, whose frames are media frames.
pub async fn close_media(socket: &mut WebSocket, reason: CloseReason) {
    let error = reason.error().to_api_error();
    let frame = serde_json::to_string(&lifeline_protocol::MediaServerFrame::Error {
        error: error.clone(),
    });
    close_after(socket, reason, error, frame).await;
}

async fn close_after(
    socket: &mut WebSocket,
    reason: CloseReason,
    error: lifeline_protocol::ApiError,
    frame: serde_json::Result<String>,
) {
    let code_name = serde_json::to_value(error.code)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default();
    if let Ok(text) = frame {
        let _ = socket.send(Message::Text(text.into())).await;
    }
    let close = CloseFrame {
        code: reason.code(),
        reason: code_name.into(),
    };
    let _ = socket.send(Message::Close(Some(close))).await;
    // The closing handshake: read what the client still sends (a pong to the last ping,
    // a frame on its way) until its Close, for a second at most. Dropping the socket with
    // that unread would make the OS reset the connection, and a reset can destroy the
    // error and the Close before the client reads them.
    let _ = tokio::time::timeout(CLOSING_HANDSHAKE, async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// How long a closing socket waits for the client's Close.
const CLOSING_HANDSHAKE: std::time::Duration = std::time::Duration::from_secs(1);

/// Why a technician's connection must close now, if its sign-in no longer holds (the
/// hub tells connections of sign-outs and disables made through this service; this
/// catches the rest, checked at every ping).
pub async fn sign_in_lapsed(
    state: &crate::state::AppState,
    technician_id: uuid::Uuid,
    family_id: uuid::Uuid,
) -> Option<CloseReason> {
    use crate::store::SignInStanding;
    match state
        .store
        .sign_in_standing(technician_id, family_id, state.now())
        .await
    {
        Ok(SignInStanding::Live) => None,
        Ok(SignInStanding::Ended) => Some(CloseReason::SignedOut),
        Ok(SignInStanding::Disabled) => Some(CloseReason::Disabled),
        Err(err) => {
            // The database is away for a moment: the next ping checks again.
            tracing::warn!(error = %err, "checking a connection's sign-in");
            None
        }
    }
}
