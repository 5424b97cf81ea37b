//! File names as an end user's browser or a technician's client announces them. Nothing
//! may panic, and what comes out is one path component that is safe to save under on
//! every system and reads back unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lifeline_protocol::text::{is_deceptive, sanitize_file_name};
use lifeline_protocol::MAX_FILE_NAME_CHARS;

fuzz_target!(|raw: &str| {
    let name = sanitize_file_name(raw);
    assert!(!name.is_empty());
    assert!(name.chars().count() <= MAX_FILE_NAME_CHARS, "{name:?}");
    assert!(!name.contains(['/', '\\', ':', '*', '?', '"', '<', '>', '|']), "{name:?}");
    assert!(!name.starts_with('.'), "{name:?}");
    assert!(!name.ends_with(['.', ' ']), "{name:?}");
    assert!(
        !name.chars().any(|c| c.is_control() || is_deceptive(c)),
        "{name:?}"
    );
    assert_eq!(sanitize_file_name(&name), name, "a clean name stays as it is");
});
