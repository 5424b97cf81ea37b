//! The REST side of screen views: the end user's side reports that it could not share.

use axum::extract::State;
use axum::http::StatusCode;
use lifeline_protocol::{EventData, Party, SessionEvent, ShareFailed};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::AuthEndUser;
use crate::error::{AppError, AppResult, Json, Path};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(share_failed))
}

/// The end user allowed a screen view, but the browser could not share (the picker was
/// cancelled, or it has no screen capture). Both sides see it; the consent is spent.
#[utoipa::path(post, path = "/sessions/{id}/screen-share/failed", tag = "media",
    request_body = ShareFailed,
    params(("id" = Uuid, Path, description = "session id")),
    responses((status = 201, body = SessionEvent), (status = 409, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn share_failed(
    State(state): State<AppState>,
    AuthEndUser(session): AuthEndUser,
    Path(id): Path<Uuid>,
    Json(failed): Json<ShareFailed>,
) -> AppResult<(StatusCode, Json<SessionEvent>)> {
    if session.id != id {
        return Err(AppError::NotFound("session"));
    }
    crate::sessions::ensure_open(&session, state.now())?;
    if !state.store.screen_consent_stands(id).await? {
        return Err(AppError::Conflict(
            "there is no screen view request to report on".into(),
        ));
    }
    if state.media.existing(id).and_then(|r| r.stream()).is_some() {
        return Err(AppError::Conflict(
            "the screen is being shared already".into(),
        ));
    }
    let data = EventData::ScreenShareFailed {
        reason: failed.reason,
    };
    let event =
        crate::sessions::record_event(&state, &session, Some(Party::EndUser), None, data).await?;
    Ok((StatusCode::CREATED, Json(event)))
}
