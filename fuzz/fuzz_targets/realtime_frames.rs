//! What a realtime client sends, as the service reads it: any bytes as a client frame,
//! and the frames the service sends read back by the client. Neither may panic, and a
//! frame that parses must write itself back to something that parses the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lifeline_protocol::{ClientFrame, ServerFrame};

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = serde_json::from_slice::<ClientFrame>(data) {
        let again = serde_json::to_vec(&frame).expect("a parsed frame writes back");
        let reparsed: ClientFrame = serde_json::from_slice(&again).expect("and parses again");
        assert_eq!(
            serde_json::to_value(&reparsed).ok(),
            serde_json::to_value(&frame).ok()
        );
    }
    let _ = serde_json::from_slice::<ServerFrame>(data);
});
