//! Files both ways; progress arrives as `desk` events of type `transfer`.

use std::path::PathBuf;

use lifeline_client::desk::Desk;
use lifeline_client::protocol::FileInfo;
use tauri::State;
use uuid::Uuid;

use crate::error::IpcResult;

/// Starts sending the file at `path`; returns the transfer id.
#[tauri::command]
pub async fn send_file(desk: State<'_, Desk>, session_id: Uuid, path: PathBuf) -> IpcResult<Uuid> {
    Ok(desk.send_file(session_id, &path).await?)
}

/// Starts saving a shared file to `dest` (chosen in a save dialog); returns the transfer id.
#[tauri::command]
pub async fn save_file(
    desk: State<'_, Desk>,
    session_id: Uuid,
    file: FileInfo,
    dest: PathBuf,
) -> IpcResult<Uuid> {
    Ok(desk.save_file(session_id, file, &dest).await?)
}

#[tauri::command]
pub async fn cancel_transfer(desk: State<'_, Desk>, transfer_id: Uuid) -> IpcResult<()> {
    Ok(desk.cancel_transfer(transfer_id).await?)
}
