use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use axum::http::request::Parts;
use lifeline_protocol::Party;
use uuid::Uuid;

use super::tokens;
use crate::error::AppError;
use crate::state::AppState;
use crate::store::AdhocState;
use crate::store::{SessionRecord, TechnicianRecord, TokenKind};

fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

/// A signed-in, enabled technician.
pub struct AuthTechnician(pub TechnicianRecord);

/// A signed-in technician and the sign-in (token family) the request was made in.
pub struct AuthSignIn(pub TechnicianRecord, pub crate::store::TokenRecord);

impl<S> FromRequestParts<S> for AuthSignIn
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = bearer(parts).ok_or(AppError::Unauthorized)?;
        let (technician, sign_in) = any_technician_sign_in(&state, token).await?;
        if !setup_route(parts) {
            refuse_until_set_up(&technician)?;
        }
        Ok(AuthSignIn(technician, sign_in))
    }
}

/// A signed-in technician who is an admin.
pub struct AuthAdmin(pub TechnicianRecord);

/// The end user of one session.
pub struct AuthEndUser(pub SessionRecord);

/// Either party; for routes both may call, such as chat and files.
pub enum AuthParty {
    Technician(TechnicianRecord),
    EndUser(SessionRecord),
}

impl AuthParty {
    pub fn party(&self) -> Party {
        match self {
            AuthParty::Technician(_) => Party::Technician,
            AuthParty::EndUser(_) => Party::EndUser,
        }
    }
}

/// Resolves a technician access token.
pub async fn technician_for_token(
    state: &AppState,
    token: &str,
) -> Result<TechnicianRecord, AppError> {
    technician_sign_in_for_token(state, token)
        .await
        .map(|(technician, _)| technician)
}

/// The technician and the sign-in an access token belongs to, held back while their
/// company requires a second factor they have not set up: everything but their own
/// profile and its setup (`/api/v1/me…`) then answers `second_factor_setup_required`.
pub async fn technician_sign_in_for_token(
    state: &AppState,
    token: &str,
) -> Result<(TechnicianRecord, crate::store::TokenRecord), AppError> {
    let (technician, sign_in) = any_technician_sign_in(state, token).await?;
    refuse_until_set_up(&technician)?;
    Ok((technician, sign_in))
}

fn refuse_until_set_up(technician: &TechnicianRecord) -> Result<(), AppError> {
    if technician.company_requires_second_factor && !technician.second_factor {
        return Err(AppError::SecondFactorSetupRequired);
    }
    Ok(())
}

/// Whether a route is one a technician may use while setting up a required second
/// factor: their own profile, password and second factor.
fn setup_route(parts: &Parts) -> bool {
    // Nested routers see their path without the prefix; the original has it.
    let path = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(parts.uri.path(), |original| original.0.path());
    path == "/api/v1/me" || path.starts_with("/api/v1/me/")
}

/// The technician and the sign-in (token family, expiry) an access token belongs to,
/// whether or not a required second factor is set up.
async fn any_technician_sign_in(
    state: &AppState,
    token: &str,
) -> Result<(TechnicianRecord, crate::store::TokenRecord), AppError> {
    if !token.starts_with(tokens::ACCESS_PREFIX) {
        return Err(AppError::Unauthorized);
    }
    let (technician, record) = state
        .store
        .token_with_technician(&tokens::hash(token), TokenKind::Access)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if record.revoked || record.expires_at <= state.now() {
        return Err(AppError::Unauthorized);
    }
    if technician.disabled {
        return Err(AppError::Forbidden(
            "this technician account is disabled".into(),
        ));
    }
    Ok((technician, record))
}

/// Resolves an end-user token to its session.
pub async fn session_for_end_user_token(
    state: &AppState,
    token: &str,
) -> Result<SessionRecord, AppError> {
    if !token.starts_with(tokens::END_USER_PREFIX) {
        return Err(AppError::Unauthorized);
    }
    let session = state
        .store
        .session_by_end_user_token(&tokens::hash(token))
        .await?
        .ok_or(AppError::Unauthorized)?;
    // The token ends with its session: what the page already shows stays there, but
    // nothing more can be read, sent or downloaded with it.
    match crate::sessions::status(&session, state.now()) {
        lifeline_protocol::SessionStatus::Ended | lifeline_protocol::SessionStatus::Expired => {
            Err(AppError::SessionEnded)
        }
        lifeline_protocol::SessionStatus::Waiting | lifeline_protocol::SessionStatus::Active => {
            Ok(session)
        }
    }
}

