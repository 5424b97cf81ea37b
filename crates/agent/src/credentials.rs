//! The agent's saved session: readable by this user only, removed at the end.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::AgentError;

#[derive(Clone, Serialize, Deserialize)]
pub struct Credentials {
    pub server: String,
    pub session_id: Uuid,
    pub agent_token: String,
    /// What the agent checks a connecting technician's proof of the password against.
    pub verifier: lifeline_protocol::AdhocVerifier,
    pub technician_name: String,
    pub expires_at: i64,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("server", &self.server)
            .field("session_id", &self.session_id)
            .field("agent_token", &"<redacted>")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// The user's local data folder (`$XDG_DATA_HOME`, `~/.local/share`; `%LOCALAPPDATA%`,
/// which does not roam to other computers) + `lifeline-agent`. Without a home folder
/// there is no private place for the session's token (the temp folder is shared), so
/// the agent refuses to start.
pub fn default_state_dir() -> Result<PathBuf, AgentError> {
    state_dir_in(dirs::data_local_dir())
}

fn state_dir_in(data: Option<PathBuf>) -> Result<PathBuf, AgentError> {
    Ok(data.ok_or(AgentError::NoHome)?.join("lifeline-agent"))
}

#[cfg(test)]
#[test]
fn without_a_data_folder_there_is_no_state_folder() {
    assert!(matches!(state_dir_in(None), Err(AgentError::NoHome)));
    assert_eq!(
        state_dir_in(Some(PathBuf::from("/home/erika/.local/share"))).expect("a folder"),
        PathBuf::from("/home/erika/.local/share/lifeline-agent")
    );
}

fn file(dir: &Path) -> PathBuf {
    dir.join("session.json")
}

pub fn load(dir: &Path) -> Result<Option<Credentials>, AgentError> {
    match std::fs::read(file(dir)) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| AgentError::Corrupt(e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(AgentError::io(format!("reading {}", file(dir).display()))(
            e,
        )),
    }
}

/// Creates `dir` for this user alone: mode 0700 on Unix; on Windows an ACL with this
/// user's entry only, which the files inside inherit.
fn create_private(dir: &Path) -> Result<(), AgentError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(AgentError::io(format!("creating {}", dir.display())))?;
    #[cfg(windows)]
    private::restrict_to_this_user(dir)
        .map_err(AgentError::io(format!("making {} private", dir.display())))?;
    Ok(())
}

#[cfg(windows)]
#[path = "private_folder_windows.rs"]
mod private;

pub fn save(dir: &Path, credentials: &Credentials) -> Result<(), AgentError> {
    create_private(dir)?;
    let json =
        serde_json::to_vec_pretty(credentials).map_err(|e| AgentError::Corrupt(e.to_string()))?;
    let path = file(dir);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut out = options
        .open(&path)
        .map_err(AgentError::io(format!("writing {}", path.display())))?;
    std::io::Write::write_all(&mut out, &json)
        .map_err(AgentError::io(format!("writing {}", path.display())))
}

/// Removes the whole state directory.
pub fn remove(dir: &Path) -> Result<(), AgentError> {
    match std::fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(AgentError::io(format!("removing {}", dir.display()))(e)),
    }
}
