//! Support sessions: start one from a new support key, its settings, history, consent
//! requests, end and transcript.

use std::path::PathBuf;

use lifeline_client::desk::Desk;
use lifeline_client::protocol::{ConsentKind, SessionEvent, SessionSummary};
use uuid::Uuid;

use crate::error::IpcResult;

pub async fn list_sessions(desk: &Desk) -> IpcResult<Vec<SessionSummary>> {
    Ok(desk.sessions().await?)
}

pub async fn start_session(
    desk: &Desk,
    request_control_on_arrival: bool,
) -> IpcResult<SessionSummary> {
    Ok(desk.start_session(request_control_on_arrival).await?)
}

pub async fn set_request_control_on_arrival(
    desk: &Desk,
    session_id: Uuid,
    value: bool,
) -> IpcResult<SessionSummary> {
    Ok(desk
        .set_request_control_on_arrival(session_id, value)
        .await?)
}

pub async fn session_events(
    desk: &Desk,
    session_id: Uuid,
    since: u64,
) -> IpcResult<Vec<SessionEvent>> {
    Ok(desk.events(session_id, since).await?)
}

pub async fn request_consent(
    desk: &Desk,
    session_id: Uuid,
    kind: ConsentKind,
) -> IpcResult<SessionEvent> {
    Ok(desk.request_consent(session_id, kind).await?)
}

pub async fn cancel_attended_app(desk: &Desk, session_id: Uuid) -> IpcResult<SessionEvent> {
    Ok(desk.cancel_attended_app(session_id).await?)
}

pub async fn end_session(desk: &Desk, session_id: Uuid) -> IpcResult<SessionEvent> {
    Ok(desk.end_session(session_id).await?)
}

pub async fn transcript_text(desk: &Desk, session_id: Uuid) -> IpcResult<String> {
    Ok(desk.transcript_text(session_id).await?)
}

pub async fn export_transcript(desk: &Desk, session_id: Uuid, path: PathBuf) -> IpcResult<()> {
    Ok(desk.export_transcript(session_id, &path).await?)
}
