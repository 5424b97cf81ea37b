//! The download trailer the service appends, read from this program's own file (the
//! format is `lifeline_protocol::trailer`'s).

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use uuid::Uuid;

use lifeline_protocol::trailer::{decode_trailer, MAX_TRAILER_BYTES};

/// Where this copy belongs. An ad-hoc download names the ad-hoc session (the person
/// types the security code); an attended download, from a keyed session's page, also
/// carries the token that lets it join that session at once.
#[derive(Debug, Clone, Deserialize)]
pub struct Trailer {
    pub server: String,
    pub session_id: Uuid,
    #[serde(default)]
    pub attended_token: Option<SecretString>,
}

impl PartialEq for Trailer {
    fn eq(&self, other: &Self) -> bool {
        self.server == other.server
            && self.session_id == other.session_id
            && self
                .attended_token
                .as_ref()
                .map(ExposeSecret::expose_secret)
                == other
                    .attended_token
                    .as_ref()
                    .map(ExposeSecret::expose_secret)
    }
}

/// The trailer of a file, if it has one.
pub fn read(path: &Path) -> std::io::Result<Option<Trailer>> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    let tail_len = len.min(MAX_TRAILER_BYTES as u64);
    file.seek(SeekFrom::End(-i64::try_from(tail_len).unwrap_or(0)))?;
    let mut tail = Vec::with_capacity(MAX_TRAILER_BYTES);
    file.take(tail_len).read_to_end(&mut tail)?;
    Ok(decode_trailer(&tail).and_then(|json| serde_json::from_slice(json).ok()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A program file with `json` as its trailer.
    fn with_trailer(path: &Path, json: &[u8]) {
        let mut bytes = b"\x7fELF program".to_vec();
        bytes.extend(lifeline_protocol::trailer::encode_trailer(json).expect("short"));
        std::fs::write(path, &bytes).expect("write");
    }

    #[test]
    fn a_trailer_is_read_back_and_a_plain_file_has_none() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("agent");
        let json = br#"{"server":"http://127.0.0.1:8080","session_id":"6a5a9788-84c9-4e7c-881a-8e659aaf7523"}"#;
        with_trailer(&path, json);
        let trailer = read(&path).expect("read").expect("has a trailer");
        assert_eq!(trailer.server, "http://127.0.0.1:8080");
        assert!(
            trailer.attended_token.is_none(),
            "an ad-hoc download has no token"
        );
        std::fs::write(&path, b"\x7fELF program without trailer").expect("write");
        assert_eq!(read(&path).expect("read"), None);
    }

    #[test]
    fn an_attended_trailer_carries_its_token_and_never_prints_it() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("agent");
        let json = br#"{"server":"http://127.0.0.1:8080","session_id":"6a5a9788-84c9-4e7c-881a-8e659aaf7523","attended_token":"llh_secret"}"#;
        with_trailer(&path, json);
        let trailer = read(&path).expect("read").expect("has a trailer");
        let token = trailer.attended_token.as_ref().expect("attended");
        assert_eq!(token.expose_secret(), "llh_secret");
        assert!(!format!("{trailer:?}").contains("llh_secret"));
    }
}
