use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use lifeline_protocol::{
    CreateUpload, EventData, FileInfo, Party, UploadCreated, UploadStatus, UPLOAD_OFFSET_HEADER,
};
use sha2::{Digest, Sha256};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::sanitize_file_name;
use crate::auth::AuthParty;
use crate::error::{AppError, AppResult, Json, Path};
use crate::sessions::{ensure_open, record_event};
use crate::state::AppState;
use crate::store::{FileRecord, SessionRecord};

pub fn router() -> OpenApiRouter<AppState> {
    // Only the appends skip the JSON limit: they are bounded by the announced size and
    // streamed to disk. The announcement is JSON like every other body.
    let appends = OpenApiRouter::new()
        .routes(routes!(upload_offset, append_upload, cancel_upload))
        .layer(DefaultBodyLimit::disable());
    OpenApiRouter::new()
        .routes(routes!(create_upload))
        .merge(appends)
}

fn upload_url(file_id: Uuid) -> String {
    format!("/api/v1/files/{file_id}")
}

fn party_of(record: &FileRecord) -> Party {
    if record.uploader == Party::Technician {
        Party::Technician
    } else {
        Party::EndUser
    }
}

pub fn file_info(record: &FileRecord) -> FileInfo {
    FileInfo {
        id: record.id,
        name: record.name.clone(),
        size: record.size(),
        sha256: record.sha256.clone(),
        from: party_of(record),
    }
}

/// Announces an upload: name, exact size and SHA-256.
#[utoipa::path(post, path = "/sessions/{id}/files", tag = "files", request_body = CreateUpload,
    params(("id" = Uuid, Path, description = "session id")),
    responses((status = 201, body = UploadCreated), (status = 413, body = lifeline_protocol::ApiError),
              (status = 507, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn create_upload(
    State(state): State<AppState>,
    auth: AuthParty,
    Path(session_id): Path<Uuid>,
    Json(request): Json<CreateUpload>,
) -> AppResult<(StatusCode, Json<UploadCreated>)> {
    // The announcement's own form first: a malformed one is refused as such (400),
    // whatever the session's state.
    if i64::try_from(request.size).is_err() {
        return Err(AppError::invalid("size must be a whole number below 2^63"));
    }
    let sha256 = request.sha256.to_ascii_lowercase();
    if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::invalid(
            "sha256 must be 64 hexadecimal characters",
        ));
    }
    let session = auth.session(&state, session_id).await?;
    ensure_open(&session, state.now())?;
    let max = state.config.limits.max_upload_bytes;
    if request.size > max {
        return Err(AppError::PayloadTooLarge(format!(
            "the file has {} bytes; at most {max} bytes are allowed",
            request.size
        )));
    }
    super::storage::ensure_room(&state, session_id, request.size).await?;
    let record = FileRecord {
        id: Uuid::new_v4(),
        session_id,
        uploader: auth.party(),
        name: sanitize_file_name(&request.name),
        size: i64::try_from(request.size).map_err(|_| AppError::invalid("size is too large"))?,
        sha256,
        received: 0,
        complete: false,
        created_at: state.now(),
        expired_at: None,
    };
    state.files.create(&record).await?;
    state.store.insert_file(&record).await?;
    let created = UploadCreated {
        file_id: record.id,
        upload_url: upload_url(record.id),
        offset: 0,
    };
    if record.size == 0 {
        // Nothing to send: verify and share right away.
        finish(&state, &session, &record, None).await?;
    }
    Ok((StatusCode::CREATED, Json(created)))
}

/// The file and its session, if this party uploaded it.
async fn own_upload(
    state: &AppState,
    auth: &AuthParty,
    file_id: Uuid,
) -> AppResult<(FileRecord, SessionRecord)> {
    let record = state
        .store
        .file(file_id)
        .await?
        .ok_or(AppError::NotFound("upload"))?;
    let session = auth.session(state, record.session_id).await?;
    if record.uploader != auth.party() {
        return Err(AppError::NotFound("upload"));
    }
    Ok((record, session))
}

fn offset_headers(offset: u64, size: u64) -> [(&'static str, HeaderValue); 3] {
    [
        (UPLOAD_OFFSET_HEADER, HeaderValue::from(offset)),
        ("upload-length", HeaderValue::from(size)),
        ("cache-control", HeaderValue::from_static("no-store")),
    ]
}

/// How many bytes have arrived: resume from here after an interruption.
#[utoipa::path(head, path = "/files/{id}", tag = "files",
    params(("id" = Uuid, Path, description = "file id")),
    responses((status = 204, description = "Upload-Offset and Upload-Length headers")),
    security(("bearer" = [])))]
async fn upload_offset(
    State(state): State<AppState>,
    auth: AuthParty,
    Path(file_id): Path<Uuid>,
) -> AppResult<Response> {
    let (record, _) = own_upload(&state, &auth, file_id).await?;
    let offset = state.files.offset(&record).await?;
    Ok((
        StatusCode::NO_CONTENT,
        offset_headers(offset, record.size()),
    )
        .into_response())
}

