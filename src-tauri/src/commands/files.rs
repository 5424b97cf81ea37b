//! Files both ways; progress arrives as `desk` events of type `transfer`.

use std::path::PathBuf;

use lifeline_client::desk::Desk;
use lifeline_client::protocol::FileInfo;
use uuid::Uuid;

use crate::error::IpcResult;

pub async fn send_file(desk: &Desk, session_id: Uuid, path: PathBuf) -> IpcResult<Uuid> {
    Ok(desk.send_file(session_id, &path).await?)
}

pub async fn save_file(
    desk: &Desk,
    session_id: Uuid,
    file: FileInfo,
    dest: PathBuf,
) -> IpcResult<Uuid> {
    Ok(desk.save_file(session_id, file, &dest).await?)
}

pub async fn cancel_transfer(desk: &Desk, transfer_id: Uuid) -> IpcResult<()> {
    Ok(desk.cancel_transfer(transfer_id).await?)
}
