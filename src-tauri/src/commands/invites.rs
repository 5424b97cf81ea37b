//! Inviting the end user: Copy to clipboard, Send SMS, Send email by server. (The
//! `mailto:` email opens through the opener plugin from the UI.)

use lifeline_client::desk::Desk;
use lifeline_client::protocol::InviteSent;
use tauri::State;
use uuid::Uuid;

use crate::error::IpcResult;

#[tauri::command]
pub fn copy_to_clipboard(desk: State<'_, Desk>, text: String) -> IpcResult<()> {
    Ok(desk.copy_to_clipboard(&text)?)
}

#[tauri::command]
pub async fn send_sms(
    desk: State<'_, Desk>,
    session_id: Uuid,
    to: String,
) -> IpcResult<InviteSent> {
    Ok(desk.send_sms(session_id, &to).await?)
}

#[tauri::command]
pub async fn send_email(
    desk: State<'_, Desk>,
    session_id: Uuid,
    to: String,
) -> IpcResult<InviteSent> {
    Ok(desk.send_email(session_id, &to).await?)
}
