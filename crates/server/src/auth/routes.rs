use axum::http::StatusCode;
use lifeline_protocol::{
    ChangePassword, LoginRequest, RefreshRequest, TechnicianProfile, TokenPair,
};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::extract::{AuthSignIn, AuthTechnician, ClientIp};
use super::password::{burn_verification_time, verify_password};
use super::tokens::{self, ACCESS_PREFIX, REFRESH_PREFIX};
use crate::error::{AppError, AppResult, Json};
use crate::state::AppState;
use crate::store::{NewToken, TechnicianRecord, TokenKind};
use crate::throttle::{self, Guess};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .merge(super::second_factor::router())
}

pub fn profile(technician: &TechnicianRecord) -> TechnicianProfile {
    TechnicianProfile {
        id: technician.id,
        email: technician.email.clone(),
        display_name: technician.display_name.clone(),
        company_name: technician.company_name.clone(),
        is_admin: technician.is_admin,
        disabled: technician.disabled,
        second_factor: technician.second_factor,
        second_factor_required: technician.company_requires_second_factor,
    }
}

/// The moment a sign-in that began at `signed_in_at` ends for good: refreshing does not
/// carry it further, the password is asked again.
pub(crate) fn sign_in_ends_at(state: &AppState, signed_in_at: i64) -> i64 {
    signed_in_at + i64::from(state.config.limits.sign_in_days) * 86_400_000
}

/// A new token pair of the sign-in `family_id`, which began at `signed_in_at`. Neither
/// token outlives the sign-in.
pub(crate) async fn issue_tokens(
    state: &AppState,
    technician: &TechnicianRecord,
    family_id: Uuid,
    signed_in_at: i64,
) -> AppResult<TokenPair> {
    let now = state.now();
    let limits = &state.config.limits;
    let ends_at = sign_in_ends_at(state, signed_in_at);
    let access_token = tokens::generate(ACCESS_PREFIX);
    let refresh_token = tokens::generate(REFRESH_PREFIX);
    let access_expires_at = (now + i64::from(limits.access_token_minutes) * 60_000).min(ends_at);
    let refresh_expires_at = (now + i64::from(limits.refresh_token_days) * 86_400_000).min(ends_at);
    for (token, kind, expires_at) in [
        (&access_token, TokenKind::Access, access_expires_at),
        (&refresh_token, TokenKind::Refresh, refresh_expires_at),
    ] {
        state
            .store
            .insert_token(NewToken {
                token_hash: &tokens::hash(token),
                kind,
                technician_id: technician.id,
                family_id,
                expires_at,
                signed_in_at,
                now,
            })
            .await?;
    }
    Ok(TokenPair {
        access_token: access_token.into(),
        access_expires_at,
        refresh_token: refresh_token.into(),
        refresh_expires_at,
        technician: profile(technician),
    })
}

/// Signs a technician in.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = lifeline_protocol::ApiError),
              (status = 429, body = lifeline_protocol::ApiError)))]
async fn login(
    axum::extract::State(state): axum::extract::State<AppState>,
    ClientIp(ip): ClientIp,
    Json(request): Json<LoginRequest>,
) -> AppResult<Json<TokenPair>> {
    let email = request.email.trim();
    let attempt = throttle::admit(&state, Guess::SignIn, ip, Some(email)).await?;
    let Some(technician) = state.store.technician_by_email(email).await? else {
        burn_verification_time(request.password.clone()).await?;
        throttle::failed(&state, &attempt).await?;
        return Err(wrong_credentials());
    };
    let matches =
        verify_password(request.password.clone(), technician.password_hash.clone()).await?;
    if !matches {
        tracing::info!(technician = %technician.id, "failed sign-in");
        throttle::failed(&state, &attempt).await?;
        return Err(wrong_credentials());
    }
    if technician.second_factor {
        // The password was right; the second factor decides, and a wrong one counts as
        // a failed guess like a wrong password.
        let Some(given) = &request.second_factor else {
            return Err(AppError::SecondFactorRequired);
        };
        if !super::second_factor::check(&state, &technician, given).await? {
            throttle::failed(&state, &attempt).await?;
            return Err(AppError::SecondFactorInvalid);
        }
    }
    throttle::succeeded(&state, &attempt).await?;
    if technician.disabled {
        return Err(AppError::Forbidden(
            "this technician account is disabled".into(),
        ));
    }
    tracing::info!(technician = %technician.id, "signed in");
    issue_tokens(&state, &technician, Uuid::new_v4(), state.now())
        .await
        .map(Json)
}

fn wrong_credentials() -> AppError {
    AppError::InvalidCredentials
}

