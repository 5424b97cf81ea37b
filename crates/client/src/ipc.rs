//! The one error every command of both apps (the desktop app and the agent's window)
//! returns, `{code, message}`, with `code` an enum their UIs branch on (its TypeScript
//! twin is generated beside each app's other bindings).

use lifeline_protocol::ErrorCode;
use serde::Serialize;

use crate::desk::DeskError;
use crate::keychain::KeychainError;
use crate::ClientError;

/// The service's own codes pass through as they are (so a new one needs no change
/// here); the rest are what can fail on this side of the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum IpcErrorCode {
    /// The service cannot be reached.
    Network,
    NotSignedIn,
    InvalidUrl,
    KeychainUnavailable,
    ClipboardUnavailable,
    /// The sign-in handed over at start could not be read or was refused.
    Handover,
    /// Reading or writing a local file failed.
    File,
    /// The file arrived, but its SHA-256 differs from the one announced.
    ChecksumMismatch,
    UnknownTransfer,
    InvalidInput,
    /// An answer the app did not expect.
    Internal,
    /// The service answered with this code (serde wants untagged variants last).
    #[serde(untagged)]
    Service(ErrorCode),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[error("{message} ({code:?})")]
pub struct IpcError {
    pub code: IpcErrorCode,
    pub message: String,
}

impl IpcError {
    pub fn new(code: IpcErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl From<ClientError> for IpcError {
    fn from(err: ClientError) -> Self {
        let code = match &err {
            ClientError::Api { error, .. } => IpcErrorCode::Service(error.code),
            ClientError::Network(_) | ClientError::WebSocket(_) | ClientError::Interrupted(_) => {
                IpcErrorCode::Network
            }
            ClientError::Io(_) => IpcErrorCode::File,
            ClientError::ChecksumMismatch { .. } => IpcErrorCode::ChecksumMismatch,
            ClientError::NotSignedIn => IpcErrorCode::NotSignedIn,
            ClientError::InvalidUrl(_) => IpcErrorCode::InvalidUrl,
            ClientError::Protocol(_) => IpcErrorCode::Internal,
            ClientError::InvalidInput(_) => IpcErrorCode::Service(ErrorCode::InvalidInput),
            ClientError::CodeRefused => IpcErrorCode::Service(ErrorCode::CodeInvalid),
        };
        Self::new(code, err.to_string())
    }
}

impl From<DeskError> for IpcError {
    fn from(err: DeskError) -> Self {
        match err {
            DeskError::Client(err) => err.into(),
            DeskError::Keychain(KeychainError::Unavailable(_) | KeychainError::Failed(_)) => {
                Self::new(IpcErrorCode::KeychainUnavailable, err.to_string())
            }
            DeskError::Clipboard(_) => {
                Self::new(IpcErrorCode::ClipboardUnavailable, err.to_string())
            }
            DeskError::InvalidInput(message) => Self::new(IpcErrorCode::InvalidInput, message),
            DeskError::UnknownTransfer => Self::new(IpcErrorCode::UnknownTransfer, err.to_string()),
            DeskError::Handover(_) => Self::new(IpcErrorCode::Handover, err.to_string()),
        }
    }
}

/// What every command returns.
pub type IpcResult<T> = Result<T, IpcError>;

#[cfg(test)]
mod tests {
    use lifeline_protocol::ApiError;
    use serde_json::json;

    use super::*;

    #[test]
    fn errors_serialize_as_code_and_message_with_the_service_code_as_is() {
        let refused: IpcError = ClientError::Api {
            status: 410,
            error: ApiError::new(ErrorCode::KeyExpired, "the key has expired"),
        }
        .into();
        assert_eq!(
            serde_json::to_value(&refused).ok(),
            Some(json!({"code": "key_expired", "message": "the key has expired"})),
            "the UI branches on the service's own code"
        );
        let offline: IpcError = ClientError::NotSignedIn.into();
        assert_eq!(
            serde_json::to_value(&offline).ok(),
            Some(json!({"code": "not_signed_in", "message": "not signed in"}))
        );
    }
}
