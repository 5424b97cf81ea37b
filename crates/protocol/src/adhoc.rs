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

/// What checks the ad-hoc password without holding it: an Ed25519 public key whose
/// private half is derived from the password with argon2id under these parameters.
/// The technician's client derives it, so the password never leaves the technician's
/// computer. It is public: it cannot open the computer, and each guess at the password
/// costs a full argon2id run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct AdhocVerifier {
    /// Base64url (no padding) of the argon2id salt.
    pub salt: String,
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Base64url (no padding) of the 32-byte Ed25519 public key.
    pub public_key: String,
}

/// The public half of a verifier's derivation: what the technician's client needs to
/// derive the key from the password again, and nothing to check a guess against. The
/// service keeps only this once the agent has the verifier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct AdhocKeyParams {
    /// Base64url (no padding) of the argon2id salt.
    pub salt: String,
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

impl AdhocVerifier {
    /// The verifier without its public key.
    pub fn params(&self) -> AdhocKeyParams {
        AdhocKeyParams {
            salt: self.salt.clone(),
            memory_kib: self.memory_kib,
            iterations: self.iterations,
            parallelism: self.parallelism,
        }
    }
}

/// The technician prepares a session for the end user at `email`. The technician's
/// client keeps the security code and the password's verifier: the service gets only the
/// salt and cost, and later relays the enrollment that carries the verifier to the agent
/// (see `StartEnrollment`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct PrepareAdhocRequest {
    pub email: String,
    pub key_params: AdhocKeyParams,
    /// `en` or `de` for the email; English when absent.
    #[serde(default)]
    pub locale: Option<String>,
}

/// What the technician's client shows after preparing: the session, and the security
/// code it made, shown this once (the client keeps it for the enrollment).
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
    /// Enrollment runs the code still allows.
    pub code_attempts_left: u32,
    /// An agent waiting for the technician's app to answer its enrollment.
    pub enrollment: Option<crate::PendingEnrollment>,
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

/// The agent's credentials for the next 24 hours.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AdhocActivated {
    pub session_id: Uuid,
    pub computer_id: Uuid,
    /// Bearer token of the agent, valid until `expires_at`.
    pub agent_token: String,
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

/// Whether the person at an ad-hoc computer must allow a technician's request to see
/// or control its screen. The agent applies it; it never skips the password check.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ControlConfirmation {
    /// The person always answers; unattended computers cannot be seen.
    Always,
    /// The person answers when someone uses the computer; an unattended one (nobody
    /// logged in, or no input for a while) is shown without asking.
    #[default]
    WhenPresent,
    /// Never asked: the password alone lets the technician see and control it.
    Never,
}

/// The company's ad-hoc policy, set by an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct AdhocPolicy {
    pub control_confirmation: ControlConfirmation,
}

/// The agent's current challenge: random, and good for one connection attempt.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct AgentChallenge {
    /// Base64url (no padding) of 32 random bytes.
    pub nonce: String,
}

/// What the technician's client needs to prove the password to the agent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ConnectChallenge {
    /// The salt and cost only: the public key stays with the agent, so neither a
    /// technician's token nor a copy of the database gives anything to guess against.
    pub key_params: AdhocKeyParams,
    pub nonce: String,
}

/// The technician asks to connect, with a signature over the agent's challenge made
/// with the key derived from the password.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct ConnectRequest {
    pub nonce: String,
    /// Base64url (no padding) of the Ed25519 signature.
    pub proof: String,
}

/// The agent's answer to a connection request, with its next challenge: each
/// challenge serves one attempt, right or wrong.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct ConnectVerdict {
    pub accepted: bool,
    pub next_nonce: String,
}

/// The agent's ticket into the connection's session, as its end-user party.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AgentConnection {
    pub session_id: Uuid,
    pub end_user_token: String,
}

impl std::fmt::Debug for AgentConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentConnection")
            .field("session_id", &self.session_id)
            .field("end_user_token", &"<redacted>")
            .finish()
    }
}

/// The service's reply to a verdict: the connection when it was accepted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct VerdictRecorded {
    pub connection: Option<AgentConnection>,
}

/// How a connection attempt ended up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ConnectionOutcome {
    Pending,
    Accepted,
    /// The agent refused the password.
    Refused,
    /// The agent did not answer in time.
    TimedOut,
}

/// One audited connection to an ad-hoc computer: who, when, and for how long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AdhocConnectionRecord {
    pub id: Uuid,
    pub technician_name: String,
    pub outcome: ConnectionOutcome,
    /// The connection's chat session, when it was accepted.
    pub session_id: Option<Uuid>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub started_at: UnixMillis,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub ended_at: Option<UnixMillis>,
}

/// One mounted file system of the computer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct DiskInfo {
    pub mount_point: String,
    pub file_system: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_bytes: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub available_bytes: u64,
}

/// What the support-session app reports about its computer when a technician connects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct SystemInfo {
    pub hostname: String,
    pub os: String,
    pub os_version: String,
    pub kernel_version: String,
    pub cpu: String,
    pub cpu_cores: u32,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub memory_total_bytes: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub memory_available_bytes: u64,
    pub disks: Vec<DiskInfo>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub uptime_seconds: u64,
    pub logged_in_user: String,
}

/// Name of the system group every enrolled ad-hoc computer is listed in.
pub const ADHOC_GROUP_NAME: &str = "Ad Hoc Support Sessions";
/// Enrollment runs a security code allows, right or wrong: each lets whoever sits in
/// the middle test one guess, so the service and the technician's app both count them.
pub const MAX_CODE_ATTEMPTS: u32 = 5;
