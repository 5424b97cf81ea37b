//! The second factor: TOTP (RFC 6238: HMAC-SHA1, six digits, 30-second steps, one step
//! of clock skew either way) with ten single-use recovery codes. Each technician can turn
//! it on; an admin can require it for the company, and then a technician without one may
//! only set it up.
//!
//! The secret is sealed under the server's key (see `secrets`), so a copy of the database
//! cannot make codes; recovery codes are kept as keyed hashes. A code works once: the
//! step it belongs to is recorded, and no earlier step is taken again.

use axum::extract::State;
use axum::http::StatusCode;
use lifeline_protocol::{
    DisableSecondFactor, RecoveryCodes, SecondFactorCode, SecondFactorSetup,
    SecondFactorSetupRequest, Secret, SecurityPolicy,
};
use totp_rs::{Algorithm, TOTP};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{AuthAdmin, AuthTechnician, ClientIp};
use crate::error::{AppError, AppResult, Json};
use crate::secrets::{KeyedHash, Purpose};
use crate::state::AppState;
use crate::store::TechnicianRecord;
use crate::throttle::{self, Guess};

const STEP_SECONDS: u64 = 30;
const DIGITS: usize = 6;
const RECOVERY_CODES: usize = 10;
const ISSUER: &str = "Lifeline";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(setup))
        .routes(routes!(enable))
        .routes(routes!(disable))
        .routes(routes!(policy, set_policy))
}

fn totp(secret: Vec<u8>, account: &str) -> AppResult<TOTP> {
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP_SECONDS,
        secret,
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
    .map_err(|e| AppError::Internal(anyhow::anyhow!("a TOTP secret is unusable: {e}")))
}

/// The step `code` belongs to, if it is one of the three around `now_ms`.
fn matching_step(totp: &TOTP, code: &str, now_ms: i64) -> Option<i64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now_step = u64::try_from(now_ms).ok()? / 1000 / STEP_SECONDS;
    [now_step.saturating_sub(1), now_step, now_step + 1]
        .into_iter()
        .find(|step| {
            let expected = totp.generate(step * STEP_SECONDS);
            // Constant time: the comparison must not say how many digits matched.
            expected.len() == code.len()
                && expected
                    .bytes()
                    .zip(code.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        })
        .and_then(|step| i64::try_from(step).ok())
}

fn open_secret(state: &AppState, sealed: &[u8]) -> AppResult<Vec<u8>> {
    state
        .keys
        .open(Purpose::TotpSecret, sealed)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("a TOTP secret cannot be opened")))
}

/// The alphabet of recovery codes: no 0/o, 1/l/i to mistake for each other.
const RECOVERY_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
/// Characters in a recovery code, dashes left out.
const RECOVERY_CODE_CHARS: usize = 20;

/// A recovery code in the form it is compared in: 20 characters of
/// [`RECOVERY_ALPHABET`]. Only its keyed hashes are stored, and it never shows in logs.
struct RecoveryCode(secrecy::SecretString);

impl RecoveryCode {
    fn generate() -> Self {
        let mut bytes = [0u8; RECOVERY_CODE_CHARS];
        super::tokens::fill_random(&mut bytes);
        let code: String = bytes
            .iter()
            .map(|b| char::from(RECOVERY_ALPHABET[usize::from(*b) % RECOVERY_ALPHABET.len()]))
            .collect();
        Self(code.into())
    }

    /// What a person typed, if it can be a recovery code: dashes, spaces and capitals
    /// don't matter.
    fn parse(typed: &str) -> Option<Self> {
        let code: String = typed
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let valid = code.len() == RECOVERY_CODE_CHARS
            && code.bytes().all(|b| RECOVERY_ALPHABET.contains(&b));
        valid.then(|| Self(code.into()))
    }

