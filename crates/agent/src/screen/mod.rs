//! The agent as a screen sender: pictures of one display, taken only as fast as the
//! viewers acknowledge, encoded only when something changed, sent over the session's
//! media socket to the same relay and viewer as the browser's screen share.

pub mod capture;
pub mod encode;
pub mod pace;
mod stream;

pub use stream::{send_screen, StreamEnd};

/// Why the screen cannot be sent.
#[derive(Debug, thiserror::Error)]
pub enum ScreenError {
    #[error("this computer has no display to show")]
    NoDisplay,
    #[error("there is no display {0} on this computer")]
    UnknownDisplay(String),
    #[error("the screen could not be captured: {0}")]
    Capture(String),
    #[error("the picture could not be encoded: {0}")]
    Encode(String),
    #[error("the technician's viewer decodes nothing this agent encodes")]
    NoCommonCodec,
    #[error(transparent)]
    Client(#[from] lifeline_client::ClientError),
}

impl ScreenError {
    fn capture(err: impl std::fmt::Display) -> Self {
        Self::Capture(err.to_string())
    }
}
