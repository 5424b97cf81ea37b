//! The agent's enrollment, relayed: the agent starts a run with its SPAKE2 message, the
//! technician's app answers it (from whatever page it shows, or when it next starts),
//! the agent polls for the answer, and shows the grant that proves it agreed on the key.
//! The service counts the runs, at most `MAX_CODE_ATTEMPTS` per code, and never holds
//! anything that checks the code or opens the sealed verifier.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lifeline_protocol::{
    AdhocActivated, AnswerEnrollment, EnrollmentAnswer, EnrollmentGrant, EnrollmentStarted,
    StartEnrollment, MAX_CODE_ATTEMPTS, MAX_ENROLLMENT_MESSAGE_CHARS, MAX_GRANT_CHARS,
    MAX_SEALED_VERIFIER_CHARS,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::routes::clean;
use super::{summary, ADHOC_LIFETIME_MS};
use crate::auth::tokens::{self, AGENT_PREFIX};
use crate::auth::{AuthTechnician, ClientIp};
use crate::error::{AppError, AppResult, Json, Path};
use crate::rate_limit::{self, Limit};
use crate::state::AppState;
use crate::store::AdhocState;
use crate::store::{Activation, AdhocRecord, Enrollment};

/// How long one poll for the answer waits before it says "not yet".
const POLL_WAIT: Duration = Duration::from_secs(20);
const POLL_STEP: Duration = Duration::from_millis(250);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(start))
        .routes(routes!(poll))
        .routes(routes!(answer))
        .routes(routes!(grant))
}

/// Base64url text of at most `max` characters, or a typed refusal naming `what`.
fn check_base64url(what: &str, value: &str, max: usize) -> AppResult<()> {
    let ok = !value.is_empty()
        && value.len() <= max
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(AppError::invalid(format!(
            "{what} must be 1 to {max} characters of base64url"
        )))
    }
}

/// What the technician's app derived from the grant it expects the agent to show: the
/// only form of the grant the service keeps. Parsed at the edge, so nothing else can be
/// stored or compared in its place, and compared in constant time.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::Type)]
#[sqlx(transparent)]
pub struct GrantHash(String);

impl GrantHash {
    pub fn parse(text: &str) -> AppResult<Self> {
        check_base64url("grant_hash", text, MAX_GRANT_CHARS)?;
        Ok(Self(text.to_owned()))
    }

    /// The hash of the grant an agent showed.
    pub fn of_grant(grant: &str) -> Self {
        Self(lifeline_adhoc_key::enrollment::grant_hash(grant))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn matches(&self, other: &GrantHash) -> bool {
        use subtle::ConstantTimeEq;
        self.0.as_bytes().ct_eq(other.0.as_bytes()).into()
    }
}

async fn agent_limit(state: &AppState, ip: std::net::IpAddr) -> AppResult<()> {
    let bucket = rate_limit::ip_bucket("adhoc-code", ip);
    rate_limit::check(
        state,
        &[Limit::per_minute(
            &bucket,
            state.config.limits.adhoc_activations_per_ip_per_minute,
        )],
    )
    .await
}

/// A prepared session, or why an agent cannot enroll in it.
async fn prepared(state: &AppState, id: Uuid) -> AppResult<AdhocRecord> {
    match state.store.adhoc(id, state.now()).await? {
        Some(record) if record.status == AdhocState::Prepared => Ok(record),
        Some(_) => Err(AppError::SessionEnded),
        None => Err(AppError::NotFound("ad hoc session")),
    }
}

/// The agent starts an enrollment run with the code the person typed. Every run counts
/// against the code, right or wrong; the technician's app is told at once.
#[utoipa::path(post, path = "/adhoc/{id}/enrollment", tag = "adhoc", request_body = StartEnrollment,
    params(("id" = Uuid, Path, description = "ad-hoc session id from the download")),
    responses((status = 201, body = EnrollmentStarted), (status = 403, body = lifeline_protocol::ApiError),
              (status = 410, body = lifeline_protocol::ApiError), (status = 429, body = lifeline_protocol::ApiError)))]
