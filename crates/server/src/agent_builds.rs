//! The agent builds the service hands out, and the download that carries a trailer: the
//! agent's bytes, then `<JSON><JSON length, u32 LE><b"LLAGENT1">`, so the copy knows its
//! service and session without anything to type. Builds are the files named
//! `lifeline-agent-<platform>` in the agents folder (`<data dir>/agents/` unless
//! `agents_dir` says otherwise; the packages put theirs in `/usr/lib/lifeline/agents`), or else the `lifeline-agent` built
//! beside this server binary (its own platform).

use std::path::PathBuf;

use axum::body::Body;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Serialize;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

pub use lifeline_protocol::trailer::TRAILER_MAGIC;

fn this_platform() -> String {
    format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH)
}

/// Platform name → agent file, for every build the service can hand out.
pub fn agent_builds(state: &AppState) -> Vec<(String, PathBuf)> {
    let mut builds = Vec::new();
    if let Ok(entries) = std::fs::read_dir(&state.config.agents_dir) {
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

/// The build for `platform`, if the service has one.
pub fn agent_build(state: &AppState, platform: &str) -> AppResult<PathBuf> {
    agent_builds(state)
        .into_iter()
        .find(|(p, _)| p == platform)
        .map(|(_, path)| path)
        .ok_or(AppError::NotFound("agent build for this platform"))
}

/// The service's address as the agent should reach it.
pub fn service_url(state: &AppState) -> String {
    state
        .config
        .public_url
        .as_str()
        .trim_end_matches('/')
        .to_owned()
}

/// Streams the build at `path` with `trailer` appended, as an attachment.
pub async fn download_with_trailer(
    path: PathBuf,
    platform: &str,
    trailer: &impl Serialize,
) -> AppResult<Response> {
    let json = serde_json::to_vec(trailer).map_err(|e| AppError::Internal(e.into()))?;
    let trailer = lifeline_protocol::trailer::encode_trailer(&json)
        .map_err(|e| AppError::Internal(e.into()))?;
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
