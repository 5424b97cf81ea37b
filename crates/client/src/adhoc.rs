//! Ad-hoc support calls: the technician's side (prepare, list, end, computers, connect)
//! and the agent's (enroll, its session, challenges and verdicts, system info, end).
//! The ad-hoc password and the security code stay here: the service gets the verifier's
//! salt and cost, and relays the enrollment and the proofs.

use lifeline_protocol::{
    AdhocConnectionRecord, AdhocPolicy, AdhocSessionSummary, AdhocStatus, AgentChallenge,
    ComputerGroup, ConnectChallenge, ConnectRequest, ConnectVerdict, LicenceSlots,
    PrepareAdhocRequest, SessionEvent, SessionSummary, SystemInfo, VerdictRecorded,
};
use reqwest::Method;
use uuid::Uuid;

use crate::{ApiClient, ClientError, EnrollmentSecret};

/// An ad-hoc session just prepared: the code to read out, once, and what this client
/// keeps to answer the agent's enrollment.
#[derive(Debug, Clone)]
pub struct PreparedAdhoc {
    pub session: AdhocSessionSummary,
    /// Nine digits grouped 3-3-3.
    pub security_code: String,
    pub secret: EnrollmentSecret,
}

impl ApiClient {
    // --- ad-hoc support, the technician's side ---

    /// Prepares an ad-hoc session for the end user at `email`. The password is checked
    /// for strength and turned into its verifier here, and the security code is made
    /// here: the caller keeps both (the [`EnrollmentSecret`]) to answer the agent's
    /// enrollment, and the service gets only the verifier's salt and cost.
    pub async fn prepare_adhoc(
        &self,
        email: &str,
        password: &str,
        confirmation: &str,
        locale: Option<&str>,
    ) -> Result<PreparedAdhoc, ClientError> {
        lifeline_adhoc_key::check_password(password, confirmation)?;
        let password = zeroize::Zeroizing::new(password.to_owned());
        let verifier =
            tokio::task::spawn_blocking(move || lifeline_adhoc_key::new_verifier(&password))
                .await
                .map_err(|e| ClientError::Protocol(format!("deriving the key: {e}")))??;
        let request = PrepareAdhocRequest {
            email: email.to_owned(),
            key_params: verifier.params(),
            locale: locale.map(str::to_owned),
        };
        let session: AdhocSessionSummary = self
            .call(Method::POST, "/api/v1/adhoc", Some(&request))
            .await?;
        let secret = EnrollmentSecret::new(verifier);
        Ok(PreparedAdhoc {
            security_code: secret.grouped(),
            session,
            secret,
        })
    }

    /// Answers the agent's enrollment run waiting on the ad-hoc session, if there is one
    /// and `secret` allows another answer (counted in it before anything is sent).
    /// Returns the session as the service has it now.
    pub async fn answer_waiting_enrollment(
        &self,
        adhoc_session_id: Uuid,
        secret: &mut EnrollmentSecret,
    ) -> Result<Option<AdhocSessionSummary>, ClientError> {
        let session = self
            .adhoc_sessions()
            .await?
            .into_iter()
            .find(|s| s.id == adhoc_session_id);
        let Some(pending) = session.as_ref().and_then(|s| s.enrollment.clone()) else {
            return Ok(session);
        };
        if !secret.may_answer() {
            return Ok(session);
        }
        secret.answers += 1;
        self.answer_enrollment(adhoc_session_id, &pending, secret)
            .await?;
        Ok(session)
    }

    /// [`ApiClient::answer_enrollments`] as a background task, for tools and tests that
    /// play the technician's app while something else plays the agent.
    pub fn answer_enrollments_in_background(
        &self,
        adhoc_session_id: Uuid,
        secret: EnrollmentSecret,
    ) -> tokio::task::JoinHandle<Result<AdhocSessionSummary, ClientError>> {
        let api = self.clone();
        tokio::spawn(async move { api.answer_enrollments(adhoc_session_id, secret).await })
    }

