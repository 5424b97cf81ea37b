//! The attended app: when the end user of a keyed session allows control, the page
//! offers the agent as a one-time download with the session inside it. The app joins
//! that session with the token in its download, shows the screen with control (taking
//! over from the browser's view), follows whether control still stands, and leaves at
//! the end. This module issues tickets and tokens and records what the app does; it
//! must not reach into the media relay beyond stopping the app's stream.

use axum::extract::rejection::FormRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::post;
use axum::{Form, Router};
use lifeline_protocol::{
    AgentDownloadOffer, AttendedHello, AttendedStatus, AttendedWelcome, EventData, Party,
    SessionEvent,
};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::agent_builds::{agent_build, agent_builds, download_with_trailer, service_url};
use crate::auth::tokens::{self, ATTENDED_PREFIX, TICKET_PREFIX};
use crate::auth::{AuthAttended, AuthEndUser, AuthTechnician};
use crate::error::{AppError, AppResult, Json, Path};
use crate::state::AppState;
use crate::store::SessionRecord;

/// How long a download ticket lasts: the person clicks, the browser starts at once.
const TICKET_LIFETIME_MS: i64 = 10 * 60 * 1000;
/// Downloads one session may have; each carries a token of its own.
const MAX_DOWNLOADS_PER_SESSION: i64 = 20;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(offer))
        .routes(routes!(join))
        .routes(routes!(status))
        .routes(routes!(leave))
        .routes(routes!(cancel))
}

/// The download itself: a form post, so the ticket never sits in an address.
pub fn page_router() -> Router<AppState> {
    Router::new().route("/attended/download", post(download))
}

/// What the app's download carries: where to go, which session, and its token.
#[derive(Serialize)]
struct Trailer<'a> {
    server: &'a str,
    session_id: Uuid,
    attended_token: &'a str,
}

/// A keyed session (not an ad-hoc connection) that is open.
fn keyed_and_open(state: &AppState, session: &SessionRecord) -> AppResult<()> {
    crate::sessions::ensure_open(session, state.now())?;
    if session.adhoc_session_id.is_some() {
        return Err(AppError::Forbidden(
            "an ad hoc connection runs in the support session app already".into(),
        ));
    }
    Ok(())
}

/// The end user allowed control: a single-use ticket for the app's download.
#[utoipa::path(post, path = "/sessions/{id}/agent-download", tag = "attended",
    params(("id" = Uuid, Path, description = "session id")),
    responses((status = 201, body = AgentDownloadOffer), (status = 403, body = lifeline_protocol::ApiError),
              (status = 404, body = lifeline_protocol::ApiError), (status = 409, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn offer(
    State(state): State<AppState>,
    AuthEndUser(session): AuthEndUser,
    Path(id): Path<Uuid>,
) -> AppResult<(StatusCode, Json<AgentDownloadOffer>)> {
    if session.id != id {
        return Err(AppError::NotFound("session"));
    }
    keyed_and_open(&state, &session)?;
    if !state.store.control_consent_stands(id).await? {
        return Err(AppError::ConsentRequired(
            "the app is offered once you allow the technician to control your screen",
        ));
    }
    let platforms: Vec<String> = agent_builds(&state).into_iter().map(|(p, _)| p).collect();
    if platforms.is_empty() {
        return Err(AppError::NotFound(
            "build of the Lifeline app on this service",
        ));
    }
    if state.store.attended_count(id).await? >= MAX_DOWNLOADS_PER_SESSION {
        return Err(AppError::Conflict(format!(
            "this session's app was downloaded {MAX_DOWNLOADS_PER_SESSION} times; run one of those"
        )));
    }
    let ticket = tokens::generate(TICKET_PREFIX);
    let expires_at = state.now() + TICKET_LIFETIME_MS;
    state
        .store
        .put_agent_ticket(id, &tokens::hash(&ticket), expires_at)
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(AgentDownloadOffer {
            platforms,
            ticket,
            expires_at,
        }),
    ))
}

#[derive(Deserialize)]
struct DownloadForm {
    ticket: String,
    platform: String,
}

