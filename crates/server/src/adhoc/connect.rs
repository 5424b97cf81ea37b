//! A technician connects to an ad-hoc computer. The service only relays: the agent
//! publishes a single-use challenge, the technician's client signs it with the key
//! derived from the password, and the agent alone decides. An accepted connection is a
//! chat session whose end-user party is the agent, so chat and files reuse the session
//! machinery. Every attempt is audited.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use lifeline_protocol::{
    AdhocConnectionRecord, AgentChallenge, AgentConnection, ConnectChallenge, ConnectRequest,
    ConnectVerdict, EventData, Party, ServerFrame, SessionEvent, SessionSummary, SystemInfo,
    VerdictRecorded,
};
use tokio::sync::oneshot;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::key_params_of;
use crate::auth::tokens::{self, END_USER_PREFIX};
use crate::auth::{AuthAgent, AuthEndUser, AuthTechnician};
use crate::cluster::{ClusterLink, Shared};
use crate::error::{AppError, AppResult, Json, Path};
use crate::rate_limit::{self, Limit};
use crate::sessions::generate_support_key;
use crate::state::AppState;
use crate::store::{
    AdhocRecord, AdhocState, ConnectionState, NewConnectionSession, TechnicianRecord,
};

/// What the agent decided about one attempt.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum Verdict {
    Accepted(Box<SessionSummary>),
    Refused,
}

/// Attempts waiting for their agent, by connection id. In memory: an attempt lives for
/// seconds, and a restart fails it cleanly (the technician's request is gone too). In
/// a cluster the verdict may arrive at another node, which passes it on over the bus
/// to every node; the one where the technician waits takes it.
#[derive(Clone, Default)]
pub struct PendingConnections {
    waiting: Arc<Mutex<HashMap<Uuid, oneshot::Sender<Verdict>>>>,
    cluster: Option<ClusterLink>,
}

impl PendingConnections {
    pub fn clustered(cluster: ClusterLink) -> Self {
        Self {
            waiting: Arc::default(),
            cluster: Some(cluster),
        }
    }

    fn wait(&self, connection_id: Uuid) -> oneshot::Receiver<Verdict> {
        let (sender, receiver) = oneshot::channel();
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(connection_id, sender);
        receiver
    }

    fn take(&self, connection_id: Uuid) -> Option<oneshot::Sender<Verdict>> {
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&connection_id)
    }

    /// Hands the verdict to the technician waiting on this node, if one is.
    pub(crate) fn resolve_here(&self, connection_id: Uuid, verdict: Verdict) -> bool {
        match self.take(connection_id) {
            Some(waiting) => waiting.send(verdict).is_ok(),
            None => false,
        }
    }

    /// Hands the verdict to the waiting technician here, or to the other nodes. False
    /// when the technician's request went away. With nobody waiting here any more, the
    /// wait has just run out, and the technician's request reads the stored verdict.
    fn resolve(&self, connection_id: Uuid, verdict: Verdict) -> bool {
        if let Some(waiting) = self.take(connection_id) {
            return waiting.send(verdict).is_ok();
        }
        if let Some(cluster) = &self.cluster {
            cluster.share(Shared::Verdict {
                connection_id,
                verdict,
            });
        }
        true
    }

    /// Whether the technician may still be waiting: on this node, or (in a cluster)
    /// on another, where the attempt's stored outcome decides.
    fn may_be_waiting(&self, connection_id: Uuid) -> bool {
        self.cluster.is_some()
            || self
                .waiting
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .contains_key(&connection_id)
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(publish_challenge))
        .routes(routes!(challenge))
        .routes(routes!(connect, connections))
        .routes(routes!(verdict))
        .routes(routes!(system_info))
}

