//! Ad-hoc support: 24-hour unattended access to one end user's computer. Licence slots,
//! one live session per technician, the invite email, the one-time security code, the
//! agent's enrollment, computer groups, and expiry by the (injectable) clock.

mod connect;
mod download;
mod enroll;
mod routes;

use lifeline_protocol::{
    AdhocKeyParams, AdhocSessionSummary, ComputerSummary, Party, PendingEnrollment,
};

use crate::state::AppState;
use crate::store::AdhocState;
use crate::store::{AdhocRecord, ComputerRecord};

pub use crate::agent_builds::TRAILER_MAGIC;
pub use connect::{router as connect_router, PendingConnections, Verdict};
pub use download::page_router;
pub use enroll::{router as enroll_router, GrantHash};
pub use routes::router;

/// The ad-hoc session, if this technician may manage it (end it, read its connection
/// audit): the one who prepared it, or an admin of the company. Colleagues see the
/// computer in the company's list but are refused, and other companies see nothing.
pub async fn managed_by(
    state: &AppState,
    technician: &crate::store::TechnicianRecord,
    id: uuid::Uuid,
) -> crate::error::AppResult<AdhocRecord> {
    use crate::error::AppError;
    match state.store.adhoc(id, state.now()).await? {
        Some(record) if record.company_id != technician.company_id => {
            Err(AppError::NotFound("ad hoc session"))
        }
        Some(record) if record.technician_id == technician.id || technician.is_admin => Ok(record),
        Some(_) => Err(AppError::Forbidden(
            "only the technician who prepared this ad hoc session, or an admin, may do this".into(),
        )),
        None => Err(AppError::NotFound("ad hoc session")),
    }
}

/// An activated session lasts this long.
pub const ADHOC_LIFETIME_MS: i64 = 24 * 60 * 60 * 1000;

pub fn summary(record: &AdhocRecord) -> AdhocSessionSummary {
    AdhocSessionSummary {
        id: record.id,
        end_user_email: record.end_user_email.clone(),
        technician_name: record.technician_name.clone(),
        status: record.status.into(),
        created_at: record.created_at,
        code_expires_at: record.code_expires_at,
        activated_at: record.activated_at,
        expires_at: record.expires_at,
        computer_id: record.computer_id,
        code_attempts_left: u32::try_from(
            i64::from(lifeline_protocol::MAX_CODE_ATTEMPTS) - record.code_attempts,
        )
        .unwrap_or(0),
        enrollment: pending_enrollment(record),
    }
}

/// The run waiting for the technician's app, if the session has one.
fn pending_enrollment(record: &AdhocRecord) -> Option<PendingEnrollment> {
    if record.status != AdhocState::Prepared || record.enrollment_answer.is_some() {
        return None;
    }
    Some(PendingEnrollment {
        id: record.enrollment_id?,
        message: record.enrollment_message.clone()?,
        computer: serde_json::from_str(record.enrollment_computer.as_deref()?).ok()?,
        started_at: record.enrollment_started_at?,
    })
}

pub fn computer_summary(state: &AppState, record: &ComputerRecord) -> ComputerSummary {
    let live = record.adhoc_status == Some(AdhocState::Active);
    ComputerSummary {
        id: record.id,
        hostname: record.hostname.clone(),
        os: record.os.clone(),
        os_version: record.os_version.clone(),
        user: record.username.clone(),
        agent_version: record.agent_version.clone(),
        ip: record.ip.clone(),
        online: live
            && record
                .adhoc_session_id
                .is_some_and(|id| state.hub.agent_online(id)),
        live,
        expires_at: record.expires_at,
        adhoc_session_id: record.adhoc_session_id,
    }
}

/// The salt and cost of the session's verifier: all the service keeps once the agent
/// has the verifier, and all it gives the technician's client.
pub fn key_params_of(record: &AdhocRecord) -> crate::error::AppResult<AdhocKeyParams> {
    serde_json::from_str(&record.verifier).map_err(|e| {
        crate::error::AppError::Internal(anyhow::anyhow!("stored key params of {}: {e}", record.id))
    })
}

/// Ends the chat sessions of the ad-hoc session's open connections, so both sides see
/// them end with it.
async fn end_connections(state: &AppState, record: &AdhocRecord) -> crate::error::AppResult<()> {
    for session_id in state.store.open_connection_sessions(record.id).await? {
        crate::media::stop_before_end(state, session_id, Party::EndUser).await?;
        if let Some(event) = state
            .store
            .end_session(session_id, Party::EndUser, state.now())
            .await?
        {
            crate::sessions::publish_event(state, record.technician_id, event);
        }
    }
    Ok(())
}

/// Stores the expiry of the sessions whose time is up and does what follows from it
/// (see `app::sweep_expired_adhoc`).
pub async fn expire_due(state: &AppState) -> crate::error::AppResult<()> {
    let expired = state.store.expire_due_adhoc(state.now()).await?;
    for id in expired {
        tracing::info!(adhoc = %id, "ad-hoc session expired");
        announce(state, id).await?;
    }
    Ok(())
}

/// Ends a live session, whoever asks, and tells the technician and the agent.
pub async fn end(state: &AppState, id: uuid::Uuid) -> crate::error::AppResult<AdhocSessionSummary> {
    if !state.store.end_adhoc(id, state.now()).await? {
        return Err(crate::error::AppError::SessionEnded);
    }
    let record = state
        .store
        .adhoc(id, state.now())
        .await?
        .ok_or(crate::error::AppError::NotFound("ad hoc session"))?;
    end_connections(state, &record).await?;
    let ended = summary(&record);
    state.hub.publish_adhoc(record.technician_id, ended.clone());
    Ok(ended)
}

/// Tells the owning technician's connection the session's new state.
pub async fn announce(state: &AppState, id: uuid::Uuid) -> crate::error::AppResult<()> {
    if let Some(record) = state.store.adhoc(id, state.now()).await? {
        if !record.status.is_live() {
            end_connections(state, &record).await?;
        }
        state
            .hub
            .publish_adhoc(record.technician_id, summary(&record));
    }
    Ok(())
}
