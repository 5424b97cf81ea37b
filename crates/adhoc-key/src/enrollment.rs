//! Enrollment that the service cannot forge: the technician's app and the agent agree on
//! a key from the security code with SPAKE2 (a password-authenticated key exchange),
//! over the service's relay, and the verifier travels sealed under that key.
//!
//! The technician's app makes the security code and keeps it; the service never sees it
//! in any form it could check. Each run of the exchange lets whoever sits in the middle
//! test one guess at the code, so both ends count their runs (and the service counts
//! them too). A passive observer, the service included, learns nothing about the code.
//!
//! The agent is side A, the technician's app side B, both bound to the ad-hoc session:
//! 1. agent: [`AgentEnrollment::start`] → its message, relayed to the app;
//! 2. app: [`answer`] → its message and the verifier sealed under the agreed key (to the
//!    agent), and the hash of a grant (to the service);
//! 3. agent: [`AgentEnrollment::finish`] opens the verifier (a wrong code or anything
//!    forged fails here) and gives the grant, which the service compares with the hash
//!    before it activates the session. The service learns that the agent knew the code
//!    and nothing else.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use lifeline_protocol::{AdhocVerifier, SupportKey};
use sha2::{Digest, Sha256};
use spake2::{Ed25519Group, Identity, Password, Spake2};
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::KeyError;

const AGENT_SIDE: &[u8] = b"lifeline adhoc enrollment v1: agent";
const TECHNICIAN_SIDE: &[u8] = b"lifeline adhoc enrollment v1: technician";
const SEAL_INFO: &[u8] = b"lifeline adhoc enrollment v1: seal";
const GRANT_INFO: &[u8] = b"lifeline adhoc enrollment v1: grant";
/// A SPAKE2 message in the Ed25519 group: a side byte and a point.
const MESSAGE_BYTES: usize = 33;
const NONCE_BYTES: usize = 24;
/// A sealed verifier is a few hundred bytes; anything far larger is not one.
const MAX_SEALED_BYTES: usize = 2048;

/// Each side's identity names the session, so an exchange cannot be moved to another.
fn identities(adhoc_session_id: Uuid) -> (Identity, Identity) {
    let side = |name: &[u8]| {
        let mut id = name.to_vec();
        id.extend_from_slice(adhoc_session_id.as_bytes());
        Identity::new(&id)
    };
    (side(AGENT_SIDE), side(TECHNICIAN_SIDE))
}

fn password(code: &SupportKey) -> Password {
    Password::new(code.as_str().as_bytes())
}

fn decode_message(message: &str) -> Result<Vec<u8>, KeyError> {
    URL_SAFE_NO_PAD
        .decode(message)
        .ok()
        .filter(|bytes| bytes.len() == MESSAGE_BYTES)
        .ok_or(KeyError::BadEnrollment(
            "the key exchange message is malformed",
        ))
}

/// The two keys one run of the exchange gives both sides.
struct AgreedKeys {
    seal: Zeroizing<[u8; 32]>,
    grant: Zeroizing<[u8; 32]>,
}

fn agreed_keys(shared: &[u8]) -> AgreedKeys {
    let hkdf = Hkdf::<Sha256>::new(None, shared);
    let mut seal = Zeroizing::new([0u8; 32]);
    let mut grant = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's limit of 255 blocks.
    hkdf.expand(SEAL_INFO, seal.as_mut()).expect("32 bytes");
    hkdf.expand(GRANT_INFO, grant.as_mut()).expect("32 bytes");
    AgreedKeys { seal, grant }
}

/// The hash the service keeps of a grant; the grant itself comes from the agent.
pub fn grant_hash(grant: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(grant.as_bytes()))
}

/// What the technician's app answers an agent's start with.
pub struct EnrollmentAnswer {
    /// For the agent: the app's key exchange message.
    pub message: String,
    /// For the agent: the verifier, sealed under the agreed key.
    pub sealed_verifier: String,
    /// For the service: the hash of the grant the agent will show if it knew the code.
    pub grant_hash: String,
}

/// The technician's side: answers the agent's `agent_message` for the session with the
/// security code the app made, sealing `verifier` for the agent. Fails only on a
/// malformed message: whether the agent used the right code shows at the agent.
pub fn answer(
    code: &SupportKey,
    adhoc_session_id: Uuid,
    agent_message: &str,
    verifier: &AdhocVerifier,
) -> Result<EnrollmentAnswer, KeyError> {
    let agent_message = decode_message(agent_message)?;
    let (agent, technician) = identities(adhoc_session_id);
    let (exchange, message) = Spake2::<Ed25519Group>::start_b(&password(code), &agent, &technician);
    let shared = Zeroizing::new(
        exchange
            .finish(&agent_message)
            .map_err(|_| KeyError::BadEnrollment("the key exchange message is malformed"))?,
    );
    let keys = agreed_keys(&shared);
    let plain = serde_json::to_vec(verifier)
        .map_err(|_| KeyError::BadVerifier("the verifier cannot be written"))?;
    let cipher = XChaCha20Poly1305::new(keys.seal.as_ref().into());
    let nonce = XChaCha20Poly1305::generate_nonce(&mut chacha20poly1305::aead::OsRng);
    let mut sealed = nonce.to_vec();
    sealed.extend(
        cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plain,
                    aad: adhoc_session_id.as_bytes(),
                },
            )
            .map_err(|_| KeyError::BadEnrollment("sealing the verifier failed"))?,
    );
    let grant = URL_SAFE_NO_PAD.encode(keys.grant.as_ref());
    Ok(EnrollmentAnswer {
        message: URL_SAFE_NO_PAD.encode(message),
        sealed_verifier: URL_SAFE_NO_PAD.encode(sealed),
        grant_hash: grant_hash(&grant),
    })
}

