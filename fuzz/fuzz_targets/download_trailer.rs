//! The end of an agent's own file, read for the trailer the service appended. Nothing may
//! panic, what is found is at the very end, and a trailer written for any JSON reads back
//! as that JSON after any program bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lifeline_protocol::trailer::{decode_trailer, encode_trailer, MAX_TRAILER_JSON};

fuzz_target!(|input: (&[u8], &[u8])| {
    let (program, json) = input;
    if let Some(found) = decode_trailer(program) {
        assert!(found.len() <= MAX_TRAILER_JSON);
        assert!(program.len() >= found.len() + 12);
    }
    if let Ok(trailer) = encode_trailer(json) {
        let mut file = program.to_vec();
        file.extend_from_slice(&trailer);
        assert_eq!(decode_trailer(&file), Some(json));
    } else {
        assert!(json.len() > MAX_TRAILER_JSON);
    }
});
