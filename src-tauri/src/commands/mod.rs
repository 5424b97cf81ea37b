//! The commands the UI invokes, one module per feature. Each is a one-call adapter onto
//! [`lifeline_client::desk::Desk`]: no logic lives here.

pub mod adhoc;
pub mod auth;
pub mod chat;
pub mod files;
pub mod invites;
pub mod screen;
pub mod sessions;
pub mod settings;
