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
    let code_name = serde_json::to_value(error.code)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default();
    if let Ok(text) = serde_json::to_string(&ServerFrame::Error { error }) {
        let _ = socket.send(Message::Text(text.into())).await;
    }
    let close = CloseFrame {
        code: reason.code(),
        reason: code_name.into(),
    };
    let _ = socket.send(Message::Close(Some(close))).await;
}
