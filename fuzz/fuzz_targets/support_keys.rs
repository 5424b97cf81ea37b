//! Support keys and security codes as people type them: nine digits, spaces and dashes
//! allowed. Nothing may panic, and a key that parses is nine digits that parse again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lifeline_protocol::SupportKey;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(key) = SupportKey::parse(text) {
        assert_eq!(key.as_str().len(), 9);
        assert!(key.as_str().bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(SupportKey::parse(key.as_str()).ok(), Some(key));
    }
});
