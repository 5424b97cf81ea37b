//! `lifeline-agent`, the support-session app an end user runs for ad-hoc support.
//!
//! It owns the computer side of a session: reading where to enroll (its download's
//! trailer, or flags), enrolling with the security code, keeping its credentials and a
//! user autostart entry for the 24 hours, staying connected, and removing everything it
//! created when the session ends or expires. It checks a connecting technician's proof
//! of the ad-hoc password itself, then offers chat, files both ways and system
//! information. It never creates OS user accounts and never needs administrator rights.
//!
//! It must not know about windows or toolkits: the binary's window (and its terminal
//! mode) only render the [`view::AgentView`] and [`connection::Notice`]s it reports.

pub mod autostart;
pub mod computer;
pub mod connection;
pub mod credentials;
pub mod run;
pub mod trailer;
pub mod view;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("{0}")]
    Client(#[from] lifeline_client::ClientError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error("the saved session is unreadable: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Usage(String),
}

impl AgentError {
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.into();
        move |source| AgentError::Io { what, source }
    }
}