impl<S> FromRequestParts<S> for AuthTechnician
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = bearer(parts).ok_or(AppError::Unauthorized)?;
        let (technician, _) = any_technician_sign_in(&state, token).await?;
        if !setup_route(parts) {
            refuse_until_set_up(&technician)?;
        }
        Ok(AuthTechnician(technician))
    }
}

impl<S> FromRequestParts<S> for AuthAdmin
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let AuthTechnician(technician) = AuthTechnician::from_request_parts(parts, state).await?;
        if !technician.is_admin {
            return Err(AppError::Forbidden("only an admin may do this".into()));
        }
        Ok(AuthAdmin(technician))
    }
}

impl<S> FromRequestParts<S> for AuthEndUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = bearer(parts).ok_or(AppError::Unauthorized)?;
        session_for_end_user_token(&state, token)
            .await
            .map(AuthEndUser)
    }
}

impl<S> FromRequestParts<S> for AuthParty
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = bearer(parts).ok_or(AppError::Unauthorized)?;
        if token.starts_with(tokens::END_USER_PREFIX) {
            session_for_end_user_token(&state, token)
                .await
                .map(AuthParty::EndUser)
        } else {
            technician_for_token(&state, token)
                .await
                .map(AuthParty::Technician)
        }
    }
}

impl AuthParty {
    /// Loads the session and checks this party belongs to it.
    pub async fn session(
        &self,
        state: &AppState,
        session_id: Uuid,
    ) -> Result<SessionRecord, AppError> {
        match self {
            AuthParty::Technician(technician) => {
                crate::sessions::owned_session(state, technician, session_id).await
            }
            AuthParty::EndUser(session) if session.id == session_id => {
                // Re-read: the extractor's copy may predate a change by the other side.
                state
                    .store
                    .session(session_id)
                    .await?
                    .ok_or(AppError::NotFound("session"))
            }
            AuthParty::EndUser(_) => Err(AppError::NotFound("session")),
        }
    }
}

/// Resolves an agent token to its ad-hoc session, while that session is active.
pub async fn adhoc_for_agent_token(
    state: &AppState,
    token: &str,
) -> Result<crate::store::AdhocRecord, AppError> {
    if !token.starts_with(tokens::AGENT_PREFIX) {
        return Err(AppError::Unauthorized);
    }
    let record = state
        .store
        .adhoc_by_agent_token(&tokens::hash(token), state.now())
        .await?
        .ok_or(AppError::Unauthorized)?;
    if record.status != AdhocState::Active {
        return Err(AppError::SessionEnded);
    }
    Ok(record)
}

/// The support-session app of an active ad-hoc session.
pub struct AuthAgent(pub crate::store::AdhocRecord);

impl<S> FromRequestParts<S> for AuthAgent
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = bearer(parts).ok_or(AppError::Unauthorized)?;
        adhoc_for_agent_token(&state, token).await.map(AuthAgent)
    }
}

/// The peer's address, for per-IP rate limits.
pub struct ClientIp(pub IpAddr);

impl<S> FromRequestParts<S> for ClientIp
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
            .unwrap_or(IpAddr::from([0, 0, 0, 0]));
        Ok(ClientIp(crate::client_ip::client_ip(
            peer,
            &parts.headers,
            &state.config.trusted_proxies,
        )))
    }
}

impl<S> axum::extract::OptionalFromRequestParts<S> for AuthParty
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    /// No Authorization header is "no party"; a bad one is still an error.
    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        if bearer(parts).is_none() {
            return Ok(None);
        }
        <AuthParty as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(Some)
    }
}

/// Resolves an attended app's token to its session: not revoked, session open.
pub async fn attended_for_token(
    state: &AppState,
    token: &str,
) -> Result<crate::store::AttendedRecord, AppError> {
    if !token.starts_with(tokens::ATTENDED_PREFIX) {
        return Err(AppError::Unauthorized);
    }
    let record = state
        .store
        .attended(&tokens::hash(token))
        .await?
        .ok_or(AppError::Unauthorized)?;
    crate::sessions::ensure_open(&record.session, state.now())?;
    Ok(record)
}

/// The attended app the end user of a keyed session runs, with its token's hash (to
/// mark or revoke it).
pub struct AuthAttended {
    pub record: crate::store::AttendedRecord,
    pub token_hash: tokens::TokenHash,
}

impl<S> FromRequestParts<S> for AuthAttended
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let token = bearer(parts).ok_or(AppError::Unauthorized)?;
        let record = attended_for_token(&state, token).await?;
        Ok(AuthAttended {
            record,
            token_hash: tokens::hash(token),
        })
    }
}
