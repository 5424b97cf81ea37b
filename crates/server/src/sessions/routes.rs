use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use lifeline_protocol::{
    ConsentAnswer, ConsentKind, ConsentRequest, CreateSessionRequest, EventData, Party,
    SendMessage, SessionEvent, SessionSummary, Transcript, UpdateSessionSettings,
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{ensure_open, generate_support_key, owned_session, record_event, summary, transcript};
use crate::auth::{AuthEndUser, AuthParty, AuthTechnician};
use crate::error::{AppError, AppResult, Json, Path, Query};
use crate::state::AppState;
use crate::store::NewSession;
use crate::store::SessionState;

/// A support key is valid for this long to start a session.
pub const KEY_LIFETIME_MS: i64 = 60 * 60 * 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_session, list_sessions))
        .routes(routes!(get_session, update_session))
        .routes(routes!(session_events))
        .routes(routes!(send_message))
        .routes(routes!(request_consent))
        .routes(routes!(answer_consent))
        .routes(routes!(end_session))
        .routes(routes!(get_transcript))
}

/// Creates a support key and its waiting session.
#[utoipa::path(post, path = "/sessions", tag = "sessions", request_body = CreateSessionRequest,
    responses((status = 201, body = SessionSummary)), security(("bearer" = [])))]
async fn create_session(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Json(request): Json<CreateSessionRequest>,
) -> AppResult<(StatusCode, Json<SessionSummary>)> {
    // A collision with a live key is rare (at most thousands live out of 10^9); retry.
    for _ in 0..16 {
        let key = generate_support_key();
        let now = state.now();
        let inserted = state
            .store
            .insert_session(NewSession {
                id: Uuid::new_v4(),
                technician_id: technician.id,
                support_key: key.as_str(),
                key_expires_at: now + KEY_LIFETIME_MS,
                request_control_on_arrival: request.request_control_on_arrival,
                now,
            })
            .await;
        match inserted {
            Ok(session) => {
                tracing::info!(session = %session.id, technician = %technician.id, "session created");
                return Ok((StatusCode::CREATED, Json(summary(&state, &session)?)));
            }
            Err(err) if err.is_unique_violation() => continue,
            Err(err) => return Err(AppError::Internal(err.into())),
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no free support key after 16 draws"
    )))
}

/// The technician's sessions, newest first.
#[utoipa::path(get, path = "/sessions", tag = "sessions",
    responses((status = 200, body = Vec<SessionSummary>)), security(("bearer" = [])))]
async fn list_sessions(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
) -> AppResult<Json<Vec<SessionSummary>>> {
    let sessions = state
        .store
        .sessions_of_technician(technician.id, 200)
        .await?;
    sessions
        .iter()
        .map(|s| summary(&state, s))
        .collect::<AppResult<_>>()
        .map(Json)
}

#[utoipa::path(get, path = "/sessions/{id}", tag = "sessions",
    params(("id" = Uuid, Path, description = "session id")),
    responses((status = 200, body = SessionSummary), (status = 404, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn get_session(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Path(id): Path<Uuid>,
) -> AppResult<Json<SessionSummary>> {
    let session = owned_session(&state, &technician, id).await?;
    Ok(Json(summary(&state, &session)?))
}

/// Changes the session's settings, e.g. requesting control when the end user arrives.
#[utoipa::path(patch, path = "/sessions/{id}", tag = "sessions", request_body = UpdateSessionSettings,
    params(("id" = Uuid, Path, description = "session id")),
    responses((status = 200, body = SessionSummary)), security(("bearer" = [])))]
async fn update_session(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Path(id): Path<Uuid>,
    Json(request): Json<UpdateSessionSettings>,
) -> AppResult<Json<SessionSummary>> {
    let session = owned_session(&state, &technician, id).await?;
    ensure_open(&session, state.now())?;
    state
        .store
        .set_request_control_on_arrival(id, request.request_control_on_arrival)
        .await?;
    let session = owned_session(&state, &technician, id).await?;
    Ok(Json(summary(&state, &session)?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    /// Return events after this `seq`.
    #[serde(default)]
    since: u64,
    /// At most this many (default and maximum 1000).
    #[serde(default)]
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<u32>,
}

/// Stored events after `since`, for either party: the polling twin of the WebSocket.
#[utoipa::path(get, path = "/sessions/{id}/events", tag = "sessions",
    params(("id" = Uuid, Path, description = "session id"), EventsQuery),
    responses((status = 200, body = Vec<SessionEvent>)), security(("bearer" = [])))]
async fn session_events(
    State(state): State<AppState>,
    auth: AuthParty,
    Path(id): Path<Uuid>,
    Query(query): Query<EventsQuery>,
) -> AppResult<Json<Vec<SessionEvent>>> {
    let limit = query.limit.unwrap_or(1000);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::invalid("limit must be 1 to 1000"));
    }
    if i64::try_from(query.since).is_err() {
        return Err(AppError::invalid("since must be a whole number below 2^63"));
    }
    let session = auth.session(&state, id).await?;
    Ok(Json(
        state
            .store
            .events_since(session.id, query.since, limit)
            .await?,
    ))
}

