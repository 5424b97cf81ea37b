use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::UnixMillis;

/// Where an ad-hoc session stands. `prepared`: waiting for the agent to enroll with the
/// security code; `active`: enrolled, 24 hours from activation; then `ended` or `expired`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum AdhocStatus {
    Prepared,
    Active,
    Ended,
    Expired,
}

/// The technician prepares a session for the end user at `email`, protected by a
/// password that only the agent will check.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct PrepareAdhocRequest {
    pub email: String,
    pub password: String,
    pub password_confirmation: String,
    /// `en` or `de` for the email; English when absent.
    #[serde(default)]
    pub locale: Option<String>,
}

/// The answer to preparing: the security code, shown this once and never again.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AdhocPrepared {
    pub session: AdhocSessionSummary,
    /// Nine digits grouped 3-3-3, to read to the end user.
    pub security_code: String,
}

impl std::fmt::Debug for AdhocPrepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdhocPrepared")
            .field("session", &self.session)
            .field("security_code", &"<redacted>")
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AdhocSessionSummary {
    pub id: Uuid,
    pub end_user_email: String,
    pub technician_name: String,
    pub status: AdhocStatus,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created_at: UnixMillis,
    /// Until when the security code can be used.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub code_expires_at: UnixMillis,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub activated_at: Option<UnixMillis>,
    /// 24 hours after activation.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub expires_at: Option<UnixMillis>,
    pub computer_id: Option<Uuid>,
}

/// What the agent reports about the computer it runs on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct ComputerInfo {
    pub hostname: String,
    pub os: String,
    pub os_version: String,
    pub user: String,
    pub agent_version: String,
}

/// The agent enrolls at `/api/v1/adhoc/{id}/activate`, the id coming from its download
/// link, with the code the technician read to the end user.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct ActivateAdhocRequest {
    pub security_code: String,
    pub computer: ComputerInfo,
}

/// The agent's credentials for the next 24 hours.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AdhocActivated {
    pub session_id: Uuid,
    pub computer_id: Uuid,
    /// Bearer token of the agent, valid until `expires_at`.
    pub agent_token: String,
    /// The argon2id hash of the technician's password, so the agent checks it itself.
    pub password_verifier: String,
    pub technician_name: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub expires_at: UnixMillis,
}

impl std::fmt::Debug for AdhocActivated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdhocActivated")
            .field("session_id", &self.session_id)
            .field("computer_id", &self.computer_id)
            .field("agent_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ComputerSummary {
    pub id: Uuid,
    pub hostname: String,
    pub os: String,
    pub os_version: String,
    pub user: String,
    pub agent_version: String,
    pub ip: String,
    /// The agent is connected now.
    pub online: bool,
    /// The ad-hoc session is active (not ended or expired).
    pub live: bool,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub expires_at: Option<UnixMillis>,
    pub adhoc_session_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ComputerGroup {
    pub id: Uuid,
    pub name: String,
    /// Kept by the service (e.g. Ad Hoc Support Sessions); cannot be renamed or removed.
    pub system: bool,
    pub computers: Vec<ComputerSummary>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct NewComputerGroup {
    pub name: String,
}

/// A company's ad-hoc licence slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct LicenceSlots {
    pub total: u32,
    pub used: u32,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct SetLicenceSlots {
    pub total: u32,
}

/// Name of the system group every enrolled ad-hoc computer is listed in.
pub const ADHOC_GROUP_NAME: &str = "Ad Hoc Support Sessions";
/// Wrong security codes allowed before a prepared session's code stops working.
pub const MAX_CODE_ATTEMPTS: u32 = 5;
