//! The Windows autostart entry: a string value under this user's
//! `HKCU\Software\Microsoft\Windows\CurrentVersion\Run`, holding the command line.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use winreg::enums::HKEY_CURRENT_USER;
use winreg::RegKey;

use crate::AgentError;

const RUN_KEY: &str = r"Software\Microsoft\Windows\CurrentVersion\Run";

/// The `Run` value's name.
pub fn default_entry_path() -> Result<PathBuf, AgentError> {
    Ok(PathBuf::from("Lifeline support session"))
}

/// A command line as Windows reads it back: every argument in double quotes. Windows
/// paths cannot hold a double quote, and the flags here hold none, so nothing inside
/// needs escaping; an argument that has one (or a control character) is refused.
fn command_line(command: &[&OsStr]) -> Result<String, AgentError> {
    command
        .iter()
        .map(|argument| {
            let text = argument
                .to_str()
                .filter(|text| !text.contains('"') && !text.chars().any(char::is_control));
            text.map(|text| format!("\"{text}\"")).ok_or_else(|| {
                AgentError::Usage(format!(
                    "{} cannot be part of a command that starts by itself",
                    Path::new(argument).display()
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()
        .map(|arguments| arguments.join(" "))
}

fn value_name(entry: &Path) -> String {
    entry.to_string_lossy().into_owned()
}

fn run_key(access: u32) -> Result<RegKey, AgentError> {
    RegKey::predef(HKEY_CURRENT_USER)
        .create_subkey_with_flags(RUN_KEY, access)
        .map(|(key, _)| key)
        .map_err(AgentError::io(format!("opening HKCU\\{RUN_KEY}")))
}

/// Writes the value that runs `command` (the program, then its arguments) at sign-in.
pub fn install(entry: &Path, command: &[&OsStr]) -> Result<(), AgentError> {
    let line = command_line(command)?;
    run_key(winreg::enums::KEY_SET_VALUE)?
        .set_value(value_name(entry), &line)
        .map_err(AgentError::io(format!(
            "writing HKCU\\{RUN_KEY}\\{}",
            value_name(entry)
        )))
}

pub fn remove(entry: &Path) -> Result<(), AgentError> {
    match run_key(winreg::enums::KEY_SET_VALUE)?.delete_value(value_name(entry)) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(AgentError::io(format!(
            "removing HKCU\\{RUN_KEY}\\{}",
            value_name(entry)
        ))(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_holds_the_command_and_goes_again() {
        let entry = PathBuf::from("Lifeline support session (test)");
        let program =
            Path::new(r"C:\Users\Erika Muster\AppData\Local\Lifeline (1)\lifeline-agent.exe");
        install(&entry, &[program.as_os_str(), "--state-dir".as_ref()]).expect("installed");
        let key = RegKey::predef(HKEY_CURRENT_USER)
            .open_subkey(RUN_KEY)
            .expect("the Run key");
        let line: String = key.get_value(value_name(&entry)).expect("the value");
        assert_eq!(line, format!("\"{}\" \"--state-dir\"", program.display()));
        remove(&entry).expect("removed");
        assert!(key.get_value::<String, _>(value_name(&entry)).is_err());
        remove(&entry).expect("removing again is quiet");
        assert!(matches!(
            install(&entry, &["a\"b".as_ref()]),
            Err(AgentError::Usage(_))
        ));
    }
}
