//! Canned replies: each technician keeps their own, admins keep the company's for
//! everyone, and the service stores them so they follow the technician to any machine.
//! Filling in the variables is the technician's app's work, when it sends one.

use axum::extract::State;
use axum::http::StatusCode;
use lifeline_protocol::{
    CannedReply, ReplyScope, SaveCannedReply, MAX_CANNED_REPLIES, MAX_MESSAGE_CHARS,
    MAX_REPLY_TITLE_CHARS,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::AuthTechnician;
use crate::error::{AppError, AppResult, Json, Path};
use crate::state::AppState;
use crate::store::{ReplyContent, ReplyRecord, TechnicianRecord};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_replies, create_reply))
        .routes(routes!(update_reply, delete_reply))
}

fn may_edit(technician: &TechnicianRecord, record: &ReplyRecord) -> bool {
    match record.technician_id {
        Some(owner) => owner == technician.id,
        None => technician.is_admin,
    }
}

fn to_wire(technician: &TechnicianRecord, record: ReplyRecord) -> CannedReply {
    CannedReply {
        editable: may_edit(technician, &record),
        scope: if record.technician_id.is_some() {
            ReplyScope::Personal
        } else {
            ReplyScope::Company
        },
        id: record.id,
        title: record.title,
        text_en: record.text_en,
        text_de: record.text_de,
        author_name: record.author_name,
        updated_at: record.updated_at,
    }
}

/// A reply's content, cleaned and checked: a one-line title, texts with one kind of line
/// ending, each within the message limit, at least one of them not empty.
struct Checked {
    title: String,
    text_en: String,
    text_de: String,
}

impl Checked {
    fn content(&self) -> ReplyContent<'_> {
        ReplyContent {
            title: &self.title,
            text_en: &self.text_en,
            text_de: &self.text_de,
        }
    }
}

/// The reply as stored now, as this technician sees it.
async fn stored(
    state: &AppState,
    technician: &TechnicianRecord,
    id: Uuid,
) -> AppResult<CannedReply> {
    let record = state
        .store
        .canned_reply(id)
        .await?
        .ok_or(AppError::NotFound("canned reply"))?;
    Ok(to_wire(technician, record))
}

fn check(request: &SaveCannedReply) -> AppResult<Checked> {
    let title = lifeline_protocol::text::clean_label(&request.title);
    if title.is_empty() || title.chars().count() > MAX_REPLY_TITLE_CHARS {
        return Err(AppError::invalid(format!(
            "a reply's title needs 1 to {MAX_REPLY_TITLE_CHARS} characters"
        )));
    }
    let text_en = lifeline_protocol::text::normalize_line_endings(request.text_en.trim());
    let text_de = lifeline_protocol::text::normalize_line_endings(request.text_de.trim());
    if text_en.is_empty() && text_de.is_empty() {
        return Err(AppError::invalid(
            "a reply needs its text in English or German",
        ));
    }
    if text_en.chars().count() > MAX_MESSAGE_CHARS || text_de.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AppError::invalid(format!(
            "a reply's text may have at most {MAX_MESSAGE_CHARS} characters, as a message"
        )));
    }
    Ok(Checked {
        title,
        text_en,
        text_de,
    })
}

/// Whose list a reply of `scope` goes to; only admins keep the company's.
fn owner_for(technician: &TechnicianRecord, scope: ReplyScope) -> AppResult<Option<Uuid>> {
    match scope {
        ReplyScope::Personal => Ok(Some(technician.id)),
        ReplyScope::Company if technician.is_admin => Ok(None),
        ReplyScope::Company => Err(AppError::Forbidden(
            "only admins keep the company's canned replies".into(),
        )),
    }
}

