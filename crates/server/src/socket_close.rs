//! How the service's WebSockets close when a client sends more than a frame may hold:
//! the typed error as the last frame, then a Close with 1009 (RFC 6455's "message too
//! big") whose reason is the error's code, before hello and after it alike.

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use lifeline_protocol::ErrorCode;

use crate::error::AppError;

/// RFC 6455 §7.4.1: the message is too big to process.
pub const MESSAGE_TOO_BIG: u16 = 1009;

/// Whether a receive failed because the client's message or frame passed the limit.
pub fn is_oversized(err: &axum::Error) -> bool {
    std::error::Error::source(err)
        .and_then(|source| source.downcast_ref::<tungstenite::Error>())
        .is_some_and(|err| matches!(err, tungstenite::Error::Capacity(_)))
}

/// The error told to a client whose message passed `max_bytes`.
pub fn too_large(max_bytes: usize) -> AppError {
    AppError::PayloadTooLarge(format!(
        "a WebSocket message may have at most {max_bytes} bytes"
    ))
}

/// How long a socket closed for an oversized message stays open, unread, before it is
/// dropped. The rest of that message is still unread, and closing a TCP connection with
/// unread input resets it, which can destroy the error and the Close on their way; the
/// client has this long to read them. Reading on instead would mean buffering the very
/// message that was too large.
const LINGER: std::time::Duration = std::time::Duration::from_secs(1);

/// Sends `error_frame` (the socket's own error frame, already encoded), closes with
/// 1009, and lingers a second so the client can read them (see `LINGER`).
pub async fn close_too_large(socket: &mut WebSocket, error_frame: String) {
    let reason = serde_json::to_value(ErrorCode::PayloadTooLarge)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default();
    let _ = socket.send(Message::Text(error_frame.into())).await;
    let close = CloseFrame {
        code: MESSAGE_TOO_BIG,
        reason: reason.into(),
    };
    let _ = socket.send(Message::Close(Some(close))).await;
    tokio::time::sleep(LINGER).await;
}
