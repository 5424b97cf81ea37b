//! The one error type of the HTTP layer. Every failure becomes `{code, message}` with
//! its status; internal causes are logged and never shown to clients.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lifeline_protocol::{ApiError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    InvalidInput(String),
    #[error("sign in first: the token is missing, invalid or expired")]
    Unauthorized,
    /// Unauthorized, with the reason a client can show.
    #[error("{0}")]
    UnauthorizedBecause(&'static str),
    #[error("the email or password is wrong")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("there is no session with this support key; check the digits")]
    KeyUnknown,
    #[error("this support key has expired; ask your technician for a new one")]
    KeyExpired,
    #[error("this support key has already been used")]
    KeyUsed,
    #[error("this session has ended")]
    SessionEnded,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    ConsentRequired(&'static str),
    #[error("{0}")]
    Stalled(&'static str),
    #[error("no ad-hoc licence slot is free: all {total} are in use; end a session or ask an admin for more")]
    NoFreeSlot { total: i64 },
    #[error("the security code is wrong, expired or used up; ask the technician for a new one")]
    CodeInvalid,
    #[error("{0}")]
    ComputerOffline(&'static str),
    #[error("the computer refused the password; check it and try again")]
    WrongPassword,
    #[error("the current password is wrong")]
    CurrentPasswordWrong,
    #[error("enter the code from your authenticator app, or a recovery code")]
    SecondFactorRequired,
    #[error("that code is wrong, used already or out of time; enter the current one")]
    SecondFactorInvalid,
    #[error("your company requires a second factor: set it up in Settings first")]
    SecondFactorSetupRequired,
    #[error("too many attempts; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    QuotaExceeded(String),
    #[error("the server's disk has no room for this file now; try a smaller file or ask the technician's admin to free space")]
    InsufficientStorage,
    #[error("this route does not take {0}; see /api/v1/openapi.json")]
    MethodNotAllowed(String),
    #[error("the requested range is past the end of the file ({size} bytes)")]
    RangeNotSatisfiable { size: u64 },
    #[error("the file arrived damaged: its SHA-256 does not match; send it again")]
    ChecksumMismatch,
    #[error("{0}")]
    DeliveryFailed(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::InvalidInput(message.into())
    }

    fn code_and_status(&self) -> (ErrorCode, StatusCode) {
        match self {
            AppError::InvalidInput(_) => (ErrorCode::InvalidInput, StatusCode::BAD_REQUEST),
            AppError::Unauthorized
            | AppError::UnauthorizedBecause(_)
            | AppError::InvalidCredentials => (ErrorCode::Unauthorized, StatusCode::UNAUTHORIZED),
            AppError::Forbidden(_) => (ErrorCode::Forbidden, StatusCode::FORBIDDEN),
            AppError::NotFound(_) => (ErrorCode::NotFound, StatusCode::NOT_FOUND),
            AppError::KeyUnknown => (ErrorCode::KeyUnknown, StatusCode::NOT_FOUND),
            AppError::KeyExpired => (ErrorCode::KeyExpired, StatusCode::GONE),
            AppError::KeyUsed => (ErrorCode::KeyUsed, StatusCode::CONFLICT),
            AppError::SessionEnded => (ErrorCode::SessionEnded, StatusCode::GONE),
            AppError::Conflict(_) => (ErrorCode::Conflict, StatusCode::CONFLICT),
            AppError::ConsentRequired(_) => (ErrorCode::ConsentRequired, StatusCode::FORBIDDEN),
            AppError::Stalled(_) => (ErrorCode::Stalled, StatusCode::REQUEST_TIMEOUT),
            AppError::NoFreeSlot { .. } => (ErrorCode::NoFreeSlot, StatusCode::CONFLICT),
            AppError::CodeInvalid => (ErrorCode::CodeInvalid, StatusCode::FORBIDDEN),
            AppError::ComputerOffline(_) => (ErrorCode::ComputerOffline, StatusCode::CONFLICT),
            AppError::SecondFactorRequired => {
                (ErrorCode::SecondFactorRequired, StatusCode::UNAUTHORIZED)
            }
            AppError::SecondFactorInvalid => {
                (ErrorCode::SecondFactorInvalid, StatusCode::UNAUTHORIZED)
            }
            AppError::SecondFactorSetupRequired => {
                (ErrorCode::SecondFactorSetupRequired, StatusCode::FORBIDDEN)
            }
            AppError::WrongPassword | AppError::CurrentPasswordWrong => {
                (ErrorCode::WrongPassword, StatusCode::FORBIDDEN)
            }
            AppError::RateLimited { .. } => (ErrorCode::RateLimited, StatusCode::TOO_MANY_REQUESTS),
            AppError::PayloadTooLarge(_) => {
                (ErrorCode::PayloadTooLarge, StatusCode::PAYLOAD_TOO_LARGE)
            }
            AppError::QuotaExceeded(_) => (ErrorCode::QuotaExceeded, StatusCode::PAYLOAD_TOO_LARGE),
            AppError::InsufficientStorage => (
                ErrorCode::InsufficientStorage,
                StatusCode::INSUFFICIENT_STORAGE,
            ),
            AppError::MethodNotAllowed(_) => {
                (ErrorCode::MethodNotAllowed, StatusCode::METHOD_NOT_ALLOWED)
            }
            AppError::RangeNotSatisfiable { .. } => (
                ErrorCode::RangeNotSatisfiable,
                StatusCode::RANGE_NOT_SATISFIABLE,
            ),
            AppError::ChecksumMismatch => (
                ErrorCode::ChecksumMismatch,
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            AppError::DeliveryFailed(_) => (ErrorCode::DeliveryFailed, StatusCode::BAD_GATEWAY),
            AppError::Internal(_) => (ErrorCode::Internal, StatusCode::INTERNAL_SERVER_ERROR),
        }
    }

    /// The body clients see; internal details stay in the log.
    pub fn to_api_error(&self) -> ApiError {
        let (code, _) = self.code_and_status();
        let message = match self {
            AppError::Internal(_) => "something went wrong on the server".to_string(),
            other => other.to_string(),
        };
        ApiError::new(code, message)
    }
}

impl From<crate::store::StoreError> for AppError {
    fn from(err: crate::store::StoreError) -> Self {
        AppError::Internal(err.into())
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::BytesRejection(_) => AppError::PayloadTooLarge(
                "the request body is too large or could not be read".into(),
            ),
            other => AppError::InvalidInput(format!("invalid JSON body: {}", other.body_text())),
        }
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        AppError::InvalidInput(format!("invalid path: {}", rejection.body_text()))
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        AppError::InvalidInput(format!("invalid query: {}", rejection.body_text()))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (_, status) = self.code_and_status();
        if let AppError::Internal(cause) = &self {
            tracing::error!(error = ?cause, "internal error");
        }
        let mut response = (status, axum::Json(self.to_api_error())).into_response();
        match self {
            AppError::RateLimited { retry_after_secs } => {
                if let Ok(value) = retry_after_secs.to_string().parse() {
                    response.headers_mut().insert("retry-after", value);
                }
            }
            AppError::RangeNotSatisfiable { size } => {
                if let Ok(value) = format!("bytes */{size}").parse() {
                    response.headers_mut().insert("content-range", value);
                }
            }
            _ => {}
        }
        response
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// JSON extractor whose rejections are `AppError`s, so malformed and unknown-field
/// bodies get the same `{code, message}` as everything else. Every request body is a
/// JSON object: serde would also read a struct from an array of its fields in order,
/// which no client sends and the API does not document.
pub struct Json<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for Json<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, state: &S) -> AppResult<Self> {
        let axum::Json(value) =
            axum::Json::<serde_json::Value>::from_request(request, state).await?;
        if !value.is_object() {
            return Err(AppError::invalid("the request body must be a JSON object"));
        }
        serde_path_to_error::deserialize(value)
            .map(Json)
            .map_err(|err| AppError::InvalidInput(format!("invalid JSON body: {err}")))
    }
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct Path<T>(pub T);

#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct Query<T>(pub T);
