use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Party, UnixMillis};

/// Announce an upload: its name, exact size and SHA-256 (hex), checked on arrival.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct CreateUpload {
    pub name: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    pub sha256: String,
}

/// An upload in progress. Append with `PATCH upload_url` and an `Upload-Offset` header
/// equal to `offset`; `HEAD upload_url` tells the offset after an interruption.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct UploadCreated {
    pub file_id: Uuid,
    pub upload_url: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub offset: u64,
}

/// A file both sides can download, once complete and verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FileInfo {
    pub id: Uuid,
    /// Already neutralized: no path separators or control characters.
    pub name: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    pub sha256: String,
    pub from: Party,
}

/// A short-lived link that downloads one file without an Authorization header, so a
/// plain browser link (and its Range requests) works.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct DownloadLink {
    pub url: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub expires_at: UnixMillis,
}

/// HTTP header carrying the byte offset of an upload (tus-style).
pub const UPLOAD_OFFSET_HEADER: &str = "upload-offset";

/// The answer to every append: where the upload stands, and the file once complete.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct UploadStatus {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub offset: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// Present once every byte arrived and the SHA-256 matched.
    pub file: Option<FileInfo>,
}
