//! The trailer the service appends to an agent download so the copy knows its service and
//! session without anything to type: the agent's bytes, then
//! `<JSON><JSON length, u32 LE><b"LLAGENT1">`. Both the writer (the service) and the
//! reader (the agent, on its own file) use these two functions, so the format lives once.

/// The last eight bytes of a file that carries a trailer.
pub const TRAILER_MAGIC: &[u8; 8] = b"LLAGENT1";

/// The longest JSON a trailer may carry; a longer one is not a trailer.
pub const MAX_TRAILER_JSON: usize = 4096;

/// The bytes after the JSON: its length and the magic.
pub const TRAILER_FOOTER: usize = 4 + TRAILER_MAGIC.len();

/// The most bytes of a file's end a reader needs to find any trailer.
pub const MAX_TRAILER_BYTES: usize = MAX_TRAILER_JSON + TRAILER_FOOTER;

/// The JSON is longer than [`MAX_TRAILER_JSON`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a trailer's JSON is {0} bytes, more than a trailer carries")]
pub struct TrailerTooLong(pub usize);

/// What to append to a file so that it carries `json`.
pub fn encode_trailer(json: &[u8]) -> Result<Vec<u8>, TrailerTooLong> {
    if json.len() > MAX_TRAILER_JSON {
        return Err(TrailerTooLong(json.len()));
    }
    let length = u32::try_from(json.len()).map_err(|_| TrailerTooLong(json.len()))?;
    let mut trailer = Vec::with_capacity(json.len() + TRAILER_FOOTER);
    trailer.extend_from_slice(json);
    trailer.extend_from_slice(&length.to_le_bytes());
    trailer.extend_from_slice(TRAILER_MAGIC);
    Ok(trailer)
}

/// The JSON of the trailer that `tail` (the end of a file, any length) ends with, if it
/// ends with one.
pub fn decode_trailer(tail: &[u8]) -> Option<&[u8]> {
    let footer_at = tail.len().checked_sub(TRAILER_FOOTER)?;
    let (body, footer) = tail.split_at(footer_at);
    let (length, magic) = footer.split_at(4);
    if magic != TRAILER_MAGIC {
        return None;
    }
    let length = usize::try_from(u32::from_le_bytes(length.try_into().ok()?)).ok()?;
    if length > MAX_TRAILER_JSON {
        return None;
    }
    let json_at = body.len().checked_sub(length)?;
    Some(&body[json_at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trailer_reads_back_after_any_program_bytes() {
        let mut file = b"\x7fELF program bytes".to_vec();
        file.extend(encode_trailer(br#"{"server":"https://x"}"#).expect("short"));
        assert_eq!(
            decode_trailer(&file),
            Some(&br#"{"server":"https://x"}"#[..])
        );
        assert_eq!(
            decode_trailer(&encode_trailer(b"").expect("empty")),
            Some(&b""[..])
        );
    }

    #[test]
    fn what_is_not_a_trailer_reads_as_none() {
        assert_eq!(decode_trailer(b""), None);
        assert_eq!(decode_trailer(b"LLAGENT1"), None);
        let mut claims_more = 10u32.to_le_bytes().to_vec();
        claims_more.extend_from_slice(TRAILER_MAGIC);
        assert_eq!(decode_trailer(&claims_more), None, "length past the start");
        let mut huge = u32::MAX.to_le_bytes().to_vec();
        huge.extend_from_slice(TRAILER_MAGIC);
        assert_eq!(decode_trailer(&huge), None);
        assert_eq!(
            encode_trailer(&[b' '; MAX_TRAILER_JSON + 1]),
            Err(TrailerTooLong(MAX_TRAILER_JSON + 1))
        );
    }
}
