//! The ad-hoc enrollment from both ends: the technician's client makes the security code
//! and answers the agent's runs with the verifier sealed under the key SPAKE2 agrees on;
//! the agent runs it with the code the person typed. The service only relays, so it
//! can neither replace the verifier nor check a guess at the code.

use std::time::Duration;

use lifeline_adhoc_key::enrollment::{answer, AgentEnrollment};
use lifeline_protocol::{
    AdhocActivated, AdhocVerifier, AnswerEnrollment, ComputerInfo, EnrollmentAnswer,
    EnrollmentGrant, EnrollmentStarted, PendingEnrollment, StartEnrollment, SupportKey,
    MAX_CODE_ATTEMPTS,
};
use reqwest::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{ApiClient, ClientError};

/// What the technician's client keeps of an ad-hoc session it prepared, until the
/// agent enrolls: the code it made and the verifier to hand over, and how many runs it
/// answered (each lets whoever sits in the middle test one guess at the code).
#[derive(Clone, Serialize, Deserialize)]
pub struct EnrollmentSecret {
    pub code: String,
    pub verifier: AdhocVerifier,
    #[serde(default)]
    pub answers: u32,
}

impl std::fmt::Debug for EnrollmentSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollmentSecret")
            .field("code", &"<redacted>")
            .field("answers", &self.answers)
            .finish_non_exhaustive()
    }
}

impl EnrollmentSecret {
    /// A fresh nine-digit code for `verifier`.
    pub fn new(verifier: AdhocVerifier) -> Self {
        let digits: u32 = rand::random_range(0..1_000_000_000);
        Self {
            code: format!("{digits:09}"),
            verifier,
            answers: 0,
        }
    }

    /// The code as the technician reads it out: `482 913 605`.
    pub fn grouped(&self) -> String {
        SupportKey::parse(&self.code)
            .map(|key| key.grouped())
            .unwrap_or_else(|_| self.code.clone())
    }

    /// Whether another run may be answered.
    pub fn may_answer(&self) -> bool {
        self.answers < MAX_CODE_ATTEMPTS
    }
}

/// How long the agent waits between polls when the service is unreachable.
const RETRY_AFTER: Duration = Duration::from_secs(2);

impl ApiClient {
    // --- the technician's side ---

    /// Answers the agent's run `pending` of the ad-hoc session with the code and the
    /// verifier in `secret`; the caller counts the answer in `secret` first.
    pub async fn answer_enrollment(
        &self,
        adhoc_session_id: Uuid,
        pending: &PendingEnrollment,
        secret: &EnrollmentSecret,
    ) -> Result<(), ClientError> {
        let code = SupportKey::parse(&secret.code)
            .map_err(|_| ClientError::InvalidInput("the kept security code is malformed".into()))?;
        let reply = answer(&code, adhoc_session_id, &pending.message, &secret.verifier)?;
        let request = AnswerEnrollment {
            message: reply.message,
            sealed_verifier: reply.sealed_verifier,
            grant_hash: reply.grant_hash,
        };
        self.call_empty(
            Method::POST,
            &format!(
                "/api/v1/adhoc/{adhoc_session_id}/enrollment/{}/answer",
                pending.id
            ),
            Some(&request),
        )
        .await
    }

    // --- the agent's side ---

    /// Enrolls this computer with the code the person typed: one run of the exchange.
    /// `waiting` is told once the technician's app must answer. A wrong code ends with
    /// [`ClientError::CodeRefused`] (or the service's `code_invalid` once no runs are
    /// left); the verifier returned is the technician's, as their app sealed it.
    pub async fn enroll_adhoc(
        &self,
        adhoc_session_id: Uuid,
        code: &str,
        computer: ComputerInfo,
        waiting: impl FnOnce(&EnrollmentStarted),
    ) -> Result<(AdhocActivated, AdhocVerifier), ClientError> {
        let code = SupportKey::parse(code).map_err(|_| ClientError::CodeRefused)?;
        let (run, message) = AgentEnrollment::start(&code, adhoc_session_id);
        let started: EnrollmentStarted = self
            .public(
                Method::POST,
                &format!("/api/v1/adhoc/{adhoc_session_id}/enrollment"),
                Some(&StartEnrollment { message, computer }),
            )
            .await?;
        waiting(&started);
        let answer = self
            .wait_for_answer(adhoc_session_id, started.enrollment_id)
            .await?;
        let enrolled = run.finish(&answer.message, &answer.sealed_verifier)?;
        let activated: AdhocActivated = self
            .public(
                Method::POST,
                &format!(
                    "/api/v1/adhoc/{adhoc_session_id}/enrollment/{}/grant",
                    started.enrollment_id
                ),
                Some(&EnrollmentGrant {
                    grant: enrolled.grant.into(),
                }),
            )
            .await?;
        Ok((activated, enrolled.verifier))
    }

    /// Polls until the technician's app answered the run; a brief outage is waited out.
    async fn wait_for_answer(
        &self,
        adhoc_session_id: Uuid,
        enrollment_id: Uuid,
    ) -> Result<EnrollmentAnswer, ClientError> {
        let url = self.url(&format!(
            "/api/v1/adhoc/{adhoc_session_id}/enrollment/{enrollment_id}"
        ))?;
        loop {
            let response = match self.http().get(url.clone()).send().await {
                Ok(response) => response,
                Err(err) => {
                    tracing::warn!(error = %err, "waiting for the technician: the service is unreachable");
                    tokio::time::sleep(RETRY_AFTER).await;
                    continue;
                }
            };
            match response.status() {
                StatusCode::NO_CONTENT => continue,
                status if status.is_success() => {
                    return response
                        .json()
                        .await
                        .map_err(|e| ClientError::Protocol(e.to_string()));
                }
                status if status.is_server_error() => tokio::time::sleep(RETRY_AFTER).await,
                _ => return Err(crate::api::api_error(response).await),
            }
        }
    }
}
