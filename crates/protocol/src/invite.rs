use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::UnixMillis;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum InviteChannel {
    Sms,
    Email,
}

/// Send the session's join link by SMS to an E.164 number such as `+4915112345678`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct SmsInviteRequest {
    pub to: String,
    /// `en` or `de`; English when absent.
    #[serde(default)]
    pub locale: Option<String>,
}

/// Send the session's join link by email through the service's SMTP server.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct EmailInviteRequest {
    pub to: String,
    /// `en` or `de`; English when absent.
    #[serde(default)]
    pub locale: Option<String>,
}

/// Confirmation that an invite left the service.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct InviteSent {
    pub id: Uuid,
    pub channel: InviteChannel,
    /// The normalized recipient, to name in the confirmation.
    pub to: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub sent_at: UnixMillis,
}

/// A message kept by the `outbox` SMS driver, for admins to read.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct OutboxMessage {
    pub id: Uuid,
    pub channel: InviteChannel,
    pub to: String,
    pub body: String,
    pub technician_email: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created_at: UnixMillis,
}