/// Sends a chat message. A resend with the same `client_id` returns the stored one.
#[utoipa::path(post, path = "/sessions/{id}/messages", tag = "sessions", request_body = SendMessage,
    params(("id" = Uuid, Path, description = "session id")),
    responses((status = 200, body = SessionEvent), (status = 400, body = lifeline_protocol::ApiError),
              (status = 410, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn send_message(
    State(state): State<AppState>,
    auth: AuthParty,
    Path(id): Path<Uuid>,
    Json(request): Json<SendMessage>,
) -> AppResult<Json<SessionEvent>> {
    let session = auth.session(&state, id).await?;
    super::chat::send_message(
        &state,
        &session,
        auth.party(),
        request.client_id,
        &request.text,
    )
    .await
    .map(Json)
}

/// Asks the end user for permission to view or control the screen.
#[utoipa::path(post, path = "/sessions/{id}/consent", tag = "sessions", request_body = ConsentRequest,
    params(("id" = Uuid, Path, description = "session id")),
    responses((status = 200, body = SessionEvent)), security(("bearer" = [])))]
async fn request_consent(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Path(id): Path<Uuid>,
    Json(request): Json<ConsentRequest>,
) -> AppResult<Json<SessionEvent>> {
    let session = owned_session(&state, &technician, id).await?;
    ensure_open(&session, state.now())?;
    if session.status != SessionState::Active {
        return Err(AppError::Conflict("the end user has not joined yet".into()));
    }
    let data = EventData::ConsentRequested {
        request_id: Uuid::new_v4(),
        kind: request.kind,
    };
    record_event(&state, &session, Some(Party::Technician), None, data)
        .await
        .map(Json)
}

/// The end user allows or declines a request. Each request is answered once.
#[utoipa::path(post, path = "/sessions/{id}/consent/{request_id}", tag = "sessions",
    request_body = ConsentAnswer,
    params(("id" = Uuid, Path, description = "session id"), ("request_id" = Uuid, Path, description = "consent request id")),
    responses((status = 200, body = SessionEvent), (status = 409, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn answer_consent(
    State(state): State<AppState>,
    AuthEndUser(session): AuthEndUser,
    Path((id, request_id)): Path<(Uuid, Uuid)>,
    Json(answer): Json<ConsentAnswer>,
) -> AppResult<Json<SessionEvent>> {
    if session.id != id {
        return Err(AppError::NotFound("session"));
    }
    ensure_open(&session, state.now())?;
    let consent = state
        .store
        .consent_state(id, request_id)
        .await?
        .ok_or(AppError::NotFound("consent request"))?;
    if consent.answered {
        return Err(AppError::Conflict(
            "this request was already answered".into(),
        ));
    }
    let kind: ConsentKind = consent.kind;
    let data = EventData::ConsentAnswered {
        request_id,
        kind,
        accepted: answer.accepted,
    };
    // The request id doubles as the client id, so two racing answers store only one.
    record_event(
        &state,
        &session,
        Some(Party::EndUser),
        Some(request_id),
        data,
    )
    .await
    .map(Json)
}

/// Ends the session for both sides; the key and links stop working.
#[utoipa::path(post, path = "/sessions/{id}/end", tag = "sessions",
    params(("id" = Uuid, Path, description = "session id")),
    responses((status = 200, body = SessionEvent), (status = 410, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn end_session(
    State(state): State<AppState>,
    auth: AuthParty,
    Path(id): Path<Uuid>,
) -> AppResult<Json<SessionEvent>> {
    let session = auth.session(&state, id).await?;
    crate::media::stop_before_end(&state, session.id, auth.party()).await?;
    let ended = state
        .store
        .end_session(session.id, auth.party(), state.now())
        .await?;
    let event = ended.ok_or(AppError::SessionEnded)?;
    tracing::info!(session = %session.id, by = auth.party().as_str(), "session ended");
    super::publish_event(&state, session.technician_id, event.clone());
    Ok(Json(event))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct TranscriptQuery {
    /// `json` (default) or `text`.
    #[serde(default)]
    format: Option<String>,
}

/// The whole session: messages, files and events with times, as JSON or readable text.
#[utoipa::path(get, path = "/sessions/{id}/transcript", tag = "sessions",
    params(("id" = Uuid, Path, description = "session id"), TranscriptQuery),
    responses((status = 200, description = "the transcript, as JSON or (format=text) readable text",
        content((Transcript = "application/json"), (String = "text/plain")))),
    security(("bearer" = [])))]
async fn get_transcript(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Path(id): Path<Uuid>,
    Query(query): Query<TranscriptQuery>,
) -> AppResult<Response> {
    let session = owned_session(&state, &technician, id).await?;
    let mut events = Vec::new();
    loop {
        let since = events.last().map_or(0, |e: &SessionEvent| e.seq);
        let page = state.store.events_since(id, since, 1000).await?;
        let done = page.len() < 1000;
        events.extend(page);
        if done {
            break;
        }
    }
    let transcript = Transcript {
        session: summary(&state, &session)?,
        events,
    };
    match query.format.as_deref() {
        None | Some("json") => Ok(axum::Json(transcript).into_response()),
        Some("text") => Ok((
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            transcript::to_text(&transcript),
        )
            .into_response()),
        Some(other) => Err(AppError::invalid(format!(
            "unknown format {other:?}; use json or text"
        ))),
    }
}
