//! The attended app: the agent an end user downloads from a chat session's page when
//! they allow control, with the session already inside it. It joins that one session,
//! shows the screen with control, and removes itself when the session ends.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::UnixMillis;

/// Longest host or OS name an attended app may report, in characters.
pub const MAX_ATTENDED_LABEL_CHARS: usize = 120;

/// The answer to the end user's `POST /sessions/{id}/agent-download`: the builds the
/// service has, and a single-use ticket for one of them. The page posts the ticket in a
/// form to `/attended/download` (never in an address, which logs and history keep).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AgentDownloadOffer {
    /// `<os>-<arch>`, as Rust names them: `linux-x86_64`, `windows-x86_64`.
    pub platforms: Vec<String>,
    pub ticket: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub expires_at: UnixMillis,
}

impl std::fmt::Debug for AgentDownloadOffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AgentDownloadOffer")
            .field("platforms", &self.platforms)
            .field("ticket", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// What the attended app says about its computer when it joins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct AttendedHello {
    pub hostname: String,
    pub os: String,
}

impl AttendedHello {
    /// Both names are short single lines of text.
    pub fn validate(&self) -> Result<(), &'static str> {
        for value in [&self.hostname, &self.os] {
            if value.chars().count() > MAX_ATTENDED_LABEL_CHARS
                || value.chars().any(char::is_control)
            {
                return Err("hostname and os must be at most 120 characters of text");
            }
        }
        Ok(())
    }
}

/// The session the attended app joined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AttendedWelcome {
    pub session_id: Uuid,
    pub technician_name: String,
    pub company_name: String,
}

/// What the attended app follows while it runs: whether the end user's consent to
/// control stands, so it should show the screen with control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct AttendedStatus {
    pub control: bool,
}
