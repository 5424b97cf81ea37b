//! Chat: send, typing, read marks.

use lifeline_client::desk::Desk;
use lifeline_client::protocol::SessionEvent;
use tauri::State;
use uuid::Uuid;

use crate::error::IpcResult;

#[tauri::command]
pub async fn send_message(
    desk: State<'_, Desk>,
    session_id: Uuid,
    text: String,
) -> IpcResult<SessionEvent> {
    Ok(desk.send_message(session_id, &text).await?)
}

#[tauri::command]
pub fn set_typing(desk: State<'_, Desk>, session_id: Uuid, typing: bool) {
    desk.typing(session_id, typing);
}

#[tauri::command]
pub fn mark_read(desk: State<'_, Desk>, session_id: Uuid, up_to_seq: u64) {
    desk.mark_read(session_id, up_to_seq);
}