/// Trades a refresh token for a new pair; the old refresh token stops working.
/// Presenting an already-rotated refresh token revokes the whole sign-in.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = lifeline_protocol::ApiError)))]
async fn refresh(
    axum::extract::State(state): axum::extract::State<AppState>,
    Json(request): Json<RefreshRequest>,
) -> AppResult<Json<TokenPair>> {
    let token_hash = tokens::hash(request.refresh_token.expose());
    let record = state
        .store
        .token(&token_hash, TokenKind::Refresh)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if record.revoked {
        tracing::warn!(technician = %record.technician_id, "refresh token reused; revoking its sign-in");
        end_sign_in(&state, &record).await?;
        return Err(AppError::Unauthorized);
    }
    // First the sign-in's end, which no refresh passes (its tokens end there too), so
    // the client can say why the password is asked again.
    if sign_in_ends_at(&state, record.signed_in_at) <= state.now() {
        return Err(AppError::UnauthorizedBecause(
            "this sign-in is too old to renew; sign in with your password again",
        ));
    }
    if record.expires_at <= state.now() {
        return Err(AppError::Unauthorized);
    }
    if !state.store.revoke_token(&token_hash).await? {
        // Another request rotated it first: treat as reuse.
        end_sign_in(&state, &record).await?;
        return Err(AppError::Unauthorized);
    }
    let technician = state
        .store
        .technician(record.technician_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if technician.disabled {
        return Err(AppError::Forbidden(
            "this technician account is disabled".into(),
        ));
    }
    issue_tokens(&state, &technician, record.family_id, record.signed_in_at)
        .await
        .map(Json)
}

/// Signs out: the refresh token and every access token of this sign-in stop working.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", request_body = RefreshRequest,
    responses((status = 204, description = "signed out")))]
async fn logout(
    axum::extract::State(state): axum::extract::State<AppState>,
    Json(request): Json<RefreshRequest>,
) -> AppResult<StatusCode> {
    if let Some(record) = state
        .store
        .token(
            &tokens::hash(request.refresh_token.expose()),
            TokenKind::Refresh,
        )
        .await?
    {
        end_sign_in(&state, &record).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Revokes every token of one sign-in and closes the connections it opened.
async fn end_sign_in(state: &AppState, record: &crate::store::TokenRecord) -> AppResult<()> {
    state.store.revoke_family(record.family_id).await?;
    state.hub.end_sign_in(
        record.technician_id,
        crate::realtime::SignInEnded::SignedOut {
            family_id: record.family_id,
        },
    );
    Ok(())
}

/// The signed-in technician.
#[utoipa::path(get, path = "/me", tag = "auth",
    responses((status = 200, body = TechnicianProfile), (status = 401, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn me(AuthTechnician(technician): AuthTechnician) -> Json<TechnicianProfile> {
    Json(profile(&technician))
}

/// Changes the signed-in technician's password. The current one is checked (and wrong
/// ones count as failed sign-ins); every other sign-in of theirs ends at once.
#[utoipa::path(post, path = "/me/password", tag = "auth", request_body = ChangePassword,
    responses((status = 204, description = "changed"), (status = 400, body = lifeline_protocol::ApiError),
              (status = 403, body = lifeline_protocol::ApiError), (status = 429, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn change_password(
    axum::extract::State(state): axum::extract::State<AppState>,
    ClientIp(ip): ClientIp,
    AuthSignIn(technician, sign_in): AuthSignIn,
    Json(request): Json<ChangePassword>,
) -> AppResult<StatusCode> {
    let attempt = throttle::admit(&state, Guess::SignIn, ip, Some(&technician.email)).await?;
    let matches = verify_password(
        request.current_password.clone(),
        technician.password_hash.clone(),
    )
    .await?;
    if !matches {
        throttle::failed(&state, &attempt).await?;
        return Err(AppError::CurrentPasswordWrong);
    }
    throttle::succeeded(&state, &attempt).await?;
    if request.new_password == request.current_password {
        return Err(AppError::invalid(
            "the new password must differ from the current one",
        ));
    }
    super::password::validate_new_password(
        request.new_password.expose(),
        &[
            &technician.email,
            &technician.display_name,
            &technician.company_name,
        ],
    )?;
    let hash = super::password::hash_password(request.new_password).await?;
    state
        .store
        .set_technician_password(technician.id, &hash, sign_in.family_id)
        .await?;
    state.hub.end_sign_in(
        technician.id,
        crate::realtime::SignInEnded::AllBut {
            keep: Some(sign_in.family_id),
        },
    );
    tracing::info!(technician = %technician.id, "password changed; other sign-ins ended");
    Ok(StatusCode::NO_CONTENT)
}
