//! Chat: send, typing, read marks.

use lifeline_client::desk::Desk;
use lifeline_client::protocol::SessionEvent;
use uuid::Uuid;

use crate::error::IpcResult;

pub async fn send_message(desk: &Desk, session_id: Uuid, text: String) -> IpcResult<SessionEvent> {
    Ok(desk.send_message(session_id, &text).await?)
}

pub async fn set_typing(desk: &Desk, session_id: Uuid, typing: bool) -> IpcResult<()> {
    desk.typing(session_id, typing);
    Ok(())
}

pub async fn mark_read(desk: &Desk, session_id: Uuid, up_to_seq: u64) -> IpcResult<()> {
    desk.mark_read(session_id, up_to_seq);
    Ok(())
}
