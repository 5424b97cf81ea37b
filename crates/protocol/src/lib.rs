//! Wire types of Lifeline: every REST body, WebSocket frame and session event that
//! crosses between the service, the technician client and the end-user page.
//!
//! This crate owns the shapes and their validation rules that both ends must agree on.
//! It must not do I/O, know about storage, or depend on any transport; the service,
//! the client and the generated TypeScript all read the same definitions from here.

mod adhoc;
mod attended;
mod auth;
mod canned;
mod enrollment;
mod error;
mod event;
mod file;
mod input;
mod invite;
mod media;
mod password;
pub mod range;
mod realtime;
mod secret;
mod session;
mod support_key;
pub mod text;
pub mod trailer;

pub use adhoc::*;
pub use attended::*;
pub use auth::*;
pub use canned::*;
pub use enrollment::*;
pub use error::*;
pub use event::*;
pub use file::*;
pub use input::*;
pub use invite::*;
pub use media::*;
pub use password::*;
pub use realtime::*;
pub use secret::Secret;
pub use session::*;
pub use support_key::*;

/// Milliseconds since the Unix epoch, UTC: the one time format on the wire.
pub type UnixMillis = i64;

/// Longest chat message, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4000;
/// Longest display name a person may give, in characters.
pub const MAX_NAME_CHARS: usize = 80;
/// Longest file name kept, in characters.
pub const MAX_FILE_NAME_CHARS: usize = 200;
/// The WebSocket sub-path every party connects to.
pub const REALTIME_PATH: &str = "/api/v1/realtime";
