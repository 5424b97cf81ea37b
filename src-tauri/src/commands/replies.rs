//! Canned replies: list, add, change, delete.

use lifeline_client::desk::Desk;
use lifeline_client::protocol::{CannedReply, SaveCannedReply};
use uuid::Uuid;

use crate::error::IpcResult;

pub async fn canned_replies(desk: &Desk) -> IpcResult<Vec<CannedReply>> {
    Ok(desk.canned_replies().await?)
}

pub async fn add_canned_reply(desk: &Desk, reply: SaveCannedReply) -> IpcResult<CannedReply> {
    Ok(desk.add_canned_reply(&reply).await?)
}

pub async fn update_canned_reply(
    desk: &Desk,
    id: Uuid,
    reply: SaveCannedReply,
) -> IpcResult<CannedReply> {
    Ok(desk.update_canned_reply(id, &reply).await?)
}

pub async fn delete_canned_reply(desk: &Desk, id: Uuid) -> IpcResult<()> {
    Ok(desk.delete_canned_reply(id).await?)
}