/// The agent's side of one run, between its message and the app's answer.
pub struct AgentEnrollment {
    exchange: Spake2<Ed25519Group>,
    adhoc_session_id: Uuid,
}

/// What the agent has after a run with the right code.
pub struct Enrolled {
    /// Checked against the session: the app's, unchanged by the service.
    pub verifier: AdhocVerifier,
    /// For the service, which activates the session when it matches the app's hash.
    pub grant: String,
}

impl AgentEnrollment {
    /// Starts a run with the code the person typed; the message goes to the app.
    pub fn start(code: &SupportKey, adhoc_session_id: Uuid) -> (Self, String) {
        let (agent, technician) = identities(adhoc_session_id);
        let (exchange, message) =
            Spake2::<Ed25519Group>::start_a(&password(code), &agent, &technician);
        (
            Self {
                exchange,
                adhoc_session_id,
            },
            URL_SAFE_NO_PAD.encode(message),
        )
    }

    /// Finishes the run with the app's answer. [`KeyError::EnrollmentRefused`] means a
    /// wrong code, or an answer that the app did not make.
    pub fn finish(self, message: &str, sealed_verifier: &str) -> Result<Enrolled, KeyError> {
        let message = decode_message(message)?;
        let sealed = URL_SAFE_NO_PAD
            .decode(sealed_verifier)
            .ok()
            .filter(|s| (NONCE_BYTES + 16..=MAX_SEALED_BYTES).contains(&s.len()))
            .ok_or(KeyError::BadEnrollment("the sealed verifier is malformed"))?;
        let shared = Zeroizing::new(
            self.exchange
                .finish(&message)
                .map_err(|_| KeyError::BadEnrollment("the key exchange message is malformed"))?,
        );
        let keys = agreed_keys(&shared);
        let (nonce, body) = sealed.split_at(NONCE_BYTES);
        let plain = XChaCha20Poly1305::new(keys.seal.as_ref().into())
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: self.adhoc_session_id.as_bytes(),
                },
            )
            .map_err(|_| KeyError::EnrollmentRefused)?;
        let verifier: AdhocVerifier =
            serde_json::from_slice(&plain).map_err(|_| KeyError::EnrollmentRefused)?;
        crate::check_verifier(&verifier)?;
        Ok(Enrolled {
            verifier,
            grant: URL_SAFE_NO_PAD.encode(keys.grant.as_ref()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(digits: &str) -> SupportKey {
        SupportKey::parse(digits).expect("nine digits")
    }

    fn verifier() -> AdhocVerifier {
        crate::new_verifier("Sunny-Day-42 on a boat").expect("verifier")
    }

    #[test]
    fn the_right_code_carries_the_verifier_and_a_grant_the_service_can_check() {
        let session = Uuid::new_v4();
        let verifier = verifier();
        let (agent, start) = AgentEnrollment::start(&code("123456789"), session);
        let answer = answer(&code("123 456 789"), session, &start, &verifier).expect("answer");
        let enrolled = agent
            .finish(&answer.message, &answer.sealed_verifier)
            .expect("same code");
        assert_eq!(enrolled.verifier, verifier);
        assert_eq!(grant_hash(&enrolled.grant), answer.grant_hash);
    }

    #[test]
    fn a_wrong_code_another_session_or_a_forged_seal_is_refused() {
        let session = Uuid::new_v4();
        let verifier = verifier();
        let (agent, start) = AgentEnrollment::start(&code("123456789"), session);
        let wrong = answer(&code("123456780"), session, &start, &verifier).expect("answer");
        assert!(matches!(
            agent.finish(&wrong.message, &wrong.sealed_verifier),
            Err(KeyError::EnrollmentRefused)
        ));

        let (agent, start) = AgentEnrollment::start(&code("123456789"), session);
        let moved = answer(&code("123456789"), Uuid::new_v4(), &start, &verifier).expect("answer");
        assert!(matches!(
            agent.finish(&moved.message, &moved.sealed_verifier),
            Err(KeyError::EnrollmentRefused)
        ));

        // A service that swaps the sealed verifier for one of its own making (it has no
        // key to seal under) is refused too.
        let (agent, start) = AgentEnrollment::start(&code("123456789"), session);
        let honest = answer(&code("123456789"), session, &start, &verifier).expect("answer");
        let (_, other_start) = AgentEnrollment::start(&code("000000000"), session);
        let forged = answer(
            &code("000000000"),
            session,
            &other_start,
            &crate::new_verifier("Other pass phrase 99").expect("v"),
        )
        .expect("answer");
        assert!(matches!(
            agent.finish(&honest.message, &forged.sealed_verifier),
            Err(KeyError::EnrollmentRefused)
        ));
    }

    #[test]
    fn malformed_messages_are_typed_errors() {
        let session = Uuid::new_v4();
        assert!(matches!(
            answer(&code("123456789"), session, "short", &verifier()),
            Err(KeyError::BadEnrollment(_))
        ));
        let (agent, start) = AgentEnrollment::start(&code("123456789"), session);
        assert!(matches!(
            agent.finish(&start, "AAAA"),
            Err(KeyError::BadEnrollment(_))
        ));
        let (agent, start) = AgentEnrollment::start(&code("123456789"), session);
        assert!(
            matches!(
                agent.finish(&start, &"A".repeat(100)),
                Err(KeyError::BadEnrollment(_))
            ),
            "a reflected message is no answer"
        );
    }
}
