//! The XDG autostart entry (Linux and other free desktops): a `.desktop` file in the
//! user's autostart folder.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::AgentError;

/// The XDG autostart entry in the user's config folder (`$XDG_CONFIG_HOME`, `~/.config`).
/// Without one there is nowhere private to put it, and the agent refuses to go on.
pub fn default_entry_path() -> Result<PathBuf, AgentError> {
    entry_path_in(dirs::config_dir())
}

fn entry_path_in(config: Option<PathBuf>) -> Result<PathBuf, AgentError> {
    let config = config.ok_or(AgentError::NoHome)?;
    Ok(config.join("autostart").join("lifeline-agent.desktop"))
}

/// One argument of an `Exec=` line, as the Desktop Entry Specification (1.5, "The Exec
/// key") wants it: in double quotes, with `"`, `` ` ``, `$` and `\` escaped by a
/// backslash and `%` doubled; then the value's own escaping doubles every backslash.
/// A path with a control character cannot be written there and is refused.
fn exec_argument(argument: &OsStr) -> Result<String, AgentError> {
    let text = argument.to_str().ok_or_else(|| {
        AgentError::Usage(format!(
            "{} is not valid UTF-8",
            Path::new(argument).display()
        ))
    })?;
    if text.chars().any(char::is_control) {
        return Err(AgentError::Usage(format!(
            "{text:?} holds a control character and cannot start by itself"
        )));
    }
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        match c {
            '"' | '`' | '$' | '\\' => {
                quoted.push('\\');
                quoted.push(c);
            }
            '%' => quoted.push_str("%%"),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    Ok(quoted.replace('\\', "\\\\"))
}

/// Writes the entry that runs `command` (the program, then its arguments) at sign-in.
pub fn install(entry: &Path, command: &[&OsStr]) -> Result<(), AgentError> {
    let exec = command
        .iter()
        .map(|argument| exec_argument(argument))
        .collect::<Result<Vec<_>, _>>()?
        .join(" ");
    if let Some(dir) = entry.parent() {
        std::fs::create_dir_all(dir)
            .map_err(AgentError::io(format!("creating {}", dir.display())))?;
    }
    let text = format!(
        "[Desktop Entry]\nType=Application\nName=Lifeline support session\n\
         Comment=Keeps the ad hoc support session until it ends\n\
         Exec={exec}\nX-GNOME-Autostart-enabled=true\nNoDisplay=true\n"
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The reading side of the specification: the value's escapes (`\\s`, `\\n`, `\\t`,
    /// `\\r`, `\\\\`), then the quoted arguments with their backslash escapes, then `%%`.
    fn exec_arguments(line: &str) -> Vec<String> {
        let mut value = String::new();
        let mut chars = line.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                value.push(c);
                continue;
            }
            match chars.next() {
                Some('s') => value.push(' '),
                Some('n') => value.push('\n'),
                Some('t') => value.push('\t'),
                Some('r') => value.push('\r'),
                Some('\\') => value.push('\\'),
                other => panic!("a stray backslash before {other:?} in {line:?}"),
            }
        }
        let mut arguments = Vec::new();
        let mut chars = value.chars().peekable();
        loop {
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            let Some(first) = chars.next() else { break };
            let mut argument = String::new();
            if first == '"' {
                loop {
                    match chars.next().expect("a closing quote") {
                        '"' => break,
                        '\\' => {
                            let escaped = chars.next().expect("an escaped character");
                            assert!(
                                matches!(escaped, '"' | '`' | '$' | '\\'),
                                "{escaped:?} may not be escaped"
                            );
                            argument.push(escaped);
                        }
                        c => {
                            assert!(!matches!(c, '`' | '$'), "{c:?} must be escaped");
                            argument.push(c);
                        }
                    }
                }
            } else {
                argument.push(first);
                while let Some(&c) = chars.peek() {
                    if c == ' ' {
                        break;
                    }
                    argument.push(c);
                    chars.next();
                }
            }
            arguments.push(argument.replace("%%", "%"));
        }
        arguments
    }

    #[test]
    fn every_path_reads_back_as_itself_from_the_exec_line() {
        let dir = tempfile::tempdir().expect("dir");
        for odd in [
            "plain",
            "with space",
            "quote\" and `tick` and $HOME",
            "back\\slash\\\\double",
            "100% %f %u",
            "semi;colon & pipe | <angle> (paren) ~tilde 'single' #hash *star ?q",
        ] {
            let program = dir.path().join(odd).join("lifeline-agent");
            let state = dir.path().join(format!("state {odd}"));
            let entry = dir.path().join("entry.desktop");
            let command = [
                program.as_os_str(),
                "--state-dir".as_ref(),
                state.as_os_str(),
            ];
            install(&entry, &command).expect("installed");
            let text = std::fs::read_to_string(&entry).expect("entry");
            let exec = text
                .lines()
                .find_map(|line| line.strip_prefix("Exec="))
                .expect("an Exec line");
            assert_eq!(
                exec_arguments(exec),
                vec![
                    program.display().to_string(),
                    "--state-dir".to_owned(),
                    state.display().to_string()
                ],
                "{exec}"
            );
        }
    }

    #[test]
    fn control_characters_are_refused_and_no_config_folder_is_an_error() {
        let dir = tempfile::tempdir().expect("dir");
        let entry = dir.path().join("entry.desktop");
        let program = dir.path().join("line\nbreak");
        assert!(matches!(
            install(&entry, &[program.as_os_str()]),
            Err(AgentError::Usage(_))
        ));
        assert!(!entry.exists(), "nothing half-written");
        assert!(matches!(entry_path_in(None), Err(AgentError::NoHome)));
    }
}
