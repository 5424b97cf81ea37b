//! A one-time sign-in handed to the app when it starts, so a local run opens signed in
//! without anyone typing the first admin's password. `lifeline-server technician
//! sign-in-token` prints it as one JSON line ([`SignInHandover`]); `scripts/run` passes
//! that line to the app through an inherited pipe, and the app reads it once from the
//! file descriptor it is told.
//!
//! The token in it is a refresh token that expires within minutes and works once; the
//! desk trades it for its own sign-in and keeps that as Remember me does.

use std::io::Read;
use std::sync::PoisonError;

use lifeline_protocol::SignInHandover;
use secrecy::{ExposeSecret, SecretString};

use super::{Desk, DeskError, SignedIn};
use crate::ApiClient;

/// More than a handover line can hold; a longer input is not one.
const MAX_HANDOVER_BYTES: u64 = 16 * 1024;

/// Why a handed-over sign-in cannot be used. No variant carries the token or the input.
#[derive(Debug, thiserror::Error)]
pub enum HandoverError {
    #[error(
        "the sign-in handed over at start names the file descriptor {0:?}, which is not a number"
    )]
    BadDescriptor(String),
    #[error(
        "the sign-in handed over at start could not be read from file descriptor {fd}: {source}"
    )]
    Read { fd: u32, source: std::io::Error },
    #[error(
        "the sign-in handed over at start is not the line `lifeline-server technician \
         sign-in-token` prints (line {line}, column {column})"
    )]
    Malformed { line: usize, column: usize },
    #[error(
        "the service refused the sign-in handed over at start: it works once, for a few \
         minutes; sign in with your password, or start the app again with a new one"
    )]
    Refused,
}

/// A handed-over sign-in; `Debug` does not show the token (a [`SecretString`]).
#[derive(Debug)]
pub struct Handover {
    pub server_url: String,
    pub email: String,
    pub(crate) token: SecretString,
}

impl Handover {
    /// Parses the line `lifeline-server technician sign-in-token` prints.
    pub fn parse(text: &str) -> Result<Self, HandoverError> {
        // serde's message may quote the input, which holds the token: keep only where.
        let handover: SignInHandover =
            serde_json::from_str(text.trim()).map_err(|err| HandoverError::Malformed {
                line: err.line(),
                column: err.column(),
            })?;
        Ok(Self {
            server_url: handover.server_url,
            email: handover.email,
            token: handover.refresh_token.into(),
        })
    }

    /// Reads the handover from the file descriptor named by `fd` (as a string, the way
    /// an environment variable holds it) until its end.
    pub fn read_fd(fd: &str) -> Result<Self, HandoverError> {
        let number: u32 = fd
            .trim()
            .parse()
            .map_err(|_| HandoverError::BadDescriptor(fd.to_owned()))?;
        let read = |source| HandoverError::Read { fd: number, source };
        // Opening /dev/fd/<n> reaches an inherited descriptor without unsafe code.
        let file = std::fs::File::open(format!("/dev/fd/{number}")).map_err(read)?;
        let mut text = String::new();
        file.take(MAX_HANDOVER_BYTES)
            .read_to_string(&mut text)
            .map_err(read)?;
        Self::parse(&text)
    }
}

impl Desk {
    /// Keeps a sign-in handed over at start (or why it could not be read) for one call
    /// of [`Desk::sign_in_handed_over`].
    pub fn hand_over(&self, handover: Result<Handover, HandoverError>) {
        *self.handover.lock().unwrap_or_else(PoisonError::into_inner) = Some(handover);
    }

    /// Signs in with the sign-in handed over at start and keeps it as Remember me does;
    /// `Ok(None)` when none was handed over or it was used already.
    ///
    /// A sign-in the keychain remembers for the same account comes first; the handover
    /// is then revoked rather than left to expire.
    pub async fn sign_in_handed_over(&self) -> Result<Option<SignedIn>, DeskError> {
        let taken = self
            .handover
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let Some(handover) = taken else {
            return Ok(None);
        };
        let handover = handover?;
        let api = ApiClient::new(handover.server_url.trim())?;
        match self.resume(&handover.server_url, &handover.email).await {
            Ok(Some(signed_in)) => {
                if let Err(err) = api.revoke(handover.token.expose_secret()).await {
                    tracing::warn!(error = %err, "the unused handover was not revoked; it expires by itself");
                }
                return Ok(Some(signed_in));
            }
            Ok(None) => {}
            Err(err) => {
                tracing::info!(error = %err, "the remembered sign-in did not resume; using the handover");
            }
        }
        let pair = match api.resume(handover.token.expose_secret()).await {
            Ok(pair) => pair,
            Err(err) if err.code().is_some() && !err.is_transient() => {
                return Err(HandoverError::Refused.into());
            }
            Err(err) => return Err(err.into()),
        };
        self.start_new(api, &handover.server_url, pair, true)
            .await
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_printed_line_parses_and_debug_hides_the_token() {
        let line = r#"{"server_url":"http://127.0.0.1:8080/","email":"admin@lifeline.local","refresh_token":"llr_secret"}"#;
        let handover = Handover::parse(&format!("{line}\n")).expect("the CLI's line parses");
        assert_eq!(handover.email, "admin@lifeline.local");
        assert_eq!(handover.token.expose_secret(), "llr_secret");
        assert!(
            !format!("{handover:?}").contains("llr_secret"),
            "a log line with the handover must not show its token"
        );
    }

    #[test]
    fn a_malformed_handover_says_where_without_quoting_the_input() {
        // A bare token is a JSON string, which serde would quote in its message.
        let err = Handover::parse(r#""llr_secret""#).expect_err("a bare token is not the line");
        let message = err.to_string();
        assert!(
            message.contains("sign-in-token"),
            "it says what was expected: {message}"
        );
        assert!(
            !message.contains("llr_secret"),
            "it never repeats the input: {message}"
        );
        let err = Handover::read_fd("three").expect_err("not a descriptor");
        assert!(matches!(err, HandoverError::BadDescriptor(_)), "{err}");
    }

    #[test]
    fn the_line_is_read_from_a_pipe_the_app_was_given() {
        use std::os::fd::AsRawFd;

        let line = r#"{"server_url":"http://127.0.0.1:8080/","email":"admin@lifeline.local","refresh_token":"llr_piped"}"#;
        let mut writer = std::process::Command::new("printf")
            .args(["%s\\n", line])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("printf runs");
        let pipe = writer.stdout.take().expect("its output is a pipe");
        let handover = Handover::read_fd(&pipe.as_raw_fd().to_string()).expect("read to its end");
        assert_eq!(handover.token.expose_secret(), "llr_piped");
        let _ = writer.wait();
    }
}
