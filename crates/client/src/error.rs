use lifeline_protocol::{ApiError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The service answered with a typed error.
    #[error("{}", .error.message)]
    Api { status: u16, error: ApiError },
    #[error("cannot reach the service: {0}")]
    Network(#[from] reqwest::Error),
    #[error("realtime connection: {0}")]
    WebSocket(String),
    #[error("the transfer was interrupted: {0}")]
    Interrupted(String),
    #[error("file: {0}")]
    Io(#[from] std::io::Error),
    #[error("the file's SHA-256 does not match: expected {expected}, got {actual}")]
    ChecksumMismatch { expected: String, actual: String },
    #[error("not signed in")]
    NotSignedIn,
    #[error("invalid service URL: {0}")]
    InvalidUrl(String),
    #[error("unexpected answer from the service: {0}")]
    Protocol(String),
    /// Refused before anything was sent, e.g. a weak ad-hoc password.
    #[error("{0}")]
    InvalidInput(String),
    /// The agent's enrollment: the security code is wrong (the technician's app sealed
    /// its answer under a different key), or the answer was not the app's.
    #[error("the security code is wrong")]
    CodeRefused,
}

impl ClientError {
    /// The service's error code, when it sent one.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            ClientError::Api { error, .. } => Some(error.code),
            ClientError::InvalidInput(_) => Some(ErrorCode::InvalidInput),
            ClientError::CodeRefused => Some(ErrorCode::CodeInvalid),
            _ => None,
        }
    }

    /// Worth retrying as is: the network failed or the service was briefly away.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Network(_) | ClientError::WebSocket(_) | ClientError::Interrupted(_) => {
                true
            }
            ClientError::Api { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

impl From<lifeline_adhoc_key::KeyError> for ClientError {
    fn from(err: lifeline_adhoc_key::KeyError) -> Self {
        match err {
            lifeline_adhoc_key::KeyError::EnrollmentRefused => ClientError::CodeRefused,
            other => ClientError::InvalidInput(other.to_string()),
        }
    }
}
