use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{SupportKey, UnixMillis};

/// Where a session stands. `expired` means nobody joined within the key's 60 minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Waiting,
    Active,
    Ended,
    Expired,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct CreateSessionRequest {
    /// Ask for remote control as soon as the end user arrives. Off by default.
    #[serde(default)]
    pub request_control_on_arrival: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct UpdateSessionSettings {
    pub request_control_on_arrival: bool,
}

/// A session as the technician sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SessionSummary {
    pub id: Uuid,
    #[cfg_attr(feature = "openapi", schema(value_type = String, example = "482913605"))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub support_key: SupportKey,
    /// The key grouped 3-3-3 for reading aloud.
    pub support_key_display: String,
    /// `<public base>/join/<key>`: the link to send to the end user.
    pub join_url: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub key_expires_at: UnixMillis,
    pub request_control_on_arrival: bool,
    pub status: SessionStatus,
    pub technician_name: String,
    pub end_user_name: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created_at: UnixMillis,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub ended_at: Option<UnixMillis>,
    /// The newest event's `seq`; 0 before any event.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub last_seq: u64,
    /// Set when this is a connection to an ad-hoc computer rather than a keyed
    /// session: the end-user party is that computer's support-session app.
    pub adhoc_session_id: Option<Uuid>,
}

/// What the join page may learn about a key before the end user joins.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct JoinInfo {
    pub technician_name: String,
    pub company_name: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub key_expires_at: UnixMillis,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    /// The key as typed or taken from the link; separators are allowed.
    pub key: String,
    /// The end user's name; optional.
    #[serde(default)]
    pub name: Option<String>,
}

/// The end user's ticket into one session.
#[derive(Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct JoinResponse {
    pub session_id: Uuid,
    /// Bearer token for this end user in this session only.
    pub end_user_token: String,
    pub technician_name: String,
    pub company_name: String,
    pub end_user_name: Option<String>,
}

impl std::fmt::Debug for JoinResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JoinResponse")
            .field("session_id", &self.session_id)
            .field("end_user_token", &"<redacted>")
            .field("technician_name", &self.technician_name)
            .finish()
    }
}

/// The end user's view of the session it joined.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct EndUserSessionView {
    pub session_id: Uuid,
    pub status: SessionStatus,
    pub technician_name: String,
    pub company_name: String,
    pub end_user_name: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub last_seq: u64,
}

/// What the technician may ask the end user for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ConsentKind {
    /// See the end user's screen.
    ViewScreen,
    /// See and control the end user's screen.
    Control,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    pub kind: ConsentKind,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct ConsentAnswer {
    pub accepted: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct SendMessage {
    /// Chosen by the sender; a resend with the same id is stored once.
    pub client_id: Uuid,
    pub text: String,
}

/// The session and every stored event, in order: what the technician keeps.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Transcript {
    pub session: SessionSummary,
    pub events: Vec<crate::SessionEvent>,
}

/// Public facts about the service that clients adapt to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ServerInfo {
    pub version: String,
    pub public_url: String,
    /// The service can send email invites itself.
    pub email_enabled: bool,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub max_upload_bytes: u64,
}
