//! The media socket's frames: text control frames and binary chunk frames (a length,
//! a JSON header, the payload). No input may panic the reader; a chunk it accepts has its
//! payload inside the frame, and encoding its header again reads back the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lifeline_protocol::{decode_chunk, encode_chunk, MediaClientFrame};

fuzz_target!(|data: &[u8]| {
    let _ = serde_json::from_slice::<MediaClientFrame>(data);
    if let Ok((header, payload_at)) = decode_chunk(data) {
        assert!(payload_at <= data.len(), "the payload starts inside the frame");
        let payload = &data[payload_at..];
        let again = encode_chunk(&header, payload);
        let (reread, at) = decode_chunk(&again).expect("a re-encoded chunk reads back");
        assert_eq!(
            serde_json::to_value(&reread).ok(),
            serde_json::to_value(&header).ok()
        );
        assert_eq!(&again[at..], payload);
    }
});
