//! Lifeline's technician core, with no UI: the typed REST client, the realtime client
//! that reconnects and resumes by itself, and resumable file transfer with checksums.
//! On top of them, [`desk::Desk`] is everything the desktop app does, with the OS
//! integrations it needs (keychain, clipboard, notifications) in plugin shape: a small
//! type over a trait, a real backend behind a cargo feature, and a fake for tests.
//!
//! The desktop app uses it as it is; tests use it to play the technician (and, through
//! [`ApiClient::join`], the end user). It must not know about Tauri, windows or any UI,
//! and it never logs tokens.

mod adhoc;
mod api;
mod attended;
pub mod clipboard;
pub mod desk;
mod enrollment;
mod error;
mod files;
pub mod ipc;
pub mod keychain;
mod media;
pub mod notifications;
pub mod qr;
mod realtime;
mod replies;
mod sessions;
pub mod trust;

pub use adhoc::PreparedAdhoc;
pub use api::{ApiClient, Bearer};
pub use enrollment::EnrollmentSecret;
pub use error::ClientError;
pub use files::Progress;
pub use lifeline_protocol as protocol;
pub use media::{MediaControl, MediaEvent, MediaSocket};
pub use realtime::{RealtimeClient, RealtimeEvent, RealtimeHandle, RealtimeOptions};
pub use trust::Trust;
