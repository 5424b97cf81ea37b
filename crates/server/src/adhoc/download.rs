//! The page the invite email links to, and the agent download. The service serves the
//! agent builds it has: files named `lifeline-agent-<platform>` in `<data dir>/agents/`,
//! or else the `lifeline-agent` built beside this server binary (its own platform).
//!
//! Each download gets a trailer naming the service and the session, so the agent knows
//! where to enroll and the end user only types the security code:
//! `<agent bytes><JSON {server, session_id}><JSON length, u32 LE><b"LLAGENT1">`.

use std::path::PathBuf;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::StreamExt;
use serde::Serialize;
use uuid::Uuid;

use crate::error::{AppError, AppResult, Path};
use crate::join::preferred_language;
use crate::state::AppState;

pub const TRAILER_MAGIC: &[u8; 8] = b"LLAGENT1";

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

fn this_platform() -> String {
    format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH)
}

/// Platform name → agent file, for every build the service can hand out.
fn agent_builds(state: &AppState) -> Vec<(String, PathBuf)> {
    let mut builds = Vec::new();
    if let Ok(entries) = std::fs::read_dir(state.config.data_dir.join("agents")) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(platform) = name.strip_prefix("lifeline-agent-") {
                builds.push((platform.trim_end_matches(".exe").to_owned(), entry.path()));
            }
        }
    }
    if builds.is_empty() {
        if let Ok(exe) = std::env::current_exe() {
            let beside =
                exe.with_file_name(format!("lifeline-agent{}", std::env::consts::EXE_SUFFIX));
            if beside.is_file() {
                builds.push((this_platform(), beside));
            }
        }
    }
    builds.sort();
    builds
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
        Some(record) if record.status == "prepared" => Ok(record),
        Some(_) => Err(AppError::SessionEnded),
        None => Err(AppError::NotFound("ad hoc session")),
    }
}

async fn page(State(state): State<AppState>, headers: HeaderMap, Path(id): Path<Uuid>) -> Response {
    let german = preferred_language(&headers) == "de";
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
    let lang = if german { "de" } else { "en" };
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
    let (_, path) = agent_builds(&state)
        .into_iter()
        .find(|(p, _)| *p == platform)
        .ok_or(AppError::NotFound("agent build for this platform"))?;
    let server = state
        .config
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_owned();
    let json = serde_json::to_vec(&Trailer {
        server: &server,
        session_id: id,
    })
    .map_err(|e| AppError::Internal(e.into()))?;
    let length = u32::try_from(json.len()).map_err(|e| AppError::Internal(e.into()))?;
    let mut trailer = json;
    trailer.extend_from_slice(&length.to_le_bytes());
    trailer.extend_from_slice(TRAILER_MAGIC);
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let size = file
        .metadata()
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .len()
        + trailer.len() as u64;
    let body =
        tokio_util::io::ReaderStream::new(file).chain(futures_util::stream::once(async move {
            Ok(bytes::Bytes::from(trailer))
        }));
    let file_name = if platform.starts_with("windows") {
        "lifeline-agent.exe"
    } else {
        "lifeline-agent"
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CONTENT_LENGTH, size.to_string()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(body),
    )
        .into_response())
}