/// Appends bytes at `Upload-Offset`. Completing the file checks its SHA-256.
#[utoipa::path(patch, path = "/files/{id}", tag = "files",
    params(("id" = Uuid, Path, description = "file id"),
           ("Upload-Offset" = u64, Header, description = "byte offset this body starts at")),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"),
    responses((status = 200, body = UploadStatus), (status = 409, body = lifeline_protocol::ApiError),
              (status = 413, body = lifeline_protocol::ApiError), (status = 422, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn append_upload(
    State(state): State<AppState>,
    auth: AuthParty,
    Path(file_id): Path<Uuid>,
    headers: HeaderMap,
    body: Body,
) -> AppResult<Response> {
    let (record, session) = own_upload(&state, &auth, file_id).await?;
    ensure_open(&session, state.now())?;
    if record.complete {
        return Err(AppError::Conflict("this upload is already complete".into()));
    }
    let offset: u64 = headers
        .get(UPLOAD_OFFSET_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| AppError::invalid("the Upload-Offset header is missing or not a number"))?;
    let Some(_guard) = state.uploads.try_lock(file_id) else {
        return Err(AppError::Conflict(
            "another append to this file is running".into(),
        ));
    };
    // The writer knows where the stored bytes end: no second look at the disk.
    let mut file = state.files.writer(&state.store, &record).await?;
    let stored = file.offset();
    if offset != stored {
        return Err(AppError::Conflict(format!(
            "the upload is at byte {stored}, not {offset}; resume from {stored}"
        )));
    }
    let size = record.size();
    // Hash while writing when the whole file comes in this request; otherwise re-read.
    let mut hasher = (offset == 0).then(Sha256::new);
    let mut received = offset;
    let mut stream = body.into_data_stream();
    let mut failure = None;
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(err) => {
                // The client went away; keep what arrived so it can resume.
                tracing::debug!(error = %err, file = %file_id, "upload interrupted");
                failure = Some(AppError::invalid(
                    "the upload was interrupted; resume from Upload-Offset",
                ));
                break;
            }
        };
        let room = usize::try_from(size - received).unwrap_or(usize::MAX);
        let take = chunk.len().min(room);
        file.write(&chunk[..take]).await?;
        if let Some(h) = hasher.as_mut() {
            h.update(&chunk[..take]);
        }
        received += take as u64;
        state
            .metrics
            .relayed(crate::metrics::Relayed::FileUpload, take as u64);
        if take < chunk.len() {
            failure = Some(AppError::PayloadTooLarge(format!(
                "the body goes past the announced size of {size} bytes"
            )));
            break;
        }
    }
    // What arrived counts even when the body broke off, so the upload can resume.
    let received = file.finish().await?;
    if let Some(err) = failure {
        return Err(err);
    }
    let mut status = UploadStatus {
        offset: received,
        size,
        file: None,
    };
    if received == size {
        let digest = hasher.map(|h| hex::encode(h.finalize()));
        status.file = Some(finish(&state, &session, &record, digest).await?);
    }
    Ok((
        StatusCode::OK,
        offset_headers(received, size),
        axum::Json(status),
    )
        .into_response())
}

/// Checks the SHA-256 and shares the file; a mismatch deletes it.
async fn finish(
    state: &AppState,
    session: &SessionRecord,
    record: &FileRecord,
    digest: Option<String>,
) -> AppResult<FileInfo> {
    let digest = match digest {
        Some(digest) => digest,
        None => state.files.hash(&state.store, record).await?,
    };
    if digest != record.sha256 {
        tracing::warn!(file = %record.id, "upload failed its checksum; deleted");
        state.files.delete(&state.store, record).await?;
        state.store.delete_file(record.id).await?;
        return Err(AppError::ChecksumMismatch);
    }
    let info = file_info(record);
    if state.store.complete_file(record.id).await? {
        let author = Some(party_of(record));
        record_event(
            state,
            session,
            author,
            Some(record.id),
            EventData::FileShared { file: info.clone() },
        )
        .await?;
    }
    Ok(info)
}

/// Cancels an unfinished upload and deletes what arrived.
#[utoipa::path(delete, path = "/files/{id}", tag = "files",
    params(("id" = Uuid, Path, description = "file id")),
    responses((status = 204, description = "cancelled"), (status = 409, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn cancel_upload(
    State(state): State<AppState>,
    auth: AuthParty,
    Path(file_id): Path<Uuid>,
) -> AppResult<StatusCode> {
    let (record, _) = own_upload(&state, &auth, file_id).await?;
    if record.complete {
        return Err(AppError::Conflict(
            "a shared file cannot be cancelled".into(),
        ));
    }
    let Some(_guard) = state.uploads.try_lock(file_id) else {
        return Err(AppError::Conflict(
            "an append to this file is running; retry after it stops".into(),
        ));
    };
    state.files.delete(&state.store, &record).await?;
    state.store.delete_file(file_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
