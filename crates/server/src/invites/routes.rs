use axum::extract::State;
use lifeline_protocol::{
    EmailInviteRequest, InviteChannel, InviteSent, OutboxMessage, SessionStatus, SmsInviteRequest,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{EmailMessage, SmsDriver};
use crate::auth::{AuthAdmin, AuthTechnician};
use crate::contact::{EmailAddress, PhoneNumber};
use crate::error::{AppError, AppResult, Json, Path};
use crate::language::Language;
use crate::rate_limit::{self, Limit};
use crate::sessions::{owned_session, status, summary};
use crate::state::AppState;
use crate::store::{NewOutboxEntry, OutboxChannel, OutboxRecord, SessionRecord, TechnicianRecord};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(send_sms))
        .routes(routes!(send_email))
        .routes(routes!(list_outbox))
}

struct InviteText {
    subject: String,
    body: String,
}

fn invite_text(
    language: &Language,
    technician: &TechnicianRecord,
    link: &str,
    key: &str,
) -> InviteText {
    let name = &technician.display_name;
    let company = &technician.company_name;
    match language {
        Language::English => InviteText {
            subject: format!("Your support session with {name}"),
            body: format!(
                "{name} ({company}) invites you to a remote support session.\n\
                 Open this link to start the chat: {link}\n\
                 Or go to the join page and enter the support key {key}.\n\
                 Nothing needs to be installed."
            ),
        },
        Language::German => InviteText {
            subject: format!("Ihre Supportsitzung mit {name}"),
            body: format!(
                "{name} ({company}) lädt Sie zu einer Fernsupportsitzung ein.\n\
                 Öffnen Sie diesen Link, um den Chat zu starten: {link}\n\
                 Oder geben Sie auf der Beitrittsseite den Support-Schlüssel {key} ein.\n\
                 Es muss nichts installiert werden."
            ),
        },
    }
}

/// The session, if an invite still makes sense: waiting, key live.
async fn invitable(
    state: &AppState,
    technician: &TechnicianRecord,
    id: Uuid,
) -> AppResult<SessionRecord> {
    let session = owned_session(state, technician, id).await?;
    match status(&session, state.now()) {
        SessionStatus::Waiting => Ok(session),
        SessionStatus::Active => Err(AppError::Conflict("the end user has already joined".into())),
        SessionStatus::Ended => Err(AppError::SessionEnded),
        SessionStatus::Expired => Err(AppError::KeyExpired),
    }
}

/// Sends the join link by SMS to an E.164 number.
#[utoipa::path(post, path = "/sessions/{id}/invites/sms", tag = "invites", request_body = SmsInviteRequest,
    params(("id" = Uuid, Path, description = "session id")),
    responses((status = 200, body = InviteSent), (status = 400, body = lifeline_protocol::ApiError),
              (status = 429, body = lifeline_protocol::ApiError), (status = 502, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn send_sms(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Path(id): Path<Uuid>,
    Json(request): Json<SmsInviteRequest>,
) -> AppResult<Json<InviteSent>> {
    let to = PhoneNumber::parse(&request.to)?;
    let session = invitable(&state, &technician, id).await?;
    let bucket = format!("sms:technician:{}", technician.id);
    rate_limit::check(
        &state,
        &[Limit::per_hour(
            &bucket,
            state.config.limits.sms_per_technician_per_hour,
        )],
    )
    .await?;
    let summary = summary(&state, &session)?;
    let language = Language::from_locale(request.locale.as_deref());
    let text = invite_text(
        &language,
        &technician,
        &summary.join_url,
        &summary.support_key_display,
    );
    if let SmsDriver::Twilio(twilio) = &state.delivery.sms {
        twilio
            .send(to.as_str(), &text.body)
            .await
            .map_err(|e| AppError::DeliveryFailed(e.to_string()))?;
    }
    let invite = InviteSent {
        id: Uuid::new_v4(),
        channel: InviteChannel::Sms,
        to: to.as_str().to_owned(),
        sent_at: state.now(),
    };
    state
        .store
        .insert_outbox(NewOutboxEntry {
            id: invite.id,
            channel: OutboxChannel::Sms,
            driver: state.delivery.sms.name(),
            recipient: &invite.to,
            subject: None,
            body: &text.body,
            technician_id: technician.id,
            session_id: Some(session.id),
            now: invite.sent_at,
        })
        .await?;
    tracing::info!(session = %session.id, driver = state.delivery.sms.name(), "SMS invite sent");
    Ok(Json(invite))
}

/// Sends the join link by email (SMTP, or the outbox when SMTP is not configured).
#[utoipa::path(post, path = "/sessions/{id}/invites/email", tag = "invites", request_body = EmailInviteRequest,
    params(("id" = Uuid, Path, description = "session id")),
    responses((status = 200, body = InviteSent), (status = 400, body = lifeline_protocol::ApiError),
              (status = 502, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn send_email(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Path(id): Path<Uuid>,
    Json(request): Json<EmailInviteRequest>,
) -> AppResult<Json<InviteSent>> {
    let to = EmailAddress::parse(&request.to)?;
    let session = invitable(&state, &technician, id).await?;
    count_email(&state, technician.id).await?;
    let summary = summary(&state, &session)?;
    let language = Language::from_locale(request.locale.as_deref());
    let text = invite_text(
        &language,
        &technician,
        &summary.join_url,
        &summary.support_key_display,
    );
    state
        .delivery
        .email
        .send(EmailMessage {
            to: &to,
            subject: &text.subject,
            body: &text.body,
        })
        .await
        .map_err(|e| AppError::DeliveryFailed(e.to_string()))?;
    let invite = InviteSent {
        id: Uuid::new_v4(),
        channel: InviteChannel::Email,
        to: to.as_str().to_owned(),
        sent_at: state.now(),
    };
    state
        .store
        .insert_outbox(NewOutboxEntry {
            id: invite.id,
            channel: OutboxChannel::Email,
            driver: state.delivery.email.name(),
            recipient: &invite.to,
            subject: Some(&text.subject),
            body: &text.body,
            technician_id: technician.id,
            session_id: Some(session.id),
            now: invite.sent_at,
        })
        .await?;
    tracing::info!(session = %session.id, driver = state.delivery.email.name(), "email invite sent");
    Ok(Json(invite))
}

pub fn outbox_message(record: OutboxRecord) -> OutboxMessage {
    OutboxMessage {
        id: record.id,
        channel: record.channel.into(),
        to: record.recipient,
        body: record.body,
        technician_email: record.technician_email,
        created_at: record.created_at,
    }
}

/// Invites sent by this company's technicians, newest first (admins only).
#[utoipa::path(get, path = "/admin/outbox", tag = "admin",
    responses((status = 200, body = Vec<OutboxMessage>), (status = 403, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn list_outbox(
    State(state): State<AppState>,
    AuthAdmin(admin): AuthAdmin,
) -> AppResult<Json<Vec<OutboxMessage>>> {
    let records = state.store.outbox(Some(admin.company_id), 500).await?;
    Ok(Json(records.into_iter().map(outbox_message).collect()))
}

/// Counts one email against the technician's hourly budget, whatever the email is for
/// (session invites and ad-hoc invitations share it); refuses when it is spent.
pub async fn count_email(state: &AppState, technician_id: Uuid) -> AppResult<()> {
    let bucket = format!("email:technician:{technician_id}");
    rate_limit::check(
        state,
        &[Limit::per_hour(
            &bucket,
            state.config.limits.emails_per_technician_per_hour,
        )],
    )
    .await
}
