//! Bearer tokens: 256 random bits from the OS CSPRNG, prefixed by kind, stored only as
//! SHA-256 hashes. A prefix lets a leaked token be recognised and routed without lookup.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::TryRngCore;
use sha2::{Digest, Sha256};

pub const ACCESS_PREFIX: &str = lifeline_protocol::ACCESS_TOKEN_PREFIX;
pub const REFRESH_PREFIX: &str = "llr_";
pub const END_USER_PREFIX: &str = "lle_";
pub const AGENT_PREFIX: &str = "llg_";
/// The attended app of one keyed session, and its single-use download ticket.
pub const ATTENDED_PREFIX: &str = "llh_";
pub const TICKET_PREFIX: &str = "lld_";

/// A fresh token with the given prefix.
pub fn generate(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes);
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub fn fill_random(bytes: &mut [u8]) {
    // The OS generator failing means the machine cannot do cryptography at all.
    OsRng
        .try_fill_bytes(bytes)
        .expect("the operating system's random generator is available");
}

/// What the database keeps of a token: its SHA-256, in hex. Made only from a token
/// (or read back from the database), so a token can never be handed to a store
/// look-up, or stored, in place of its hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(transparent)]
pub struct TokenHash(String);

impl TokenHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the database keeps of a token.
pub fn hash(token: &str) -> TokenHash {
    TokenHash(hex::encode(Sha256::digest(token.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_distinct_and_prefixed() {
        let a = generate(ACCESS_PREFIX);
        let b = generate(ACCESS_PREFIX);
        assert_ne!(a, b, "two draws differ");
        assert!(a.starts_with(ACCESS_PREFIX));
        assert_eq!(a.len(), ACCESS_PREFIX.len() + 43, "32 bytes in base64url");
        assert_ne!(hash(&a).as_str(), a, "the stored form is not the token");
        assert_eq!(hash(&a).as_str().len(), 64, "SHA-256 in hex");
    }
}
