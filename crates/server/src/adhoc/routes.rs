use axum::extract::State;
use axum::http::StatusCode;
use lifeline_protocol::{
    AdhocPolicy, AdhocSessionSummary, ComputerGroup, LicenceSlots, NewComputerGroup,
    PrepareAdhocRequest, SetLicenceSlots, MAX_NAME_CHARS,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{computer_summary, summary};
use crate::auth::{AuthAdmin, AuthAgent, AuthTechnician};
use crate::contact::EmailAddress;
use crate::error::{AppError, AppResult, Json, Path};
use crate::invites::EmailMessage;
use crate::language::Language;
use crate::state::AppState;
use crate::store::{NewAdhoc, NewOutboxEntry, PrepareOutcome, TechnicianRecord};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(prepare, list_adhoc))
        .routes(routes!(end_adhoc))
        .routes(routes!(computers))
        .routes(routes!(create_group))
        .routes(routes!(get_slots, set_slots))
        .routes(routes!(get_policy, set_policy))
        .routes(routes!(agent_session))
        .routes(routes!(agent_end))
}

/// The agent's own session: who helps, and until when.
#[utoipa::path(get, path = "/agent/session", tag = "adhoc",
    responses((status = 200, body = AdhocSessionSummary), (status = 410, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn agent_session(AuthAgent(record): AuthAgent) -> Json<AdhocSessionSummary> {
    Json(summary(&record))
}

/// The person at the computer ends the session; the agent then removes itself.
#[utoipa::path(post, path = "/agent/end", tag = "adhoc",
    responses((status = 200, body = AdhocSessionSummary), (status = 410, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn agent_end(
    State(state): State<AppState>,
    AuthAgent(record): AuthAgent,
) -> AppResult<Json<AdhocSessionSummary>> {
    let ended = super::end(&state, record.id).await?;
    tracing::info!(adhoc = %record.id, "ad-hoc session ended at the computer");
    Ok(Json(ended))
}

fn invite_email(
    locale: Option<&str>,
    technician: &TechnicianRecord,
    link: &str,
) -> (String, String) {
    let name = &technician.display_name;
    let company = &technician.company_name;
    if Language::from_locale(locale) == Language::German {
        (
            format!("{name} hilft Ihnen aus der Ferne: so geht es"),
            format!(
                "{name} ({company}) möchte Ihnen über eine Ad-hoc-Supportsitzung helfen.\n\n\
                 1. Laden Sie die Supportsitzungs-App herunter: {link}\n\
                 2. Starten Sie die App.\n\
                 3. Geben Sie den Sicherheitscode ein, den {name} Ihnen vorliest.\n\n\
                 Die Sitzung gilt 24 Stunden ab der Aktivierung. Sie können sie in der App \
                 jederzeit mit „Sitzung beenden“ schließen; danach entfernt die App alles, was \
                 sie angelegt hat."
            ),
        )
    } else {
        (
            format!("{name} will help you remotely: what to do"),
            format!(
                "{name} ({company}) would like to help you through an ad hoc support session.\n\n\
                 1. Download the support session app: {link}\n\
                 2. Start the app.\n\
                 3. Enter the security code that {name} reads to you.\n\n\
                 The session lasts 24 hours from activation. You can close it at any time with \
                 \"End session\" in the app; the app then removes everything it set up."
            ),
        )
    }
}

/// Prepares an ad-hoc session and emails the end user. The technician's client keeps the
/// security code and the password's verifier; the service gets the salt and cost only.
#[utoipa::path(post, path = "/adhoc", tag = "adhoc", request_body = PrepareAdhocRequest,
    responses((status = 201, body = AdhocSessionSummary), (status = 400, body = lifeline_protocol::ApiError),
              (status = 409, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn prepare(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Json(request): Json<PrepareAdhocRequest>,
) -> AppResult<(StatusCode, Json<AdhocSessionSummary>)> {
    let email = EmailAddress::parse(&request.email)?;
    lifeline_adhoc_key::check_params(&request.key_params)
        .map_err(|e| AppError::invalid(e.to_string()))?;
    let key_params =
        serde_json::to_string(&request.key_params).map_err(|e| AppError::Internal(e.into()))?;
    crate::invites::count_email(&state, technician.id).await?;
    // Reads see a lapsed session as expired at once, but the rule of one live session
    // per technician is an index over stored statuses: store what the sweep would
    // store within a second, so a session that just ran out doesn't stand in the way.
    super::expire_due(&state).await?;
    let now = state.now();
    let id = Uuid::new_v4();
    let outcome = state
        .store
        .prepare_adhoc(NewAdhoc {
            id,
            technician_id: technician.id,
            company_id: technician.company_id,
            end_user_email: email.as_str(),
            key_params: &key_params,
            code_expires_at: now + i64::from(state.config.limits.adhoc_prepare_hours) * 3_600_000,
            now,
        })
        .await?;
    let record = match outcome {
        PrepareOutcome::Prepared(record) => *record,
        PrepareOutcome::NoFreeSlot { total } => return Err(AppError::NoFreeSlot { total }),
        PrepareOutcome::TechnicianHasOne => {
            return Err(AppError::Conflict(
                "you already have an ad hoc session; end it before preparing another".into(),
            ))
        }
    };
    let base = state.config.public_url.as_str().trim_end_matches('/');
    let link = format!("{base}/adhoc/{id}");
    let (subject, body) = invite_email(request.locale.as_deref(), &technician, &link);
    if let Err(err) = state
        .delivery
        .email
        .send(EmailMessage {
            to: &email,
            subject: &subject,
            body: &body,
        })
        .await
    {
        // Nothing half-made: without the email the session is useless and holds a slot.
        state.store.delete_prepared_adhoc(id).await?;
        return Err(AppError::DeliveryFailed(err.to_string()));
    }
    state
        .store
        .insert_outbox(NewOutboxEntry {
            id: Uuid::new_v4(),
            channel: crate::store::OutboxChannel::Email,
            driver: state.delivery.email.name(),
            recipient: &record.end_user_email,
            subject: Some(&subject),
            body: &body,
            technician_id: technician.id,
            session_id: None,
            now,
        })
        .await?;
    tracing::info!(adhoc = %id, technician = %technician.id, "ad-hoc session prepared");
    Ok((StatusCode::CREATED, Json(summary(&record))))
}

/// The technician's ad-hoc sessions, newest first.
#[utoipa::path(get, path = "/adhoc", tag = "adhoc",
    responses((status = 200, body = Vec<AdhocSessionSummary>)), security(("bearer" = [])))]
async fn list_adhoc(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
) -> AppResult<Json<Vec<AdhocSessionSummary>>> {
    let records = state
        .store
        .adhoc_of_technician(technician.id, 100, state.now())
        .await?;
    Ok(Json(records.iter().map(summary).collect()))
}

/// Ends the session: the computer leaves its groups and the slot is free again.
#[utoipa::path(post, path = "/adhoc/{id}/end", tag = "adhoc",
    params(("id" = Uuid, Path, description = "ad-hoc session id")),
    responses((status = 200, body = AdhocSessionSummary), (status = 403, body = lifeline_protocol::ApiError), (status = 404, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn end_adhoc(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Path(id): Path<Uuid>,
) -> AppResult<Json<AdhocSessionSummary>> {
    let record = super::managed_by(&state, &technician, id).await?;
    super::end(&state, record.id).await.map(Json)
}

pub(super) fn clean(field: &str, value: &str) -> AppResult<String> {
    let value = lifeline_protocol::text::clean_label(value);
    let value = value.as_str();
    if value.is_empty() || value.chars().count() > MAX_NAME_CHARS * 2 {
        return Err(AppError::invalid(format!(
            "computer {field} must have 1 to {} characters",
            MAX_NAME_CHARS * 2
        )));
    }
    Ok(value.to_owned())
}

/// The company's computer groups, Ad Hoc Support Sessions first.
#[utoipa::path(get, path = "/computers", tag = "adhoc",
    responses((status = 200, body = Vec<ComputerGroup>)), security(("bearer" = [])))]
async fn computers(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
) -> AppResult<Json<Vec<ComputerGroup>>> {
    let groups = state
        .store
        .computer_groups(technician.company_id, state.now())
        .await?;
    Ok(Json(
        groups
            .into_iter()
            .map(|(group, computers)| ComputerGroup {
                id: group.id,
                name: group.name,
                system: group.system,
                computers: computers
                    .iter()
                    .map(|c| computer_summary(&state, c))
                    .collect(),
            })
            .collect(),
    ))
}

/// Creates a named computer group (admins).
#[utoipa::path(post, path = "/admin/computer-groups", tag = "adhoc", request_body = NewComputerGroup,
    responses((status = 201, body = ComputerGroup), (status = 409, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn create_group(
    State(state): State<AppState>,
    AuthAdmin(admin): AuthAdmin,
    Json(request): Json<NewComputerGroup>,
) -> AppResult<(StatusCode, Json<ComputerGroup>)> {
    let name = clean("group name", &request.name)
        .map_err(|_| AppError::invalid("a group name needs 1 to 160 characters"))?;
    match state
        .store
        .create_computer_group(admin.company_id, &name, state.now())
        .await
    {
        Ok(group) => Ok((
            StatusCode::CREATED,
            Json(ComputerGroup {
                id: group.id,
                name: group.name,
                system: false,
                computers: Vec::new(),
            }),
        )),
        Err(err) if err.is_unique_violation() => Err(AppError::Conflict(format!(
            "a group named {name:?} exists already"
        ))),
        Err(err) => Err(err.into()),
    }
}

async fn slots(state: &AppState, company_id: Uuid) -> AppResult<LicenceSlots> {
    let (total, used) = state.store.licence_slots(company_id, state.now()).await?;
    Ok(LicenceSlots {
        total: u32::try_from(total).unwrap_or(0),
        used: u32::try_from(used).unwrap_or(0),
    })
}

/// The company's ad-hoc licence slots and how many are in use.
#[utoipa::path(get, path = "/admin/licence-slots", tag = "adhoc",
    responses((status = 200, body = LicenceSlots)), security(("bearer" = [])))]
async fn get_slots(
    State(state): State<AppState>,
    AuthAdmin(admin): AuthAdmin,
) -> AppResult<Json<LicenceSlots>> {
    slots(&state, admin.company_id).await.map(Json)
}

/// Sets how many ad-hoc sessions the company may have at once.
#[utoipa::path(put, path = "/admin/licence-slots", tag = "adhoc", request_body = SetLicenceSlots,
    responses((status = 200, body = LicenceSlots)), security(("bearer" = [])))]
async fn set_slots(
    State(state): State<AppState>,
    AuthAdmin(admin): AuthAdmin,
    Json(request): Json<SetLicenceSlots>,
) -> AppResult<Json<LicenceSlots>> {
    if request.total > 10_000 {
        return Err(AppError::invalid("at most 10000 slots"));
    }
    state
        .store
        .set_licence_slots(admin.company_id, i64::from(request.total))
        .await?;
    slots(&state, admin.company_id).await.map(Json)
}

/// The company's ad-hoc policy: whether the person at the computer must allow a view.
#[utoipa::path(get, path = "/admin/adhoc-policy", tag = "adhoc",
    responses((status = 200, body = AdhocPolicy), (status = 403, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn get_policy(
    State(state): State<AppState>,
    AuthAdmin(admin): AuthAdmin,
) -> AppResult<Json<AdhocPolicy>> {
    let control_confirmation = state.store.control_confirmation(admin.company_id).await?;
    Ok(Json(AdhocPolicy {
        control_confirmation,
    }))
}

/// Sets the company's ad-hoc policy; connections made from now on follow it.
#[utoipa::path(put, path = "/admin/adhoc-policy", tag = "adhoc", request_body = AdhocPolicy,
    responses((status = 200, body = AdhocPolicy), (status = 403, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn set_policy(
    State(state): State<AppState>,
    AuthAdmin(admin): AuthAdmin,
    Json(policy): Json<AdhocPolicy>,
) -> AppResult<Json<AdhocPolicy>> {
    state
        .store
        .set_control_confirmation(admin.company_id, policy.control_confirmation)
        .await?;
    tracing::info!(company = %admin.company_id, policy = ?policy.control_confirmation, "ad hoc policy changed");
    Ok(Json(policy))
}