    /// Answers the agent's runs until the session is no longer waiting for one (active,
    /// ended, or out of runs): the technician's side of an enrollment for tools and
    /// tests without the desktop app.
    pub async fn answer_enrollments(
        &self,
        adhoc_session_id: Uuid,
        mut secret: EnrollmentSecret,
    ) -> Result<AdhocSessionSummary, ClientError> {
        loop {
            let session = self
                .answer_waiting_enrollment(adhoc_session_id, &mut secret)
                .await?
                .ok_or_else(|| ClientError::Protocol("the ad hoc session is gone".into()))?;
            if session.status != AdhocStatus::Prepared || !secret.may_answer() {
                return Ok(session);
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    /// Connects to the ad-hoc computer: proves the password to its agent, which decides.
    /// The answer is the connection's chat session; a wrong password is refused with
    /// `wrong_password`.
    pub async fn connect_adhoc(
        &self,
        adhoc_session_id: Uuid,
        password: &str,
    ) -> Result<SessionSummary, ClientError> {
        let challenge: ConnectChallenge = self
            .call(
                Method::GET,
                &format!("/api/v1/adhoc/{adhoc_session_id}/challenge"),
                None::<&()>,
            )
            .await?;
        let password = zeroize::Zeroizing::new(password.to_owned());
        let nonce = challenge.nonce.clone();
        let proof = tokio::task::spawn_blocking(move || {
            lifeline_adhoc_key::prove(&password, &challenge.key_params, adhoc_session_id, &nonce)
        })
        .await
        .map_err(|e| ClientError::Protocol(format!("deriving the key: {e}")))?
        .map_err(|e| ClientError::Protocol(e.to_string()))?;
        let request = ConnectRequest {
            nonce: challenge.nonce,
            proof,
        };
        self.call(
            Method::POST,
            &format!("/api/v1/adhoc/{adhoc_session_id}/connections"),
            Some(&request),
        )
        .await
    }

    /// Every connection attempt on the ad-hoc session: who, when, how long.
    pub async fn adhoc_connections(
        &self,
        adhoc_session_id: Uuid,
    ) -> Result<Vec<AdhocConnectionRecord>, ClientError> {
        self.call(
            Method::GET,
            &format!("/api/v1/adhoc/{adhoc_session_id}/connections"),
            None::<&()>,
        )
        .await
    }

    pub async fn adhoc_sessions(&self) -> Result<Vec<AdhocSessionSummary>, ClientError> {
        self.call(Method::GET, "/api/v1/adhoc", None::<&()>).await
    }

    pub async fn end_adhoc(&self, id: Uuid) -> Result<AdhocSessionSummary, ClientError> {
        self.call(
            Method::POST,
            &format!("/api/v1/adhoc/{id}/end"),
            None::<&()>,
        )
        .await
    }

    /// The company's computer groups, Ad Hoc Support Sessions first.
    pub async fn computers(&self) -> Result<Vec<ComputerGroup>, ClientError> {
        self.call(Method::GET, "/api/v1/computers", None::<&()>)
            .await
    }

    pub async fn licence_slots(&self) -> Result<LicenceSlots, ClientError> {
        self.call(Method::GET, "/api/v1/admin/licence-slots", None::<&()>)
            .await
    }

    /// Whether the person at an ad-hoc computer must allow a view (admins).
    pub async fn adhoc_policy(&self) -> Result<AdhocPolicy, ClientError> {
        self.call(Method::GET, "/api/v1/admin/adhoc-policy", None::<&()>)
            .await
    }

    pub async fn set_adhoc_policy(&self, policy: &AdhocPolicy) -> Result<AdhocPolicy, ClientError> {
        self.call(Method::PUT, "/api/v1/admin/adhoc-policy", Some(policy))
            .await
    }

    // --- the ad-hoc agent's side ---

    /// The agent's session, with the agent token as bearer.
    pub async fn agent_session(&self) -> Result<AdhocSessionSummary, ClientError> {
        self.call(Method::GET, "/api/v1/agent/session", None::<&()>)
            .await
    }

    /// The agent's next single-use challenge.
    pub async fn agent_publish_challenge(&self, nonce: &str) -> Result<(), ClientError> {
        let request = AgentChallenge {
            nonce: nonce.to_owned(),
        };
        self.call_empty(Method::POST, "/api/v1/agent/challenge", Some(&request))
            .await
    }

    /// The agent's verdict on a connection attempt, with its next challenge.
    pub async fn agent_verdict(
        &self,
        connection_id: Uuid,
        verdict: &ConnectVerdict,
    ) -> Result<VerdictRecorded, ClientError> {
        self.call(
            Method::POST,
            &format!("/api/v1/agent/connections/{connection_id}"),
            Some(verdict),
        )
        .await
    }

    /// The agent describes its computer in a connection's session (end-user token).
    pub async fn post_system_info(
        &self,
        session_id: Uuid,
        info: &SystemInfo,
    ) -> Result<SessionEvent, ClientError> {
        self.call(
            Method::POST,
            &format!("/api/v1/sessions/{session_id}/system-info"),
            Some(info),
        )
        .await
    }

    /// The person at the computer ends the session.
    pub async fn agent_end(&self) -> Result<AdhocSessionSummary, ClientError> {
        self.call(Method::POST, "/api/v1/agent/end", None::<&()>)
            .await
    }
}