    /// As people read it: five groups of four.
    fn for_reading(&self) -> String {
        use secrecy::ExposeSecret;
        let chars: Vec<char> = self.0.expose_secret().chars().collect();
        chars
            .chunks(4)
            .map(|group| group.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// Its hash under the current key and, while one is kept, the previous key.
    fn hashes(&self, keys: &crate::secrets::ServerKeys) -> Vec<KeyedHash> {
        use secrecy::ExposeSecret;
        keys.keyed_hashes(Purpose::RecoveryCode, self.0.expose_secret())
    }
}

/// Checks a second factor at sign-in or to turn it off: a current code (once) or an
/// unused recovery code (spent).
pub async fn check(
    state: &AppState,
    technician: &TechnicianRecord,
    given: &Secret,
) -> AppResult<bool> {
    let (sealed, _, _) = state.store.totp(technician.id).await?;
    let Some(sealed) = sealed else {
        return Ok(false);
    };
    let totp = totp(open_secret(state, &sealed)?, &technician.email)?;
    if let Some(step) = matching_step(&totp, given.expose(), state.now()) {
        return Ok(state.store.use_totp_step(technician.id, step).await?);
    }
    let Some(recovery) = RecoveryCode::parse(given.expose()) else {
        return Ok(false);
    };
    let hashes = recovery.hashes(&state.keys);
    Ok(state
        .store
        .use_recovery_code(technician.id, &hashes, state.now())
        .await?)
}

async fn check_password(
    state: &AppState,
    ip: std::net::IpAddr,
    technician: &TechnicianRecord,
    password: &Secret,
) -> AppResult<()> {
    let attempt = throttle::admit(state, Guess::SignIn, ip, Some(&technician.email)).await?;
    if !super::password::verify_password(password.clone(), technician.password_hash.clone()).await?
    {
        throttle::failed(state, &attempt).await?;
        return Err(AppError::CurrentPasswordWrong);
    }
    throttle::succeeded(state, &attempt).await
}

/// Starts setting up (or replacing) the second factor: a new secret for the
/// authenticator app, which counts once a code from it confirms it.
#[utoipa::path(post, path = "/me/second-factor/setup", tag = "auth", request_body = SecondFactorSetupRequest,
    responses((status = 200, body = SecondFactorSetup), (status = 403, body = lifeline_protocol::ApiError),
              (status = 429, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn setup(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    AuthTechnician(technician): AuthTechnician,
    Json(request): Json<SecondFactorSetupRequest>,
) -> AppResult<Json<SecondFactorSetup>> {
    check_password(&state, ip, &technician, &request.password).await?;
    let mut secret = vec![0u8; 20];
    super::tokens::fill_random(&mut secret);
    let totp = totp(secret.clone(), &technician.email)?;
    let sealed = state.keys.seal(Purpose::TotpSecret, &secret);
    state.store.set_pending_totp(technician.id, &sealed).await?;
    Ok(Json(SecondFactorSetup {
        secret: totp.get_secret_base32().into(),
        otpauth_url: totp.get_url().into(),
    }))
}

/// Confirms the setup with a code from the authenticator app; answers the recovery
/// codes, shown this once.
#[utoipa::path(post, path = "/me/second-factor/enable", tag = "auth", request_body = SecondFactorCode,
    responses((status = 200, body = RecoveryCodes), (status = 401, body = lifeline_protocol::ApiError),
              (status = 409, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn enable(
    State(state): State<AppState>,
    AuthTechnician(technician): AuthTechnician,
    Json(request): Json<SecondFactorCode>,
) -> AppResult<Json<RecoveryCodes>> {
    let (_, pending, _) = state.store.totp(technician.id).await?;
    let pending = pending.ok_or_else(|| {
        AppError::Conflict("start the setup first: no second factor is being set up".into())
    })?;
    let totp = totp(open_secret(&state, &pending)?, &technician.email)?;
    let step = matching_step(&totp, request.code.expose(), state.now())
        .ok_or(AppError::SecondFactorInvalid)?;
    let recovery: Vec<RecoveryCode> = (0..RECOVERY_CODES)
        .map(|_| RecoveryCode::generate())
        .collect();
    // Stored under the current key only: new codes never need the previous one.
    let hashes: Vec<KeyedHash> = recovery
        .iter()
        .filter_map(|code| code.hashes(&state.keys).into_iter().next())
        .collect();
    let codes: Vec<String> = recovery.iter().map(RecoveryCode::for_reading).collect();
    if !state
        .store
        .enable_totp(technician.id, step, &hashes)
        .await?
    {
        return Err(AppError::Conflict(
            "the setup changed meanwhile; start again".into(),
        ));
    }
    tracing::info!(technician = %technician.id, "second factor turned on");
    Ok(Json(RecoveryCodes { codes }))
}

/// Turns the second factor off, unless the company requires it.
#[utoipa::path(post, path = "/me/second-factor/disable", tag = "auth", request_body = DisableSecondFactor,
    responses((status = 204, description = "turned off"), (status = 401, body = lifeline_protocol::ApiError),
              (status = 403, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn disable(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    AuthTechnician(technician): AuthTechnician,
    Json(request): Json<DisableSecondFactor>,
) -> AppResult<StatusCode> {
    if technician.company_requires_second_factor {
        return Err(AppError::Forbidden(
            "your company requires a second factor; it cannot be turned off".into(),
        ));
    }
    check_password(&state, ip, &technician, &request.password).await?;
    if !check(&state, &technician, &request.code).await? {
        return Err(AppError::SecondFactorInvalid);
    }
    state.store.disable_totp(technician.id).await?;
    tracing::info!(technician = %technician.id, "second factor turned off");
    Ok(StatusCode::NO_CONTENT)
}

/// The company's sign-in rules (admins).
#[utoipa::path(get, path = "/admin/security-policy", tag = "admin",
    responses((status = 200, body = SecurityPolicy), (status = 403, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn policy(
    State(state): State<AppState>,
    AuthAdmin(admin): AuthAdmin,
) -> AppResult<Json<SecurityPolicy>> {
    Ok(Json(SecurityPolicy {
        require_second_factor: state.store.require_second_factor(admin.company_id).await?,
    }))
}

/// Requires (or stops requiring) a second factor of every technician of the company.
#[utoipa::path(put, path = "/admin/security-policy", tag = "admin", request_body = SecurityPolicy,
    responses((status = 200, body = SecurityPolicy), (status = 403, body = lifeline_protocol::ApiError)),
    security(("bearer" = [])))]
async fn set_policy(
    State(state): State<AppState>,
    AuthAdmin(admin): AuthAdmin,
    Json(policy): Json<SecurityPolicy>,
) -> AppResult<Json<SecurityPolicy>> {
    state
        .store
        .set_require_second_factor(admin.company_id, policy.require_second_factor)
        .await?;
    tracing::info!(company = %admin.company_id, required = policy.require_second_factor, "second-factor rule changed");
    Ok(Json(policy))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_their_step_and_its_neighbours_only() {
        let totp = totp(b"12345678901234567890".to_vec(), "t@acme.test").expect("totp");
        // RFC 6238's SHA-1 test vector: 59 s gives 94287082, whose last six are 287082.
        assert_eq!(totp.generate(59), "287082");
        assert_eq!(matching_step(&totp, "287082", 59_000), Some(1));
        assert_eq!(
            matching_step(&totp, "287 082", 89_000),
            Some(1),
            "one step late"
        );
        assert_eq!(
            matching_step(&totp, "287082", 120_000),
            None,
            "two steps late"
        );
        assert_eq!(matching_step(&totp, "28708", 59_000), None);
        assert_eq!(matching_step(&totp, "abcdef", 59_000), None);
    }

    #[test]
    fn recovery_codes_are_long_readable_and_forgiving_to_type() {
        use secrecy::ExposeSecret;
        let code = RecoveryCode::generate().for_reading();
        assert_eq!(code.len(), 24, "{code}");
        let typed = RecoveryCode::parse(&code.to_uppercase().replace('-', " ")).expect("valid");
        assert_eq!(typed.0.expose_secret(), &code.replace('-', ""));
        assert!(RecoveryCode::parse("too-short").is_none());
        assert!(
            RecoveryCode::parse("0000-1111-llll-oooo-iiii").is_none(),
            "letters the codes never use"
        );
    }
}