/// The technician's own live ad-hoc session; others' ids read as not found.
async fn owned_active(
    state: &AppState,
    technician: &TechnicianRecord,
    id: Uuid,
) -> AppResult<AdhocRecord> {
    let record = match state.store.adhoc(id, state.now()).await? {
        Some(r) if r.technician_id == technician.id => r,
        _ => return Err(AppError::NotFound("ad hoc session")),
    };
    match record.status {
        AdhocState::Active => Ok(record),
        AdhocState::Prepared => Err(AppError::ComputerOffline(
            "the end user has not entered the security code in the support session app yet",
        )),
        AdhocState::Ended | AdhocState::Expired => Err(AppError::SessionEnded),
    }
}

const OFFLINE: &str =
    "the computer is not connected now; ask the end user to start the support session app";

/// The agent publishes its next challenge (at start, and after every attempt).
#[utoipa::path(post, path = "/agent/challenge", tag = "adhoc", request_body = AgentChallenge,
    responses((status = 204), (status = 400, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn publish_challenge(
    State(state): State<AppState>,
    AuthAgent(record): AuthAgent,
    Json(request): Json<AgentChallenge>,
) -> AppResult<StatusCode> {
    lifeline_adhoc_key::check_nonce(&request.nonce)
        .map_err(|e| AppError::invalid(e.to_string()))?;
    state
        .store
        .set_adhoc_challenge(record.id, &request.nonce)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the technician's client needs to prove the password: the verifier's
/// parameters and the agent's current challenge.
#[utoipa::path(get, path = "/adhoc/{id}/challenge", tag = "adhoc",
    params(("id" = Uuid, Path, description = "ad-hoc session id")),
    responses((status = 200, body = ConnectChallenge), (status = 409, body = lifeline_protocol::ApiError),
              (status = 410, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn challenge(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Path(id): Path<Uuid>,
) -> AppResult<Json<ConnectChallenge>> {
    let record = owned_active(&state, &technician, id).await?;
    let nonce = match record.challenge_nonce.clone() {
        Some(nonce) if state.hub.agent_online(id) => nonce,
        _ => return Err(AppError::ComputerOffline(OFFLINE)),
    };
    Ok(Json(ConnectChallenge {
        key_params: key_params_of(&record)?,
        nonce,
    }))
}

/// Connects to the computer: the agent checks the proof and answers within seconds.
/// The answer is the connection's chat session.
#[utoipa::path(post, path = "/adhoc/{id}/connections", tag = "adhoc", request_body = ConnectRequest,
    params(("id" = Uuid, Path, description = "ad-hoc session id")),
    responses((status = 201, body = SessionSummary), (status = 403, body = lifeline_protocol::ApiError),
              (status = 409, body = lifeline_protocol::ApiError), (status = 429, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn connect(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Path(id): Path<Uuid>,
    Json(request): Json<ConnectRequest>,
) -> AppResult<(StatusCode, Json<SessionSummary>)> {
    let record = owned_active(&state, &technician, id).await?;
    let bucket = format!("adhoc-connect:{id}");
    rate_limit::check(
        &state,
        &[Limit::per_minute(
            &bucket,
            state.config.limits.adhoc_connects_per_minute,
        )],
    )
    .await?;
    if !state.hub.agent_online(id) {
        return Err(AppError::ComputerOffline(OFFLINE));
    }
    if !state.store.take_adhoc_challenge(id, &request.nonce).await? {
        return Err(AppError::Conflict(
            "the computer's challenge has changed; try connecting again".into(),
        ));
    }
    let connection_id = Uuid::new_v4();
    state
        .store
        .insert_adhoc_connection(connection_id, id, technician.id, state.now())
        .await?;
    let control_confirmation = state.store.control_confirmation(record.company_id).await?;
    let verdict = state.connects.wait(connection_id);
    let asked = state.hub.send_to_agent(
        id,
        ServerFrame::ConnectRequested {
            connection_id,
            technician_name: record.technician_name.clone(),
            nonce: request.nonce,
            proof: request.proof,
            control_confirmation,
        },
    );
    let timeout = Duration::from_secs(u64::from(state.config.limits.adhoc_connect_timeout_secs));
    let outcome = if asked {
        tokio::time::timeout(timeout, verdict).await.ok()
    } else {
        None
    };
    match outcome {
        Some(Ok(Verdict::Accepted(session))) => {
            tracing::info!(adhoc = %id, connection = %connection_id, "connected to an ad-hoc computer");
            Ok((StatusCode::CREATED, Json(*session)))
        }
        Some(Ok(Verdict::Refused)) => {
            tracing::warn!(adhoc = %id, connection = %connection_id, "the computer refused the password");
            Err(AppError::WrongPassword)
        }
        Some(Err(_)) | None => {
            state.connects.take(connection_id);
            let timed_out = state
                .store
                .close_adhoc_connection(connection_id, ConnectionState::TimedOut, state.now())
                .await?;
            if !timed_out {
                // The agent's verdict was stored just as the wait ran out (in a cluster,
                // on another node, its message still on the way): it stands.
                if let Some(settled) = stored_verdict(&state, connection_id).await? {
                    return settled;
                }
            }
            Err(AppError::ComputerOffline(
                "the computer did not answer; check that the support session app is running",
            ))
        }
    }
}

/// The technician's answer from a verdict already stored for the attempt, if one is.
async fn stored_verdict(
    state: &AppState,
    connection_id: Uuid,
) -> AppResult<Option<AppResult<(StatusCode, Json<SessionSummary>)>>> {
    let Some(attempt) = state.store.adhoc_connection(connection_id).await? else {
        return Ok(None);
    };
    match (attempt.outcome, attempt.session_id) {
        (ConnectionState::Accepted, Some(session_id)) => {
            let Some(session) = state.store.session(session_id).await? else {
                return Ok(None);
            };
            let summary = crate::sessions::summary(state, &session)?;
            tracing::info!(connection = %connection_id, "connected as the wait ran out");
            Ok(Some(Ok((StatusCode::CREATED, Json(summary)))))
        }
        (ConnectionState::Refused, _) => Ok(Some(Err(AppError::WrongPassword))),
        _ => Ok(None),
    }
}

/// The audit of every connection attempt on the session: who, when, how long.
#[utoipa::path(get, path = "/adhoc/{id}/connections", tag = "adhoc",
    params(("id" = Uuid, Path, description = "ad-hoc session id")),
    responses((status = 200, body = Vec<AdhocConnectionRecord>), (status = 403, body = lifeline_protocol::ApiError), (status = 404, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn connections(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Path(id): Path<Uuid>,
) -> AppResult<Json<Vec<AdhocConnectionRecord>>> {
    super::managed_by(&state, &technician, id).await?;
    let records = state.store.adhoc_connections(id).await?;
    Ok(Json(
        records
            .iter()
            .map(|r| AdhocConnectionRecord {
                id: r.id,
                technician_name: r.technician_name.clone(),
                outcome: r.outcome.into(),
                session_id: r.session_id,
                started_at: r.started_at,
                ended_at: r.ended_at,
            })
            .collect(),
    ))
}

/// The agent's verdict on an attempt, with its next challenge. When it accepts, the
/// answer is its ticket into the connection's chat session.
#[utoipa::path(post, path = "/agent/connections/{connection_id}", tag = "adhoc", request_body = ConnectVerdict,
    params(("connection_id" = Uuid, Path, description = "the attempt from the connect_requested frame")),
    responses((status = 200, body = VerdictRecorded), (status = 404, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn verdict(
    State(state): State<AppState>,
    AuthAgent(record): AuthAgent,
    Path(connection_id): Path<Uuid>,
    Json(request): Json<ConnectVerdict>,
) -> AppResult<Json<VerdictRecorded>> {
    lifeline_adhoc_key::check_nonce(&request.next_nonce)
        .map_err(|e| AppError::invalid(e.to_string()))?;
    let attempt = match state.store.adhoc_connection(connection_id).await? {
        Some(a) if a.adhoc_session_id == record.id => a,
        _ => return Err(AppError::NotFound("connection attempt")),
    };
    state
        .store
        .set_adhoc_challenge(record.id, &request.next_nonce)
        .await?;
    let now = state.now();
    if !request.accepted {
        state
            .store
            .close_adhoc_connection(connection_id, ConnectionState::Refused, now)
            .await?;
        state.connects.resolve(connection_id, Verdict::Refused);
        return Ok(Json(VerdictRecorded { connection: None }));
    }
    if !state.connects.may_be_waiting(connection_id) {
        // The technician stopped waiting; nobody would be on the other end.
        return Err(AppError::NotFound("connection attempt"));
    }
    let label = match record.computer_id {
        Some(computer) => state.store.computer_label(computer).await?,
        None => None,
    };
    let end_user_name = label
        .map(|(host, user)| format!("{host} ({user})"))
        .unwrap_or_else(|| "ad hoc computer".into());
    let end_user_token = tokens::generate(END_USER_PREFIX);
    let session_id = Uuid::new_v4();
    let opened = state
        .store
        .accept_adhoc_connection(NewConnectionSession {
            connection_id,
            session_id,
            technician_id: attempt.technician_id,
            adhoc_session_id: record.id,
            support_key: generate_support_key().as_str(),
            end_user_name: &end_user_name,
            end_user_token_hash: &tokens::hash(&end_user_token),
            now,
        })
        .await?;
    let Some((session, joined)) = opened else {
        return Err(AppError::NotFound("connection attempt"));
    };
    let summary = crate::sessions::summary(&state, &session)?;
    crate::sessions::publish_event(&state, session.technician_id, joined);
    if !state
        .connects
        .resolve(connection_id, Verdict::Accepted(Box::new(summary)))
    {
        // The technician's request went away between the check and now: close it again.
        if let Some(event) = state
            .store
            .end_session(session_id, Party::Technician, state.now())
            .await?
        {
            crate::sessions::publish_event(&state, session.technician_id, event);
        }
        return Err(AppError::NotFound("connection attempt"));
    }
    Ok(Json(VerdictRecorded {
        connection: Some(AgentConnection {
            session_id,
            end_user_token,
        }),
    }))
}

fn check_text(field: &str, value: &str) -> AppResult<()> {
    if value.chars().count() > 256 || value.chars().any(char::is_control) {
        return Err(AppError::invalid(format!(
            "system info: {field} must be at most 256 characters of text"
        )));
    }
    Ok(())
}

/// The support-session app describes its computer in the connection's chat session.
#[utoipa::path(post, path = "/sessions/{id}/system-info", tag = "adhoc", request_body = SystemInfo,
    params(("id" = Uuid, Path, description = "the connection's session id")),
    responses((status = 201, body = SessionEvent), (status = 400, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn system_info(
    State(state): State<AppState>,
    AuthEndUser(session): AuthEndUser,
    Path(id): Path<Uuid>,
    Json(info): Json<SystemInfo>,
) -> AppResult<(StatusCode, Json<SessionEvent>)> {
    if session.id != id {
        return Err(AppError::NotFound("session"));
    }
    if session.adhoc_session_id.is_none() {
        return Err(AppError::Forbidden(
            "only the support session app of an ad hoc connection reports system information"
                .into(),
        ));
    }
    crate::sessions::ensure_open(&session, state.now())?;
    for (field, value) in [
        ("hostname", &info.hostname),
        ("os", &info.os),
        ("os version", &info.os_version),
        ("kernel version", &info.kernel_version),
        ("cpu", &info.cpu),
        ("logged-in user", &info.logged_in_user),
    ] {
        check_text(field, value)?;
    }
    if info.disks.len() > 64 {
        return Err(AppError::invalid("system info: at most 64 disks"));
    }
    for disk in &info.disks {
        check_text("mount point", &disk.mount_point)?;
        check_text("file system", &disk.file_system)?;
    }
    let event = crate::sessions::record_event(
        &state,
        &session,
        Some(Party::EndUser),
        None,
        EventData::SystemInfo { info },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(event)))
}
