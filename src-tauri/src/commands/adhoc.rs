//! Ad-hoc support: the wizard (prepare), the Computers page, connecting and ending.

use lifeline_client::desk::Desk;
use lifeline_client::protocol::{
    AdhocConnectionRecord, AdhocPrepared, AdhocSessionSummary, ComputerGroup, SessionSummary,
};
use tauri::State;
use uuid::Uuid;

use crate::error::IpcResult;

#[tauri::command]
pub async fn prepare_adhoc(
    desk: State<'_, Desk>,
    email: String,
    password: String,
    confirmation: String,
) -> IpcResult<AdhocPrepared> {
    Ok(desk.prepare_adhoc(&email, &password, &confirmation).await?)
}

#[tauri::command]
pub async fn list_adhoc_sessions(desk: State<'_, Desk>) -> IpcResult<Vec<AdhocSessionSummary>> {
    Ok(desk.adhoc_sessions().await?)
}

#[tauri::command]
pub async fn list_computers(desk: State<'_, Desk>) -> IpcResult<Vec<ComputerGroup>> {
    Ok(desk.computers().await?)
}

#[tauri::command]
pub async fn connect_computer(
    desk: State<'_, Desk>,
    adhoc_session_id: Uuid,
    password: String,
) -> IpcResult<SessionSummary> {
    Ok(desk.connect_computer(adhoc_session_id, &password).await?)
}

#[tauri::command]
pub async fn adhoc_connections(
    desk: State<'_, Desk>,
    adhoc_session_id: Uuid,
) -> IpcResult<Vec<AdhocConnectionRecord>> {
    Ok(desk.adhoc_connections(adhoc_session_id).await?)
}

#[tauri::command]
pub async fn end_adhoc(
    desk: State<'_, Desk>,
    adhoc_session_id: Uuid,
) -> IpcResult<AdhocSessionSummary> {
    Ok(desk.end_adhoc(adhoc_session_id).await?)
}
