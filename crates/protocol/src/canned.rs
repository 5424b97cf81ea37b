//! Canned replies: texts a technician sends again and again, kept by the service so they
//! follow the technician to another machine. Each has an English and a German text and
//! may use variables the technician's app fills in when it sends one (see
//! `crates/protocol/ts/replies.ts`).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::UnixMillis;

/// Longest title of a canned reply.
pub const MAX_REPLY_TITLE_CHARS: usize = 80;
/// Most canned replies one technician keeps, and one company keeps for everyone.
pub const MAX_CANNED_REPLIES: usize = 200;
/// The variables a canned reply may use, filled in when it is sent.
pub const REPLY_VARIABLES: [&str; 5] = [
    "{end_user}",
    "{technician}",
    "{company}",
    "{support_key}",
    "{join_link}",
];

/// Who sees a canned reply: only the technician who wrote it, or every technician of the
/// company (kept by admins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ReplyScope {
    Personal,
    Company,
}

/// A canned reply as the technician's app lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct CannedReply {
    pub id: Uuid,
    pub title: String,
    pub text_en: String,
    pub text_de: String,
    pub scope: ReplyScope,
    /// Who wrote it (or last changed it).
    pub author_name: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated_at: UnixMillis,
    /// Whether this technician may change or delete it: their own, or any company
    /// reply for an admin.
    pub editable: bool,
}

/// A new canned reply, or a reply's new content. At least one of the texts is needed;
/// an empty one falls back to the other when sent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct SaveCannedReply {
    pub title: String,
    #[serde(default)]
    pub text_en: String,
    #[serde(default)]
    pub text_de: String,
    pub scope: ReplyScope,
}
