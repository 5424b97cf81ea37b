//! Lifeline's technician core, with no UI: the typed REST client, the realtime client
//! that reconnects and resumes by itself, and resumable file transfer with checksums.
//!
//! The desktop app uses it as it is; tests use it to play the technician (and, through
//! [`ApiClient::join`], the end user). It must not know about Tauri, windows or any UI,
//! and it never logs tokens.

mod api;
mod error;
mod files;
mod realtime;

pub use api::{ApiClient, Bearer};
pub use error::ClientError;
pub use files::Progress;
pub use lifeline_protocol as protocol;
pub use realtime::{RealtimeClient, RealtimeEvent, RealtimeOptions};
