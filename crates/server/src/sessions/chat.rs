//! A chat message, whichever way it arrives: the messages route, or a `send` frame on
//! the sender's realtime socket. Both check and store it the same way.

use lifeline_protocol::{EventData, Party, SessionEvent, MAX_MESSAGE_CHARS};
use uuid::Uuid;

use super::{ensure_open, queue_event, QueuedEvent};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::SessionRecord;

/// Refuses an empty or over-long message before anything is looked up.
pub fn check_text(text: &str) -> AppResult<()> {
    if text.trim().is_empty() {
        return Err(AppError::invalid("the message is empty"));
    }
    let chars = text.chars().count();
    if chars > MAX_MESSAGE_CHARS {
        return Err(AppError::invalid(format!(
            "the message has {chars} characters; at most {MAX_MESSAGE_CHARS} are allowed"
        )));
    }
    Ok(())
}

/// Stores `from`'s message in an open session and publishes it. A resend with the same
/// `client_id` returns the stored one.
pub async fn send_message(
    state: &AppState,
    session: &SessionRecord,
    from: Party,
    client_id: Uuid,
    text: &str,
) -> AppResult<SessionEvent> {
    queue_message(state, session, from, client_id, text)
        .await?
        .recorded(state)
        .await
}

/// Checks `from`'s message and queues it for the next group commit (see
/// `send_message`); one sender's messages to a session are stored in the order queued.
pub async fn queue_message(
    state: &AppState,
    session: &SessionRecord,
    from: Party,
    client_id: Uuid,
    text: &str,
) -> AppResult<QueuedEvent> {
    ensure_open(session, state.now())?;
    check_text(text)?;
    let data = EventData::Message {
        from,
        client_id,
        // One kind of line ending, so no client can forge a line of a transcript.
        text: lifeline_protocol::text::normalize_line_endings(text),
    };
    queue_event(state, session, Some(from), Some(client_id), data).await
}