/// Spends the ticket: the app for `platform`, carrying a fresh token for the session.
async fn download(
    State(state): State<AppState>,
    form: Result<Form<DownloadForm>, FormRejection>,
) -> AppResult<Response> {
    let Form(form) =
        form.map_err(|err| AppError::invalid(format!("invalid form: {}", err.body_text())))?;
    if !form.ticket.starts_with(TICKET_PREFIX) || form.platform.len() > 64 {
        return Err(AppError::Unauthorized);
    }
    // The build is checked before the ticket is spent, so a wrong platform costs nothing.
    let path = agent_build(&state, &form.platform)?;
    let now = state.now();
    let session_id = state
        .store
        .take_agent_ticket(&tokens::hash(&form.ticket), now)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let session = state
        .store
        .session(session_id)
        .await?
        .ok_or(AppError::NotFound("session"))?;
    keyed_and_open(&state, &session)?;
    let token = tokens::generate(ATTENDED_PREFIX);
    state
        .store
        .insert_attended(&tokens::hash(&token), session_id, &form.platform, now)
        .await?;
    let data = EventData::AgentDownloaded {
        platform: form.platform.clone(),
    };
    crate::sessions::record_event(&state, &session, Some(Party::EndUser), None, data).await?;
    tracing::info!(session = %session_id, platform = %form.platform, "attended app downloaded");
    let server = service_url(&state);
    let trailer = Trailer {
        server: &server,
        session_id,
        attended_token: &token,
    };
    download_with_trailer(path, &form.platform, &trailer).await
}

/// The app started on the end user's computer: it says which computer, and learns its
/// session. Recorded once per download.
#[utoipa::path(post, path = "/attended/join", tag = "attended", request_body = AttendedHello,
    responses((status = 200, body = AttendedWelcome), (status = 401, body = lifeline_protocol::ApiError),
              (status = 410, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn join(
    State(state): State<AppState>,
    app: AuthAttended,
    Json(hello): Json<AttendedHello>,
) -> AppResult<Json<AttendedWelcome>> {
    hello.validate().map_err(AppError::invalid)?;
    let session = &app.record.session;
    if state
        .store
        .mark_attended_joined(&app.token_hash, state.now())
        .await?
    {
        let data = EventData::AgentJoined {
            hostname: lifeline_protocol::text::clean_label(&hello.hostname),
            os: lifeline_protocol::text::clean_label(&hello.os),
        };
        crate::sessions::record_event(&state, session, Some(Party::EndUser), None, data).await?;
        tracing::info!(session = %session.id, "attended app joined");
    }
    Ok(Json(AttendedWelcome {
        session_id: session.id,
        technician_name: session.technician_name.clone(),
        company_name: session.company_name.clone(),
    }))
}

/// Whether the app should show the screen with control now. It asks every few seconds;
/// the end of the session or of its access answers 410 or 401.
#[utoipa::path(get, path = "/attended/status", tag = "attended",
    responses((status = 200, body = AttendedStatus), (status = 401, body = lifeline_protocol::ApiError),
              (status = 410, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn status(
    State(state): State<AppState>,
    app: AuthAttended,
) -> AppResult<Json<AttendedStatus>> {
    let control = state
        .store
        .control_consent_stands(app.record.session.id)
        .await?;
    Ok(Json(AttendedStatus { control }))
}

/// The person closed the app: its access ends, and its screen stops.
#[utoipa::path(post, path = "/attended/leave", tag = "attended",
    responses((status = 201, body = SessionEvent), (status = 401, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn leave(
    State(state): State<AppState>,
    app: AuthAttended,
) -> AppResult<(StatusCode, Json<SessionEvent>)> {
    let session = &app.record.session;
    if !state
        .store
        .revoke_attended(&app.token_hash, state.now())
        .await?
    {
        return Err(AppError::Unauthorized);
    }
    crate::media::stop_app_stream(&state, session, Party::EndUser).await?;
    let data = EventData::AgentLeft { by: Party::EndUser };
    let event =
        crate::sessions::record_event(&state, session, Some(Party::EndUser), None, data).await?;
    Ok((StatusCode::CREATED, Json(event)))
}

/// The technician stops waiting for the app, or closes a running app's access: every
/// download of the session stops working and the page withdraws its offer.
#[utoipa::path(post, path = "/sessions/{id}/agent/cancel", tag = "attended",
    params(("id" = Uuid, Path, description = "session id")),
    responses((status = 201, body = SessionEvent), (status = 404, body = lifeline_protocol::ApiError),
              (status = 409, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn cancel(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Path(id): Path<Uuid>,
) -> AppResult<(StatusCode, Json<SessionEvent>)> {
    let session = crate::sessions::owned_session(&state, &technician, id).await?;
    keyed_and_open(&state, &session)?;
    state.store.revoke_all_attended(id, state.now()).await?;
    crate::media::stop_app_stream(&state, &session, Party::Technician).await?;
    let data = EventData::AgentLeft {
        by: Party::Technician,
    };
    let event =
        crate::sessions::record_event(&state, &session, Some(Party::Technician), None, data)
            .await?;
    Ok((StatusCode::CREATED, Json(event)))
}
