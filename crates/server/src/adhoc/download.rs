//! The page the invite email links to, and the agent download. The service serves the
//! agent builds it has: files named `lifeline-agent-<platform>` in `<data dir>/agents/`,
//! or else the `lifeline-agent` built beside this server binary (its own platform).
//!
//! Each download gets a trailer naming the service and the session, so the agent knows
//! where to enroll and the end user only types the security code:
//! `<agent bytes><JSON {server, session_id}><JSON length, u32 LE><b"LLAGENT1">`.

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;
use uuid::Uuid;

use crate::agent_builds::{agent_build, agent_builds, download_with_trailer, service_url};
use crate::error::{AppError, AppResult, Path};
use crate::language::Language;
use crate::state::AppState;
use crate::store::AdhocState;

#[derive(Serialize)]
struct Trailer<'a> {
    server: &'a str,
    session_id: Uuid,
}

pub fn page_router() -> Router<AppState> {
    Router::new()
        .route("/adhoc/{id}", get(page))
        .route("/adhoc/{id}/agent/{platform}", get(download))
}

async fn prepared_session(state: &AppState, id: Uuid) -> AppResult<crate::store::AdhocRecord> {
    match state.store.adhoc(id, state.now()).await? {
        Some(record) if record.status == AdhocState::Prepared => Ok(record),
        Some(_) => Err(AppError::SessionEnded),
        None => Err(AppError::NotFound("ad hoc session")),
    }
}

/// The page the invitation links to: who helps, the downloads, what to do; or that the
/// link is no longer valid. Askama escapes every value.
#[derive(Template)]
#[template(path = "adhoc_page.html")]
struct AdhocPage<'a> {
    language: Language,
    german: bool,
    invitation: Option<Invitation<'a>>,
}

struct Invitation<'a> {
    id: Uuid,
    technician: &'a str,
    /// The platforms the service has an agent build for.
    platforms: Vec<String>,
}

async fn page(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<Uuid>) -> Response {
    let language = Language::preferred(&headers);
    let record = prepared_session(&state, id).await.ok();
    let page = AdhocPage {
        language,
        german: language == Language::German,
        invitation: record.as_ref().map(|record| Invitation {
            id,
            technician: &record.technician_name,
            platforms: agent_builds(&state)
                .into_iter()
                .map(|(platform, _)| platform)
                .collect(),
        }),
    };
    let html = match page.render() {
        Ok(html) => html,
        Err(err) => return AppError::Internal(err.into()).into_response(),
    };
    let mut response = (StatusCode::OK, html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; base-uri 'none'"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn download(
    State(state): State<AppState>,
    Path((id, platform)): Path<(Uuid, String)>,
) -> AppResult<Response> {
    prepared_session(&state, id).await?;
    let path = agent_build(&state, &platform)?;
    let server = service_url(&state);
    let trailer = Trailer {
        server: &server,
        session_id: id,
    };
    download_with_trailer(path, &platform, &trailer).await
}
