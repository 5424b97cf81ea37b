//! The page the invite email links to, and the agent download. The service serves the
//! agent builds it has: files named `lifeline-agent-<platform>` in `<data dir>/agents/`,
//! or else the `lifeline-agent` built beside this server binary (its own platform).
//!
//! Each download gets a trailer naming the service and the session, so the agent knows
//! where to enroll and the end user only types the security code:
//! `<agent bytes><JSON {server, session_id}><JSON length, u32 LE><b"LLAGENT1">`.

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

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

async fn prepared_session(state: &AppState, id: Uuid) -> AppResult<crate::store::AdhocRecord> {
    super::expire_due(state).await?;
    match state.store.adhoc(id).await? {
        Some(record) if record.status == AdhocState::Prepared => Ok(record),
        Some(_) => Err(AppError::SessionEnded),
        None => Err(AppError::NotFound("ad hoc session")),
    }
}

async fn page(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<Uuid>) -> Response {
    let language = Language::preferred(&headers);
    let german = language == Language::German;
    let body = match prepared_session(&state, id).await {
        Ok(record) => {
            let name = escape(&record.technician_name);
            let links: String = agent_builds(&state)
                .iter()
                .map(|(platform, _)| {
                    let platform = escape(platform);
                    format!("<li><a href=\"/adhoc/{id}/agent/{platform}\" download>lifeline-agent ({platform})</a></li>")
                })
                .collect();
            let links = if links.is_empty() {
                if german { "<li>Für diese Plattform ist noch kein Download vorhanden.</li>".to_owned() } else { "<li>No download is available yet.</li>".to_owned() }
            } else {
                links
            };
            if german {
                format!("<h1>Ad-hoc-Support mit {name}</h1><ol><li>Laden Sie die Supportsitzungs-App herunter:<ul>{links}</ul></li>\
                         <li>Starten Sie die App.</li><li>Geben Sie den Sicherheitscode ein, den {name} Ihnen vorliest.</li></ol>\
                         <p>Die Sitzung gilt 24 Stunden ab der Aktivierung; Sie können sie jederzeit beenden.</p>")
            } else {
                format!("<h1>Ad hoc support with {name}</h1><ol><li>Download the support session app:<ul>{links}</ul></li>\
                         <li>Start the app.</li><li>Enter the security code that {name} reads to you.</li></ol>\
                         <p>The session lasts 24 hours from activation; you can end it at any time.</p>")
            }
        }
        Err(_) if german => "<h1>Dieser Link gilt nicht mehr</h1><p>Bitten Sie Ihren Techniker um eine neue Einladung.</p>".to_owned(),
        Err(_) => "<h1>This link is no longer valid</h1><p>Please ask your technician for a new invitation.</p>".to_owned(),
    };
    let lang = language.tag();
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Lifeline</title></head>\
         <body>{body}</body></html>"
    );
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
