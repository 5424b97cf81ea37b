//! The end user's way in: the join page (embedded in the binary) and its API.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use lifeline_protocol::{
    EndUserSessionView, JoinInfo, JoinRequest, JoinResponse, SupportKey, MAX_NAME_CHARS,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::tokens::{self, END_USER_PREFIX};
use crate::auth::{AuthEndUser, ClientIp};
use crate::error::{AppError, AppResult, Json, Path};
use crate::language::Language;
use crate::sessions::{publish_event, status};
use crate::state::AppState;
use crate::store::SessionRecord;
use crate::store::SessionState;
use crate::throttle::{self, Guess};

const JOIN_HTML: &str = include_str!("../web/join.html");
const JOIN_CSS: &str = include_str!("../web/join.css");
const JOIN_JS: &str = include_str!("../web/dist/join.js");

/// Same-origin everything, no inline code, no framing: the page shows text people
/// typed, so it must never be able to run anything else.
const PAGE_CSP: &str =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(key_info))
        .routes(routes!(join))
        .routes(routes!(end_user_session))
}

pub fn page_router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { axum::response::Redirect::to("/join") }))
        .route("/join", get(page))
        .route("/join/", get(page))
        .route("/join/{key}", get(page))
        .route(
            "/assets/join.css",
            get(|| async { asset("text/css; charset=utf-8", JOIN_CSS) }),
        )
        .route(
            "/assets/join.js",
            get(|| async { asset("text/javascript; charset=utf-8", JOIN_JS) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

async fn page(headers: HeaderMap) -> Response {
    let language = Language::preferred(&headers).tag();
    let html = JOIN_HTML.replacen(
        "<html lang=\"en\"",
        &format!("<html lang=\"{language}\""),
        1,
    );
    let mut response = (StatusCode::OK, html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(PAGE_CSP),
    );
    // The key is in the URL: never leak it to another site.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::VARY, HeaderValue::from_static("accept-language"));
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
    );
    response
}

/// Looks a key up under the guess throttle: an unknown key is a failed guess of the
/// address's, any other answer (even "expired") clears it.
async fn throttled<T>(
    state: &AppState,
    ip: std::net::IpAddr,
    lookup: impl std::future::Future<Output = AppResult<T>>,
) -> AppResult<T> {
    let attempt = throttle::admit(state, Guess::SupportKey, ip, None).await?;
    let outcome = lookup.await;
    match &outcome {
        Err(AppError::KeyUnknown) => throttle::failed(state, &attempt).await?,
        Err(AppError::InvalidInput(_)) => {}
        _ => throttle::succeeded(state, &attempt).await?,
    }
    outcome
}

fn parse_key(raw: &str) -> AppResult<SupportKey> {
    SupportKey::parse(raw).map_err(|e| AppError::invalid(e.to_string()))
}

/// Why a key cannot be used, or the waiting session it opens.
async fn usable_session(state: &AppState, key: &SupportKey) -> AppResult<SessionRecord> {
    let session = state
        .store
        .newest_session_with_key(key.as_str())
        .await?
        .ok_or(AppError::KeyUnknown)?;
    match session.status {
        SessionState::Waiting if session.key_expires_at <= state.now() => Err(AppError::KeyExpired),
        SessionState::Waiting => Ok(session),
        SessionState::Ended => Err(AppError::SessionEnded),
        SessionState::Active => Err(AppError::KeyUsed),
    }
}

/// Checks a key before the end user joins: who is waiting, and until when.
#[utoipa::path(get, path = "/join/{key}", tag = "join",
    params(("key" = String, Path, description = "support key, 9 digits")),
    responses((status = 200, body = JoinInfo), (status = 404, body = lifeline_protocol::ApiError),
              (status = 409, body = lifeline_protocol::ApiError), (status = 410, body = lifeline_protocol::ApiError),
              (status = 429, body = lifeline_protocol::ApiError)))]
async fn key_info(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Path(key): Path<String>,
) -> AppResult<Json<JoinInfo>> {
    let key = parse_key(&key)?;
    let session = throttled(&state, ip, usable_session(&state, &key)).await?;
    Ok(Json(JoinInfo {
        technician_name: session.technician_name,
        company_name: session.company_name,
        key_expires_at: session.key_expires_at,
    }))
}

fn clean_name(name: Option<String>) -> AppResult<Option<String>> {
    let Some(name) = name else { return Ok(None) };
    let name = lifeline_protocol::text::clean_label(&name);
    let name = name.as_str();
    if name.is_empty() {
        return Ok(None);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid(format!(
            "the name is longer than {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(Some(name.to_owned()))
}

/// Joins the session with a key; the first end user consumes it.
#[utoipa::path(post, path = "/join", tag = "join", request_body = JoinRequest,
    responses((status = 200, body = JoinResponse), (status = 404, body = lifeline_protocol::ApiError),
              (status = 409, body = lifeline_protocol::ApiError), (status = 410, body = lifeline_protocol::ApiError),
              (status = 429, body = lifeline_protocol::ApiError)))]
async fn join(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    Json(request): Json<JoinRequest>,
) -> AppResult<Json<JoinResponse>> {
    let key = parse_key(&request.key)?;
    let name = clean_name(request.name)?;
    let token = tokens::generate(END_USER_PREFIX);
    let join = async {
        let joined = state
            .store
            .join_session(
                key.as_str(),
                name.as_deref(),
                &tokens::hash(&token),
                state.now(),
            )
            .await?;
        match joined {
            Some(joined) => Ok(joined),
            None => {
                // Not joinable: find out why, for a precise message.
                usable_session(&state, &key).await?;
                Err(AppError::KeyUsed)
            }
        }
    };
    let joined = throttled(&state, ip, join).await?;
    let session = joined.session;
    tracing::info!(session = %session.id, "end user joined");
    for event in joined.events {
        publish_event(&state, session.technician_id, event);
    }
    Ok(Json(JoinResponse {
        session_id: session.id,
        end_user_token: token,
        technician_name: session.technician_name,
        company_name: session.company_name,
        end_user_name: session.end_user_name,
    }))
}

/// The end user's view of its session.
#[utoipa::path(get, path = "/end-user/session", tag = "join",
    responses((status = 200, body = EndUserSessionView), (status = 401, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn end_user_session(
    State(state): State<AppState>,
    AuthEndUser(session): AuthEndUser,
) -> Json<EndUserSessionView> {
    Json(EndUserSessionView {
        session_id: session.id,
        status: status(&session, state.now()),
        last_seq: session.last_seq(),
        technician_name: session.technician_name,
        company_name: session.company_name,
        end_user_name: session.end_user_name,
    })
}
