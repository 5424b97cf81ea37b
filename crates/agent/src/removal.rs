//! Removing what the agent leaves behind when it is over: the downloaded program of an
//! attended session, and the folder the Windows download installed this copy into.
//!
//! On Windows a running program and its folder cannot be deleted, so a hidden `cmd`
//! does it just after this process exits (two tries, two seconds apart: a second copy,
//! such as `--end`, may still be closing). Elsewhere it happens at once.

use std::path::Path;

use crate::AgentError;

/// Removes the file at `path`, now or just after this program exits.
pub fn remove_file(path: &Path) -> Result<(), AgentError> {
    remove(path, Kind::File)
}

/// Removes the folder `dir` with everything in it, now or just after this program exits.
pub fn remove_folder(dir: &Path) -> Result<(), AgentError> {
    remove(dir, Kind::Folder)
}

#[derive(Clone, Copy)]
enum Kind {
    File,
    Folder,
}

/// Something already gone counts as removed.
fn remove(path: &Path, kind: Kind) -> Result<(), AgentError> {
    #[cfg(windows)]
    {
        let command = match kind {
            Kind::File => "del /F /Q",
            Kind::Folder => "rmdir /S /Q",
        };
        after_exit(&format!("{command} \"{}\"", path.display()), path)
    }
    #[cfg(not(windows))]
    {
        let removed = match kind {
            Kind::File => std::fs::remove_file(path),
            Kind::Folder => std::fs::remove_dir_all(path),
        };
        match removed {
            Ok(()) => Ok(()),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(err) => Err(AgentError::io(format!("removing {}", path.display()))(err)),
        }
    }
}

/// Runs `command` twice in a hidden `cmd`, after about two and four seconds.
#[cfg(windows)]
fn after_exit(command: &str, path: &Path) -> Result<(), AgentError> {
    use std::os::windows::process::CommandExt;
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    // Windows paths hold no double quotes, so quoting them is enough. The line is
    // passed as written: `cmd /C` strips the outer quotes itself and would misread
    // the per-argument quoting of `Command::arg`.
    let wait = "ping -n 3 127.0.0.1 >NUL";
    std::process::Command::new("cmd")
        .raw_arg(format!(
            "/C \"{wait} & {command} 2>NUL & {wait} & {command} 2>NUL\""
        ))
        .creation_flags(CREATE_NO_WINDOW)
        .spawn()
        .map(drop)
        .map_err(AgentError::io(format!("removing {}", path.display())))
}