async fn ensure_room(
    state: &AppState,
    technician: &TechnicianRecord,
    owner: Option<Uuid>,
) -> AppResult<()> {
    let kept = state
        .store
        .count_canned_replies(technician.company_id, owner)
        .await?;
    if usize::try_from(kept).unwrap_or(usize::MAX) >= MAX_CANNED_REPLIES {
        return Err(AppError::Conflict(format!(
            "a list holds at most {MAX_CANNED_REPLIES} canned replies; delete one first"
        )));
    }
    Ok(())
}

/// A reply this technician may change: their own, or the company's for an admin.
async fn editable(
    state: &AppState,
    technician: &TechnicianRecord,
    id: Uuid,
) -> AppResult<ReplyRecord> {
    match state.store.canned_reply(id).await? {
        Some(record)
            if record.company_id == technician.company_id
                && (record.technician_id.is_none()
                    || record.technician_id == Some(technician.id)) =>
        {
            if may_edit(technician, &record) {
                Ok(record)
            } else {
                Err(AppError::Forbidden(
                    "only admins change the company's canned replies".into(),
                ))
            }
        }
        _ => Err(AppError::NotFound("canned reply")),
    }
}

/// The technician's canned replies and the company's, by title.
#[utoipa::path(get, path = "/canned-replies", tag = "replies",
    responses((status = 200, body = Vec<CannedReply>)), security(("bearer" = [])))]
async fn list_replies(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
) -> AppResult<Json<Vec<CannedReply>>> {
    let records = state
        .store
        .canned_replies(technician.company_id, technician.id)
        .await?;
    Ok(Json(
        records
            .into_iter()
            .map(|record| to_wire(&technician, record))
            .collect(),
    ))
}

/// Adds a canned reply to the technician's list, or (admins) to the company's.
#[utoipa::path(post, path = "/canned-replies", tag = "replies", request_body = SaveCannedReply,
    responses((status = 201, body = CannedReply), (status = 403, body = lifeline_protocol::ApiError),
              (status = 409, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn create_reply(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Json(request): Json<SaveCannedReply>,
) -> AppResult<(StatusCode, Json<CannedReply>)> {
    let checked = check(&request)?;
    let owner = owner_for(&technician, request.scope)?;
    ensure_room(&state, &technician, owner).await?;
    let id = Uuid::new_v4();
    state
        .store
        .insert_canned_reply(
            id,
            technician.company_id,
            owner,
            technician.id,
            checked.content(),
            state.now(),
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(stored(&state, &technician, id).await?),
    ))
}

/// Changes a canned reply (its own technician, or an admin for the company's); its
/// scope may move between the technician's list and the company's (admins).
#[utoipa::path(put, path = "/canned-replies/{id}", tag = "replies", request_body = SaveCannedReply,
    params(("id" = Uuid, Path, description = "canned reply id")),
    responses((status = 200, body = CannedReply), (status = 403, body = lifeline_protocol::ApiError),
              (status = 404, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn update_reply(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Path(id): Path<Uuid>,
    Json(request): Json<SaveCannedReply>,
) -> AppResult<Json<CannedReply>> {
    let checked = check(&request)?;
    let record = editable(&state, &technician, id).await?;
    let owner = owner_for(&technician, request.scope)?;
    if owner != record.technician_id {
        ensure_room(&state, &technician, owner).await?;
    }
    state
        .store
        .update_canned_reply(id, owner, technician.id, checked.content(), state.now())
        .await?;
    Ok(Json(stored(&state, &technician, id).await?))
}

/// Deletes a canned reply (its own technician, or an admin for the company's).
#[utoipa::path(delete, path = "/canned-replies/{id}", tag = "replies",
    params(("id" = Uuid, Path, description = "canned reply id")),
    responses((status = 204), (status = 403, body = lifeline_protocol::ApiError),
              (status = 404, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn delete_reply(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Path(id): Path<Uuid>,
) -> AppResult<StatusCode> {
    editable(&state, &technician, id).await?;
    state.store.delete_canned_reply(id).await?;
    Ok(StatusCode::NO_CONTENT)
}
