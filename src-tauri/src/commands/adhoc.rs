//! Ad-hoc support: the wizard (prepare), the Computers page, connecting and ending.

use lifeline_client::desk::Desk;
use lifeline_client::protocol::{
    AdhocConnectionRecord, AdhocPolicy, AdhocPrepared, AdhocSessionSummary, ComputerGroup,
    SessionSummary,
};
use uuid::Uuid;

use crate::error::IpcResult;

pub async fn prepare_adhoc(
    desk: &Desk,
    email: String,
    password: String,
    confirmation: String,
) -> IpcResult<AdhocPrepared> {
    Ok(desk.prepare_adhoc(&email, &password, &confirmation).await?)
}

pub async fn list_adhoc_sessions(desk: &Desk) -> IpcResult<Vec<AdhocSessionSummary>> {
    Ok(desk.adhoc_sessions().await?)
}

pub async fn list_computers(desk: &Desk) -> IpcResult<Vec<ComputerGroup>> {
    Ok(desk.computers().await?)
}

pub async fn connect_computer(
    desk: &Desk,
    adhoc_session_id: Uuid,
    password: String,
) -> IpcResult<SessionSummary> {
    Ok(desk.connect_computer(adhoc_session_id, &password).await?)
}

pub async fn adhoc_connections(
    desk: &Desk,
    adhoc_session_id: Uuid,
) -> IpcResult<Vec<AdhocConnectionRecord>> {
    Ok(desk.adhoc_connections(adhoc_session_id).await?)
}

pub async fn end_adhoc(desk: &Desk, adhoc_session_id: Uuid) -> IpcResult<AdhocSessionSummary> {
    Ok(desk.end_adhoc(adhoc_session_id).await?)
}

pub async fn adhoc_policy(desk: &Desk) -> IpcResult<AdhocPolicy> {
    Ok(desk.adhoc_policy().await?)
}

pub async fn set_adhoc_policy(desk: &Desk, policy: AdhocPolicy) -> IpcResult<AdhocPolicy> {
    Ok(desk.set_adhoc_policy(policy).await?)
}
