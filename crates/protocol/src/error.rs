use serde::{Deserialize, Serialize};

/// What went wrong, as a stable code that clients branch on. The message is for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The request body or parameters are malformed or fail validation.
    InvalidInput,
    /// No valid credentials were given, or they have expired.
    Unauthorized,
    /// The credentials are valid but do not allow this.
    Forbidden,
    NotFound,
    /// The support key does not exist.
    KeyUnknown,
    /// The support key's 60 minutes are over.
    KeyExpired,
    /// The support key was already used by another end user.
    KeyUsed,
    /// The session has ended; nothing more can happen in it.
    SessionEnded,
    /// No free ad-hoc licence slot is left in the company.
    NoFreeSlot,
    /// The security code is wrong, expired, or has used up its tries.
    CodeInvalid,
    /// The ad-hoc computer's support-session app is not connected, or did not answer.
    ComputerOffline,
    /// The ad-hoc computer refused the password.
    WrongPassword,
    /// The request conflicts with the current state (e.g. an upload offset).
    Conflict,
    /// The end user has not allowed this (a screen stream without a standing consent).
    ConsentRequired,
    /// A media viewer stopped acknowledging what it was sent.
    Stalled,
    RateLimited,
    PayloadTooLarge,
    /// A file would pass the session's or the service's storage quota.
    QuotaExceeded,
    /// The service's disk has no room for the file.
    InsufficientStorage,
    /// The technician has a second factor: sign in again with its code.
    SecondFactorRequired,
    /// The second factor's code is wrong, used already, or out of time.
    SecondFactorInvalid,
    /// The company requires a second factor and this technician has none yet: only
    /// setting it up is allowed.
    SecondFactorSetupRequired,
    /// The route exists, but not for this HTTP method.
    MethodNotAllowed,
    /// A `Range` asks for bytes past the end of the file.
    RangeNotSatisfiable,
    /// An uploaded file's SHA-256 differs from the one announced.
    ChecksumMismatch,
    /// The SMS or email provider refused or failed the delivery.
    DeliveryFailed,
    Internal,
}

/// The body of every error response and error frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[error("{message} ({code:?})")]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}