async fn start(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(id): Path<Uuid>,
    Json(request): Json<StartEnrollment>,
) -> AppResult<(StatusCode, Json<EnrollmentStarted>)> {
    check_base64url("message", &request.message, MAX_ENROLLMENT_MESSAGE_CHARS)?;
    let mut computer = request.computer;
    computer.hostname = clean("hostname", &computer.hostname)?;
    computer.os = clean("os", &computer.os)?;
    computer.os_version = clean("os version", &computer.os_version)?;
    computer.user = clean("user", &computer.user)?;
    computer.agent_version = clean("agent version", &computer.agent_version)?;
    agent_limit(&state, ip).await?;
    prepared(&state, id).await?;
    let computer = serde_json::to_string(&computer).map_err(|e| AppError::Internal(e.into()))?;
    let enrollment_id = Uuid::new_v4();
    let Some(record) = state
        .store
        .start_enrollment(
            id,
            Enrollment {
                id: enrollment_id,
                message: &request.message,
                computer: &computer,
                ip: &ip.to_string(),
                now: state.now(),
            },
        )
        .await?
    else {
        tracing::warn!(adhoc = %id, "enrollment refused: the code has no runs left or expired");
        return Err(AppError::CodeInvalid);
    };
    tracing::info!(adhoc = %id, "enrollment started");
    state
        .hub
        .publish_adhoc(record.technician_id, summary(&record));
    Ok((
        StatusCode::CREATED,
        Json(EnrollmentStarted {
            enrollment_id,
            technician_name: record.technician_name,
            attempts_left: u32::try_from(i64::from(MAX_CODE_ATTEMPTS) - record.code_attempts)
                .unwrap_or(0),
        }),
    ))
}

/// The agent waits for the technician's answer: up to 20 seconds per call, then 204 and
/// it asks again. 404 when this run was replaced by a newer one.
#[utoipa::path(get, path = "/adhoc/{id}/enrollment/{enrollment_id}", tag = "adhoc",
    params(("id" = Uuid, Path, description = "ad-hoc session id"),
           ("enrollment_id" = Uuid, Path, description = "the run, from its start")),
    responses((status = 200, body = EnrollmentAnswer), (status = 204, description = "not answered yet"),
              (status = 404, body = lifeline_protocol::ApiError), (status = 410, body = lifeline_protocol::ApiError)))]
async fn poll(
    State(state): State<AppState>,
    Path((id, enrollment_id)): Path<(Uuid, Uuid)>,
) -> AppResult<Response> {
    let deadline = tokio::time::Instant::now() + POLL_WAIT;
    loop {
        let record = prepared(&state, id).await?;
        if record.enrollment_id != Some(enrollment_id) {
            return Err(AppError::NotFound("enrollment run"));
        }
        if let Some(answer) = record.enrollment_answer {
            let answer: EnrollmentAnswer =
                serde_json::from_str(&answer).map_err(|e| AppError::Internal(e.into()))?;
            return Ok(Json(answer).into_response());
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(StatusCode::NO_CONTENT.into_response());
        }
        tokio::time::sleep(POLL_STEP).await;
    }
}

