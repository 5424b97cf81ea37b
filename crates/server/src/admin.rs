//! Admins manage the technicians of their company. The CLI uses the same functions.

use axum::extract::State;
use axum::http::StatusCode;
use lifeline_protocol::{NewTechnician, TechnicianProfile, UpdateTechnician, MAX_NAME_CHARS};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::auth::routes_profile as profile;
use crate::auth::{hash_password, validate_new_password, AuthAdmin};
use crate::contact::EmailAddress;
use crate::error::{AppError, AppResult, Json, Path};
use crate::state::AppState;
use crate::store::{NewTechnicianRecord, Store, TechnicianRecord};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_technicians, create_technician))
        .routes(routes!(update_technician))
}

/// Validates and adds a technician; shared by the API and `lifeline-server technician add`.
pub async fn add_technician(
    store: &Store,
    company_name: &str,
    new: NewTechnician,
    now: i64,
) -> AppResult<TechnicianRecord> {
    let address = EmailAddress::parse(&new.email)?;
    let email = address.as_str();
    let display_name = lifeline_protocol::text::clean_label(&new.display_name);
    let display_name = display_name.as_str();
    if display_name.is_empty() || display_name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::invalid(format!(
            "the display name needs 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    validate_new_password(new.password.expose(), &[email, display_name, company_name])?;
    let password_hash = hash_password(new.password).await?;
    let inserted = store
        .insert_technician(NewTechnicianRecord {
            company_name,
            email,
            display_name,
            password_hash: &password_hash,
            is_admin: new.is_admin,
            now,
        })
        .await;
    match inserted {
        Ok(record) => Ok(record),
        Err(err) if err.is_unique_violation() => Err(AppError::Conflict(format!(
            "a technician with the email {email} exists already"
        ))),
        Err(err) => Err(AppError::Internal(err.into())),
    }
}

/// The technicians of the admin's company.
#[utoipa::path(get, path = "/admin/technicians", tag = "admin",
    responses((status = 200, body = Vec<TechnicianProfile>), (status = 403, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn list_technicians(
    State(state): State<AppState>,
    AuthAdmin(admin): AuthAdmin,
) -> AppResult<Json<Vec<TechnicianProfile>>> {
    let technicians = state
        .store
        .technicians_of_company(Some(admin.company_id))
        .await?;
    Ok(Json(technicians.iter().map(profile).collect()))
}

/// Adds a technician to the admin's company.
#[utoipa::path(post, path = "/admin/technicians", tag = "admin", request_body = NewTechnician,
    responses((status = 201, body = TechnicianProfile), (status = 409, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn create_technician(
    State(state): State<AppState>,
    AuthAdmin(admin): AuthAdmin,
    Json(request): Json<NewTechnician>,
) -> AppResult<(StatusCode, Json<TechnicianProfile>)> {
    let record = add_technician(&state.store, &admin.company_name, request, state.now()).await?;
    tracing::info!(technician = %record.id, by = %admin.id, "technician added");
    Ok((StatusCode::CREATED, Json(profile(&record))))
}

/// Disables (signing them out everywhere) or re-enables a technician.
#[utoipa::path(patch, path = "/admin/technicians/{id}", tag = "admin", request_body = UpdateTechnician,
    params(("id" = Uuid, Path, description = "technician id")),
    responses((status = 200, body = TechnicianProfile), (status = 404, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn update_technician(
    State(state): State<AppState>,
    AuthAdmin(admin): AuthAdmin,
    Path(id): Path<Uuid>,
    Json(request): Json<UpdateTechnician>,
) -> AppResult<Json<TechnicianProfile>> {
    let target = match state.store.technician(id).await? {
        Some(t) if t.company_id == admin.company_id => t,
        _ => return Err(AppError::NotFound("technician")),
    };
    if target.id == admin.id && request.disabled {
        return Err(AppError::Conflict(
            "you cannot disable your own account".into(),
        ));
    }
    state
        .store
        .set_technician_disabled(target.id, request.disabled)
        .await?;
    if request.disabled {
        // Their open connections close now, not when their tokens run out.
        state
            .hub
            .end_sign_in(target.id, crate::realtime::SignInEnded::Disabled);
        tracing::info!(technician = %target.id, "technician disabled");
    }
    let updated = state
        .store
        .technician(id)
        .await?
        .ok_or(AppError::NotFound("technician"))?;
    Ok(Json(profile(&updated)))
}
