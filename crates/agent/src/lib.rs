//! `lifeline-agent`, the support-session app an end user runs for ad-hoc support.
//!
//! It owns the computer side of a session: reading where to enroll (its download's
//! trailer, or flags), enrolling with the security code, keeping its credentials and a
//! user autostart entry for the 24 hours, staying connected, and removing everything it
//! created when the session ends or expires (on Windows also the copy its download
//! installed for the user). It checks a connecting technician's proof
//! of the ad-hoc password itself, then offers chat, files both ways and system
//! information. It never creates OS user accounts and never needs administrator rights.
//!
//! Both front ends, the window ([`shell`]) and the terminal (the binary), drive the one
//! facade [`session::AgentSession`] and only render the [`view::AgentView`] and
//! [`connection::Notice`]s it reports. Only [`shell`] knows Tauri; nothing else here
//! knows windows or toolkits.

pub mod attended;
pub mod autostart;
pub mod clipboard;
pub mod computer;
pub mod connection;
pub mod control;
pub mod credentials;
pub mod presence;
pub mod reach;
pub mod removal;
pub mod run;
pub mod screen;
pub mod session;
pub mod sharing;
pub mod shell;
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
    #[error("this computer is not waiting for a security code")]
    NotWaitingForCode,
    /// This copy does not know which session to enroll in.
    #[error(transparent)]
    CannotEnroll(#[from] session::NoTarget),
    #[error("that is not a security code")]
    InvalidCode,
    #[error("there is no session running on this computer")]
    NoSession,
    #[error("no technician is connected now")]
    NoTechnician,
    #[error("the message is empty")]
    EmptyMessage,
    #[error("the message is longer than {0} characters")]
    MessageTooLong(usize),
    #[error("the technician has not asked for anything")]
    NothingAsked,
    #[error("the screen is not being shown")]
    NotSharing,
    #[error("{} is not a file that can be read", .0.display())]
    NotAFile(std::path::PathBuf),
    /// No home folder: nowhere private to keep the session. The temp folder is not
    /// private enough for its token.
    #[error("this user has no home folder to keep the session in privately; run the app as a user with one, or name a private folder with --state-dir and --autostart-entry")]
    NoHome,
}

impl AgentError {
    /// The security code was refused: here (not a code at all) or by the service.
    pub fn is_wrong_code(&self) -> bool {
        match self {
            AgentError::InvalidCode => true,
            AgentError::Client(err) => {
                err.code() == Some(lifeline_protocol::ErrorCode::CodeInvalid)
            }
            _ => false,
        }
    }

    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> Self {
        let what = what.into();
        move |source| AgentError::Io { what, source }
    }
}
