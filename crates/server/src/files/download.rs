use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use lifeline_protocol::DownloadLink;
use serde::Deserialize;
use tower::ServiceExt;
use tower_http::services::ServeFile;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{content_disposition, FileStore};
use crate::auth::AuthParty;
use crate::error::{AppError, AppResult, Json, Path, Query};
use crate::secrets::Purpose;
use crate::state::AppState;
use crate::store::FileRecord;
use lifeline_protocol::range::RangePlan;

/// A download link works this long; long enough to start, short enough not to share.
const LINK_LIFETIME_MS: i64 = 5 * 60 * 1000;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(download_link))
        .routes(routes!(download))
}

fn link_message(file_id: Uuid, expires_at: i64) -> Vec<u8> {
    format!("{file_id}:{expires_at}").into_bytes()
}

fn ticket_valid(state: &AppState, file_id: Uuid, ticket: &str) -> bool {
    let Some((expires, signature)) = ticket.split_once('.') else {
        return false;
    };
    let Ok(expires_at) = expires.parse::<i64>() else {
        return false;
    };
    let Ok(given) = hex::decode(signature) else {
        return false;
    };
    expires_at > state.now()
        && state.keys.verify(
            Purpose::DownloadLink,
            &link_message(file_id, expires_at),
            &given,
        )
}

/// Rewrites the request's `Range` to what will be served (see [`super::range`]): none
/// for the whole file, one canonical range, or a typed 416.
fn check_range(mut request: Request, size: u64) -> AppResult<Request> {
    let header = request
        .headers()
        .get(header::RANGE)
        .map(|value| value.to_str().unwrap_or_default());
    match lifeline_protocol::range::plan(header, size) {
        RangePlan::Whole => {
            request.headers_mut().remove(header::RANGE);
        }
        RangePlan::Part { first, last } => {
            let canonical = HeaderValue::from_str(&format!("bytes={first}-{last}"))
                .map_err(|e| AppError::Internal(e.into()))?;
            request.headers_mut().insert(header::RANGE, canonical);
        }
        RangePlan::Unsatisfiable => return Err(AppError::RangeNotSatisfiable { size }),
    }
    Ok(request)
}

async fn shared_file(state: &AppState, file_id: Uuid) -> AppResult<FileRecord> {
    match state.store.file(file_id).await? {
        Some(record) if record.complete && record.expired_at.is_none() => Ok(record),
        _ => Err(AppError::NotFound("file")),
    }
}

/// A short-lived link that downloads the file without a token, for browsers.
#[utoipa::path(post, path = "/files/{id}/link", tag = "files",
    params(("id" = Uuid, Path, description = "file id")),
    responses((status = 200, body = DownloadLink), (status = 404, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn download_link(
    State(state): State<AppState>,
    auth: AuthParty,
    Path(file_id): Path<Uuid>,
) -> AppResult<Json<DownloadLink>> {
    let record = shared_file(&state, file_id).await?;
    auth.session(&state, record.session_id).await?;
    let expires_at = state.now() + LINK_LIFETIME_MS;
    let signature = state
        .keys
        .sign(Purpose::DownloadLink, &link_message(file_id, expires_at));
    let ticket = format!("{expires_at}.{}", hex::encode(signature));
    let url = format!("/api/v1/files/{file_id}/content?ticket={ticket}");
    Ok(Json(DownloadLink { url, expires_at }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct DownloadQuery {
    /// From a download link; otherwise send a bearer token.
    ticket: Option<String>,
}

/// The file's bytes. Supports `Range`, so an interrupted download resumes.
#[utoipa::path(get, path = "/files/{id}/content", tag = "files",
    params(("id" = Uuid, Path, description = "file id"), DownloadQuery),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
              (status = 206, description = "the requested range"),
              (status = 416, body = lifeline_protocol::ApiError),
              (status = 404, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn download(
    State(state): State<AppState>,
    auth: Option<AuthParty>,
    Path(file_id): Path<Uuid>,
    Query(query): Query<DownloadQuery>,
    request: Request,
) -> AppResult<Response> {
    let record = shared_file(&state, file_id).await?;
    match (&query.ticket, &auth) {
        (Some(ticket), _) if ticket_valid(&state, file_id, ticket) => {}
        (Some(_), _) => {
            return Err(AppError::Forbidden(
                "this download link has expired; ask for a new one".into(),
            ));
        }
        (None, Some(auth)) => {
            auth.session(&state, record.session_id).await?;
        }
        (None, None) => return Err(AppError::Unauthorized),
    }
    let request = check_range(request, record.size())?;
    let mut response = match &state.files {
        FileStore::Folder(folder) => {
            // 1 MiB reads: the default 64 KiB costs a blocking-pool hop per chunk.
            let served = ServeFile::new(folder.path(record.session_id, record.id))
                .with_buf_chunk_size(1 << 20)
                .oneshot(request)
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("serving a file: {e}")))?;
            let response = served.into_response();
            if response.status() == StatusCode::NOT_FOUND {
                return Err(AppError::NotFound("file"));
            }
            response
        }
        FileStore::Shared(shared) => {
            // Owned: the request's body can't be held across an await.
            let range = request
                .headers()
                .get(header::RANGE)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            drop(request);
            serve_shared(&state, shared, &record, range.as_deref()).await?
        }
    };
    if let Some(length) = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok())
    {
        state
            .metrics
            .relayed(crate::metrics::Relayed::FileDownload, length);
    }
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    if let Ok(value) = HeaderValue::from_str(&content_disposition(&record.name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Ok(value) = HeaderValue::from_str(&record.sha256) {
        headers.insert("x-content-sha256", value);
    }
    Ok(response)
}

/// What `ServeFile` does for the folder, from the shared store's parts: the whole file,
/// or the one range [`check_range`] left in the request.
async fn serve_shared(
    state: &AppState,
    shared: &super::SharedFiles,
    record: &FileRecord,
    range: Option<&str>,
) -> AppResult<Response> {
    let size = record.size();
    let (status, first, end) = match lifeline_protocol::range::plan(range, size) {
        RangePlan::Part { first, last } => (StatusCode::PARTIAL_CONTENT, first, last + 1),
        RangePlan::Whole => (StatusCode::OK, 0, size),
        RangePlan::Unsatisfiable => return Err(AppError::RangeNotSatisfiable { size }),
    };
    let bytes = shared.read(&state.store, record, first, end).await?;
    let mut response = Response::new(axum::body::Body::from_stream(bytes));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(end - first));
    headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if status == StatusCode::PARTIAL_CONTENT {
        let content_range = format!("bytes {first}-{}/{size}", end - 1);
        headers.insert(
            header::CONTENT_RANGE,
            HeaderValue::from_str(&content_range).map_err(|e| AppError::Internal(e.into()))?,
        );
    }
    Ok(response)
}
