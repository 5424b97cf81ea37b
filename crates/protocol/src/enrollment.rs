//! The ad-hoc agent's enrollment, relayed by the service between the agent and the
//! technician's app: SPAKE2 messages keyed by the security code, the verifier sealed under
//! the agreed key, and the grant that shows the service the agent knew the code (see
//! `lifeline_adhoc_key::enrollment`). Every field is base64url without padding.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{ComputerInfo, Secret, UnixMillis};

/// Longest SPAKE2 message in base64url: 33 bytes.
pub const MAX_ENROLLMENT_MESSAGE_CHARS: usize = 64;
/// Longest sealed verifier in base64url.
pub const MAX_SEALED_VERIFIER_CHARS: usize = 2800;
/// A grant and a grant's hash in base64url: 32 bytes.
pub const MAX_GRANT_CHARS: usize = 64;

/// The agent starts a run with the code the person typed, at
/// `POST /api/v1/adhoc/{id}/enrollment`, the id coming from its download.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct StartEnrollment {
    /// The agent's SPAKE2 message.
    pub message: String,
    pub computer: ComputerInfo,
}

/// The run is waiting for the technician's app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct EnrollmentStarted {
    /// Names this run; the agent polls and finishes it by this id.
    pub enrollment_id: Uuid,
    /// Who must answer from their Lifeline app.
    pub technician_name: String,
    /// Runs left after this one.
    pub attempts_left: u32,
}

/// What the technician's app is asked to answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct PendingEnrollment {
    pub id: Uuid,
    /// The agent's SPAKE2 message.
    pub message: String,
    pub computer: ComputerInfo,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub started_at: UnixMillis,
}

/// The technician's app answers a run (`POST /api/v1/adhoc/{id}/enrollment/{run}/answer`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct AnswerEnrollment {
    /// The app's SPAKE2 message.
    pub message: String,
    /// The verifier, sealed under the agreed key: only the agent can open it.
    pub sealed_verifier: String,
    /// SHA-256 of the grant the agent shows if it agreed on the same key.
    pub grant_hash: String,
}

/// What the agent gets when the app has answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct EnrollmentAnswer {
    pub message: String,
    pub sealed_verifier: String,
}

/// The agent finishes the run (`POST /api/v1/adhoc/{id}/enrollment/{run}/grant`); the
/// service activates the session when the grant matches the app's hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct EnrollmentGrant {
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub grant: Secret,
}
