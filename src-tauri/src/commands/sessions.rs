//! Support sessions: start one from a new support key, its settings, history, consent
//! requests, end and transcript.

use std::path::PathBuf;

use lifeline_client::desk::Desk;
use lifeline_client::protocol::{ConsentKind, SessionEvent, SessionSummary};
use tauri::State;
use uuid::Uuid;

use crate::error::IpcResult;

#[tauri::command]
pub async fn list_sessions(desk: State<'_, Desk>) -> IpcResult<Vec<SessionSummary>> {
    Ok(desk.sessions().await?)
}

#[tauri::command]
pub async fn start_session(
    desk: State<'_, Desk>,
    request_control_on_arrival: bool,
) -> IpcResult<SessionSummary> {
    Ok(desk.start_session(request_control_on_arrival).await?)
}

#[tauri::command]
pub async fn set_request_control_on_arrival(
    desk: State<'_, Desk>,
    session_id: Uuid,
    value: bool,
) -> IpcResult<SessionSummary> {
    Ok(desk
        .set_request_control_on_arrival(session_id, value)
        .await?)
}

#[tauri::command]
pub async fn session_events(
    desk: State<'_, Desk>,
    session_id: Uuid,
    since: u64,
) -> IpcResult<Vec<SessionEvent>> {
    Ok(desk.events(session_id, since).await?)
}

#[tauri::command]
pub async fn request_consent(
    desk: State<'_, Desk>,
    session_id: Uuid,
    kind: ConsentKind,
) -> IpcResult<SessionEvent> {
    Ok(desk.request_consent(session_id, kind).await?)
}

#[tauri::command]
pub async fn end_session(desk: State<'_, Desk>, session_id: Uuid) -> IpcResult<SessionEvent> {
    Ok(desk.end_session(session_id).await?)
}

#[tauri::command]
pub async fn transcript_text(desk: State<'_, Desk>, session_id: Uuid) -> IpcResult<String> {
    Ok(desk.transcript_text(session_id).await?)
}

#[tauri::command]
pub async fn export_transcript(
    desk: State<'_, Desk>,
    session_id: Uuid,
    path: PathBuf,
) -> IpcResult<()> {
    Ok(desk.export_transcript(session_id, &path).await?)
}
