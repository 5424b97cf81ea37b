use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Secret, UnixMillis};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub password: Secret,
    /// The authenticator app's six digits, or a recovery code, when the technician has
    /// a second factor; without it such a sign-in is answered `second_factor_required`.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub second_factor: Option<Secret>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub refresh_token: Secret,
}

/// A short-lived access token and the rotating refresh token that renews it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TokenPair {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub access_token: Secret,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub access_expires_at: UnixMillis,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub refresh_token: Secret,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub refresh_expires_at: UnixMillis,
    pub technician: TechnicianProfile,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct TechnicianProfile {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub company_name: String,
    pub is_admin: bool,
    pub disabled: bool,
    /// A TOTP second factor is set up.
    pub second_factor: bool,
    /// The company requires one; without it, only setting it up is allowed.
    pub second_factor_required: bool,
}

/// A technician changes their own password. Their other sign-ins end; this one stays.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub current_password: Secret,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub new_password: Secret,
}

/// An admin adds a technician to their own company.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct NewTechnician {
    pub email: String,
    pub display_name: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub password: Secret,
    #[serde(default)]
    pub is_admin: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct UpdateTechnician {
    pub disabled: bool,
}

/// A technician's access token starts so; it expires (see `TokenPair`), where end users'
/// and agents' tokens end with their session instead.
pub const ACCESS_TOKEN_PREFIX: &str = "lla_";

/// A one-time sign-in for the desktop app on the service's own machine, printed by
/// `lifeline-server technician sign-in-token` as one JSON line. `refresh_token` is a
/// refresh token that expires within minutes and works once.
#[derive(Clone, Serialize, Deserialize)]
pub struct SignInHandover {
    pub server_url: String,
    pub email: String,
    pub refresh_token: String,
}

impl std::fmt::Debug for SignInHandover {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInHandover")
            .field("server_url", &self.server_url)
            .field("email", &self.email)
            .field("refresh_token", &"<redacted>")
            .finish()
    }
}

/// Starts setting up a second factor; the password is asked again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct SecondFactorSetupRequest {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub password: Secret,
}

/// The new TOTP secret, for the authenticator app: as text and as an `otpauth://` URL
/// (what a QR code holds). Shown this once.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SecondFactorSetup {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub secret: Secret,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub otpauth_url: Secret,
}

/// A code from the authenticator app, confirming the setup.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct SecondFactorCode {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub code: Secret,
}

/// Ten single-use codes that stand in for the authenticator app. Shown this once.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct RecoveryCodes {
    pub codes: Vec<String>,
}

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryCodes(<{} redacted>)", self.codes.len())
    }
}

/// Turns the second factor off: the password and a current code (or a recovery code).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct DisableSecondFactor {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub password: Secret,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub code: Secret,
}

/// The company's sign-in rules (admins set them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct SecurityPolicy {
    pub require_second_factor: bool,
}
