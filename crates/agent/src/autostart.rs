//! Starting again after a reboot within the 24 hours: an XDG autostart entry for this
//! user on Linux. (On Windows the same is a value under
//! `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`; neither needs admin rights.)

use std::path::{Path, PathBuf};

use crate::AgentError;

/// The XDG autostart entry in the user's config folder (`$XDG_CONFIG_HOME`, `~/.config`).
pub fn default_entry_path() -> PathBuf {
    let config = dirs::config_dir().unwrap_or_else(std::env::temp_dir);
    config.join("autostart").join("lifeline-agent.desktop")
}

pub fn install(entry: &Path, program: &Path, state_dir: &Path) -> Result<(), AgentError> {
    if let Some(dir) = entry.parent() {
        std::fs::create_dir_all(dir)
            .map_err(AgentError::io(format!("creating {}", dir.display())))?;
    }
    let quote = |p: &Path| format!("\"{}\"", p.display().to_string().replace('"', "\\\""));
    let text = format!(
        "[Desktop Entry]\nType=Application\nName=Lifeline support session\n\
         Comment=Keeps the ad hoc support session until it ends\n\
         Exec={} --state-dir {}\nX-GNOME-Autostart-enabled=true\nNoDisplay=true\n",
        quote(program),
        quote(state_dir)
    );
    std::fs::write(entry, text).map_err(AgentError::io(format!("writing {}", entry.display())))
}

pub fn remove(entry: &Path) -> Result<(), AgentError> {
    match std::fs::remove_file(entry) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(AgentError::io(format!("removing {}", entry.display()))(e)),
    }
}
