//! Inviting the end user: Copy to clipboard, Send SMS, Send email by server, the link as
//! a QR code. (The
//! `mailto:` email opens through the opener plugin from the UI.)

use lifeline_client::desk::Desk;
use lifeline_client::protocol::InviteSent;
use uuid::Uuid;

use crate::error::IpcResult;

pub async fn copy_to_clipboard(desk: &Desk, text: String) -> IpcResult<()> {
    Ok(desk.copy_to_clipboard(&text)?)
}

pub async fn send_sms(desk: &Desk, session_id: Uuid, to: String) -> IpcResult<InviteSent> {
    Ok(desk.send_sms(session_id, &to).await?)
}

pub async fn send_email(desk: &Desk, session_id: Uuid, to: String) -> IpcResult<InviteSent> {
    Ok(desk.send_email(session_id, &to).await?)
}

pub async fn invite_qr(desk: &Desk, link: String) -> IpcResult<String> {
    Ok(desk.invite_qr(&link)?)
}
