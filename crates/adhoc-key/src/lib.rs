//! The ad-hoc password as a key pair, so that only the agent on the end user's computer
//! decides who may connect.
//!
//! The technician's client derives an Ed25519 key from the password with argon2id; the
//! public half (an [`AdhocVerifier`]) goes to the agent, and the service keeps only the
//! salt and cost ([`AdhocKeyParams`]) once the agent has it. To connect, it signs
//! the agent's single-use challenge; the agent checks the signature against the verifier
//! it received at enrollment. The service relays both and can forge neither, and the
//! password never leaves the technician's computer.
//!
//! This crate owns the derivation, the proof's exact bytes, the password strength rule
//! and the bounds on verifiers and challenges. It does no I/O and must never log or keep
//! a password or a private key (both are zeroized after use).

use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use lifeline_protocol::{AdhocKeyParams, AdhocVerifier};
use rand::rngs::OsRng;
use rand::TryRngCore;
use uuid::Uuid;
use zeroize::Zeroizing;

pub mod enrollment;

/// argon2id cost for new verifiers: OWASP's first recommendation (19 MiB, 2 passes).
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const PARALLELISM: u32 = 1;
/// Bounds a verifier must keep: no weaker than the defaults, and not so costly that a
/// hostile service could make the technician's client derive for minutes.
const MEMORY_KIB_RANGE: std::ops::RangeInclusive<u32> = MEMORY_KIB..=256 * 1024;
const ITERATIONS_RANGE: std::ops::RangeInclusive<u32> = ITERATIONS..=10;
const PARALLELISM_RANGE: std::ops::RangeInclusive<u32> = 1..=8;
const SALT_BYTES: usize = 16;
const NONCE_BYTES: usize = 32;
/// Binds a proof to this protocol and to one ad-hoc session.
const PROOF_CONTEXT: &[u8] = b"lifeline adhoc connect v1\0";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the two passwords are not the same")]
    PasswordsDiffer,
    #[error(
        "the password is too easy to guess: use at least 10 characters, best a few unusual \
         words, not a name, a date or a common password with a digit added"
    )]
    PasswordTooWeak,
    #[error(
        "the password is longer than {} characters",
        lifeline_protocol::MAX_PASSWORD_CHARS
    )]
    PasswordTooLong,
    #[error("the password verifier is malformed: {0}")]
    BadVerifier(&'static str),
    #[error("the challenge is malformed: it must be {NONCE_BYTES} bytes in base64url")]
    BadNonce,
    #[error("deriving the key failed: {0}")]
    Derivation(String),
    #[error("the enrollment message is malformed: {0}")]
    BadEnrollment(&'static str),
    #[error("the security code is wrong, or the answer did not come from the technician's app")]
    EnrollmentRefused,
}

/// Ad-hoc passwords guard a computer for 24 hours, so they must not be guessable: the
/// service-wide estimate of guesses (see `lifeline_protocol::check_password_strength`),
/// not character classes.
pub fn check_password(password: &str, confirmation: &str) -> Result<(), KeyError> {
    if password != confirmation {
        return Err(KeyError::PasswordsDiffer);
    }
    lifeline_protocol::check_password_strength(password, &[]).map_err(|problem| match problem {
        lifeline_protocol::PasswordProblem::TooLong => KeyError::PasswordTooLong,
        _ => KeyError::PasswordTooWeak,
    })
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    // The OS generator failing means the machine cannot do cryptography at all.
    OsRng
        .try_fill_bytes(&mut bytes)
        .expect("the operating system's random generator is available");
    bytes
}

fn decode<const N: usize>(text: &str) -> Option<[u8; N]> {
    URL_SAFE_NO_PAD.decode(text).ok()?.try_into().ok()
}

/// Checks the salt's encoding and the cost bounds; call before deriving under them.
pub fn check_params(params: &AdhocKeyParams) -> Result<(), KeyError> {
    let salt = URL_SAFE_NO_PAD
        .decode(&params.salt)
        .map_err(|_| KeyError::BadVerifier("the salt is not base64url"))?;
    if !(SALT_BYTES..=64).contains(&salt.len()) {
        return Err(KeyError::BadVerifier("the salt must have 16 to 64 bytes"));
    }
    if !MEMORY_KIB_RANGE.contains(&params.memory_kib)
        || !ITERATIONS_RANGE.contains(&params.iterations)
        || !PARALLELISM_RANGE.contains(&params.parallelism)
    {
        return Err(KeyError::BadVerifier(
            "the argon2id cost is outside the allowed range",
        ));
    }
    Ok(())
}

/// Checks a verifier's encoding and cost bounds and that its key is a point.
pub fn check_verifier(verifier: &AdhocVerifier) -> Result<(), KeyError> {
    check_params(&verifier.params())?;
    let key = decode::<32>(&verifier.public_key)
        .ok_or(KeyError::BadVerifier("the public key must be 32 bytes"))?;
    VerifyingKey::from_bytes(&key)
        .map_err(|_| KeyError::BadVerifier("the public key is not an Ed25519 point"))?;
    Ok(())
}

fn derive(password: &str, params: &AdhocKeyParams) -> Result<SigningKey, KeyError> {
    check_params(params)?;
    let salt = URL_SAFE_NO_PAD
        .decode(&params.salt)
        .map_err(|_| KeyError::BadVerifier("the salt is not base64url"))?;
    let argon_params = Params::new(
        params.memory_kib,
        params.iterations,
        params.parallelism,
        Some(32),
    )
    .map_err(|e| KeyError::Derivation(e.to_string()))?;
    let mut seed = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params)
        .hash_password_into(password.as_bytes(), &salt, seed.as_mut())
        .map_err(|e| KeyError::Derivation(e.to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// A new verifier for `password`, under a fresh salt and the default cost. Slow on
/// purpose (an argon2id run): call it off the async executor.
pub fn new_verifier(password: &str) -> Result<AdhocVerifier, KeyError> {
    let params = AdhocKeyParams {
        salt: URL_SAFE_NO_PAD.encode(random::<SALT_BYTES>()),
        memory_kib: MEMORY_KIB,
        iterations: ITERATIONS,
        parallelism: PARALLELISM,
    };
    let key = derive(password, &params)?;
    Ok(AdhocVerifier {
        salt: params.salt,
        memory_kib: params.memory_kib,
        iterations: params.iterations,
        parallelism: params.parallelism,
        public_key: URL_SAFE_NO_PAD.encode(key.verifying_key().as_bytes()),
    })
}

/// A fresh single-use challenge for the agent to hand out.
pub fn new_nonce() -> String {
    URL_SAFE_NO_PAD.encode(random::<NONCE_BYTES>())
}

pub fn check_nonce(nonce: &str) -> Result<(), KeyError> {
    decode::<NONCE_BYTES>(nonce)
        .map(|_| ())
        .ok_or(KeyError::BadNonce)
}

fn proof_message(adhoc_session_id: Uuid, nonce: &[u8; NONCE_BYTES]) -> Vec<u8> {
    let mut message = Vec::with_capacity(PROOF_CONTEXT.len() + 16 + NONCE_BYTES);
    message.extend_from_slice(PROOF_CONTEXT);
    message.extend_from_slice(adhoc_session_id.as_bytes());
    message.extend_from_slice(nonce);
    message
}

/// Signs the agent's challenge with the key derived from `password`. It does not tell
/// whether the password is right: only the agent decides that. Slow on purpose.
pub fn prove(
    password: &str,
    params: &AdhocKeyParams,
    adhoc_session_id: Uuid,
    nonce: &str,
) -> Result<String, KeyError> {
    let nonce = decode::<NONCE_BYTES>(nonce).ok_or(KeyError::BadNonce)?;
    let key = derive(password, params)?;
    let signature = key.sign(&proof_message(adhoc_session_id, &nonce));
    Ok(URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

/// The agent's check: `proof` signs exactly this challenge for this session with the
/// key behind `verifier`. Malformed input is simply not a valid proof.
pub fn verify(verifier: &AdhocVerifier, adhoc_session_id: Uuid, nonce: &str, proof: &str) -> bool {
    let (Some(nonce), Some(key), Some(signature)) = (
        decode::<NONCE_BYTES>(nonce),
        decode::<32>(&verifier.public_key),
        decode::<64>(proof),
    ) else {
        return false;
    };
    let Ok(key) = VerifyingKey::from_bytes(&key) else {
        return false;
    };
    key.verify_strict(
        &proof_message(adhoc_session_id, &nonce),
        &Signature::from_bytes(&signature),
    )
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &str = "Sunny-Day-42";

    #[test]
    fn strong_passwords_pass_and_weak_or_mismatched_ones_do_not() {
        assert_eq!(check_password("Tr0ub4dor&3", "Tr0ub4dor&3"), Ok(()));
        assert_eq!(
            check_password(
                "correct horse battery staple",
                "correct horse battery staple"
            ),
            Ok(())
        );
        assert_eq!(
            check_password("password12", "password12"),
            Err(KeyError::PasswordTooWeak),
            "a common password"
        );
        assert_eq!(
            check_password("Password1!", "Password1!"),
            Err(KeyError::PasswordTooWeak),
            "four kinds of character, guessed in seconds"
        );
        assert_eq!(
            check_password("Sh0rt!", "Sh0rt!"),
            Err(KeyError::PasswordTooWeak)
        );
        assert_eq!(
            check_password("Tr0ub4dor&3", "Tr0ub4dor&4"),
            Err(KeyError::PasswordsDiffer)
        );
        let long = "aA1!".repeat(300);
        assert_eq!(check_password(&long, &long), Err(KeyError::PasswordTooLong));
    }

    #[test]
    fn the_right_password_proves_and_a_wrong_one_does_not() {
        let verifier = new_verifier(PASSWORD).expect("verifier");
        assert_eq!(check_verifier(&verifier), Ok(()));
        let session = Uuid::new_v4();
        let nonce = new_nonce();
        let proof = prove(PASSWORD, &verifier.params(), session, &nonce).expect("proof");
        assert!(verify(&verifier, session, &nonce, &proof));
        let wrong = prove("Rainy-Day-42", &verifier.params(), session, &nonce).expect("proof");
        assert!(
            !verify(&verifier, session, &nonce, &wrong),
            "wrong password"
        );
        assert!(
            !verify(&verifier, session, &new_nonce(), &proof),
            "a proof is bound to its challenge, so a replay fails"
        );
        assert!(
            !verify(&verifier, Uuid::new_v4(), &nonce, &proof),
            "and to its session"
        );
        assert!(!verify(&verifier, session, &nonce, "not-base64!"));
    }

    #[test]
    fn verifiers_outside_the_bounds_are_refused_before_deriving() {
        let verifier = new_verifier(PASSWORD).expect("verifier");
        let cheap = AdhocVerifier {
            memory_kib: 8,
            ..verifier.clone()
        };
        assert!(matches!(
            check_verifier(&cheap),
            Err(KeyError::BadVerifier(_))
        ));
        let costly = AdhocVerifier {
            iterations: 1000,
            ..verifier.clone()
        };
        assert!(prove(PASSWORD, &costly.params(), Uuid::new_v4(), &new_nonce()).is_err());
        let bad_key = AdhocVerifier {
            public_key: "AAAA".into(),
            ..verifier
        };
        assert!(matches!(
            check_verifier(&bad_key),
            Err(KeyError::BadVerifier(_))
        ));
        assert_eq!(check_nonce("short"), Err(KeyError::BadNonce));
    }
}