/// The technician's app answers a run of its own session: its key exchange message,
/// the verifier sealed for the agent, and the hash of the grant.
#[utoipa::path(post, path = "/adhoc/{id}/enrollment/{enrollment_id}/answer", tag = "adhoc",
    request_body = AnswerEnrollment,
    params(("id" = Uuid, Path, description = "ad-hoc session id"),
           ("enrollment_id" = Uuid, Path, description = "the run being answered")),
    responses((status = 204), (status = 404, body = lifeline_protocol::ApiError),
              (status = 409, body = lifeline_protocol::ApiError), (status = 410, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn answer(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Path((id, enrollment_id)): Path<(Uuid, Uuid)>,
    Json(request): Json<AnswerEnrollment>,
) -> AppResult<StatusCode> {
    check_base64url("message", &request.message, MAX_ENROLLMENT_MESSAGE_CHARS)?;
    check_base64url(
        "sealed_verifier",
        &request.sealed_verifier,
        MAX_SEALED_VERIFIER_CHARS,
    )?;
    let grant_hash = GrantHash::parse(&request.grant_hash)?;
    let record = prepared(&state, id).await?;
    // Only the technician who prepared it made the code; others' ids read as unknown.
    if record.technician_id != technician.id {
        return Err(AppError::NotFound("ad hoc session"));
    }
    let answer = serde_json::to_string(&EnrollmentAnswer {
        message: request.message,
        sealed_verifier: request.sealed_verifier,
    })
    .map_err(|e| AppError::Internal(e.into()))?;
    if !state
        .store
        .answer_enrollment(id, enrollment_id, &answer, &grant_hash)
        .await?
    {
        return Err(AppError::Conflict(
            "this enrollment run is not the one waiting, or it was answered already".into(),
        ));
    }
    tracing::info!(adhoc = %id, "enrollment answered");
    if let Some(record) = state.store.adhoc(id, state.now()).await? {
        state
            .hub
            .publish_adhoc(record.technician_id, summary(&record));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The agent finishes the run with its grant. When it matches the app's hash, the agent
/// knew the code: the session is active for 24 hours and the agent gets its token.
#[utoipa::path(post, path = "/adhoc/{id}/enrollment/{enrollment_id}/grant", tag = "adhoc",
    request_body = EnrollmentGrant,
    params(("id" = Uuid, Path, description = "ad-hoc session id"),
           ("enrollment_id" = Uuid, Path, description = "the answered run")),
    responses((status = 200, body = AdhocActivated), (status = 403, body = lifeline_protocol::ApiError),
              (status = 410, body = lifeline_protocol::ApiError), (status = 429, body = lifeline_protocol::ApiError)))]
async fn grant(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path((id, enrollment_id)): Path<(Uuid, Uuid)>,
    Json(request): Json<EnrollmentGrant>,
) -> AppResult<Json<AdhocActivated>> {
    check_base64url("grant", request.grant.expose(), MAX_GRANT_CHARS)?;
    agent_limit(&state, ip).await?;
    let record = prepared(&state, id).await?;
    let shown = GrantHash::of_grant(request.grant.expose());
    let matches = record.enrollment_id == Some(enrollment_id)
        && record
            .enrollment_grant_hash
            .as_ref()
            .is_some_and(|expected| expected.matches(&shown));
    let computer = record
        .enrollment_computer
        .as_deref()
        .and_then(|json| serde_json::from_str(json).ok());
    let (true, Some(computer)) = (matches, computer) else {
        state.store.drop_enrollment(id, enrollment_id).await?;
        tracing::warn!(adhoc = %id, "enrollment grant refused");
        if let Some(record) = state.store.adhoc(id, state.now()).await? {
            state
                .hub
                .publish_adhoc(record.technician_id, summary(&record));
        }
        return Err(AppError::CodeInvalid);
    };
    let agent_token = tokens::generate(AGENT_PREFIX);
    let activated = state
        .store
        .activate_adhoc(
            id,
            Activation {
                enrollment_id,
                agent_token_hash: &tokens::hash(&agent_token),
                computer: &computer,
                ip: record.enrollment_ip.as_deref().unwrap_or_default(),
                lifetime_ms: ADHOC_LIFETIME_MS,
                now: state.now(),
            },
        )
        .await?;
    let Some(record) = activated else {
        return Err(AppError::CodeInvalid);
    };
    tracing::info!(adhoc = %id, "ad-hoc session activated");
    state
        .hub
        .publish_adhoc(record.technician_id, summary(&record));
    Ok(Json(AdhocActivated {
        session_id: record.id,
        computer_id: record
            .computer_id
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("activated without a computer")))?,
        agent_token,
        technician_name: record.technician_name,
        expires_at: record.expires_at.unwrap_or_default(),
    }))
}
