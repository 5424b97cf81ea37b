//! Ad-hoc support calls: the technician's side (prepare, list, end, computers, connect)
//! and the agent's (enroll, its session, challenges and verdicts, system info, end).
//! The ad-hoc password stays here: only its verifier and proofs go to the service.

use lifeline_protocol::{
    ActivateAdhocRequest, AdhocActivated, AdhocConnectionRecord, AdhocPolicy, AdhocPrepared,
    AdhocSessionSummary, AgentChallenge, ComputerGroup, ComputerInfo, ConnectChallenge,
    ConnectRequest, ConnectVerdict, LicenceSlots, PrepareAdhocRequest, SessionEvent,
    SessionSummary, SystemInfo, VerdictRecorded,
};
use reqwest::Method;
use uuid::Uuid;

use crate::{ApiClient, ClientError};

impl ApiClient {
    // --- ad-hoc support, the technician's side ---

    /// Prepares an ad-hoc session for the end user at `email`; the answer holds the
    /// security code, shown once. The password is checked for strength and turned into
    /// its verifier here, so it never leaves this computer.
    pub async fn prepare_adhoc(
        &self,
        email: &str,
        password: &str,
        confirmation: &str,
        locale: Option<&str>,
    ) -> Result<AdhocPrepared, ClientError> {
        lifeline_adhoc_key::check_password(password, confirmation)?;
        let password = zeroize::Zeroizing::new(password.to_owned());
        let verifier =
            tokio::task::spawn_blocking(move || lifeline_adhoc_key::new_verifier(&password))
                .await
                .map_err(|e| ClientError::Protocol(format!("deriving the key: {e}")))??;
        let request = PrepareAdhocRequest {
            email: email.to_owned(),
            verifier,
            locale: locale.map(str::to_owned),
        };
        self.prepare_adhoc_with(&request).await
    }

    /// Prepares with a verifier made elsewhere (the raw API call).
    pub async fn prepare_adhoc_with(
        &self,
        request: &PrepareAdhocRequest,
    ) -> Result<AdhocPrepared, ClientError> {
        self.call(Method::POST, "/api/v1/adhoc", Some(request))
            .await
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
            lifeline_adhoc_key::prove(&password, &challenge.verifier, adhoc_session_id, &nonce)
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

    /// Enrolls this computer with the security code read to the end user.
    pub async fn activate_adhoc(
        &self,
        session_id: Uuid,
        security_code: &str,
        computer: ComputerInfo,
    ) -> Result<AdhocActivated, ClientError> {
        let request = ActivateAdhocRequest {
            security_code: security_code.into(),
            computer,
        };
        self.public(
            Method::POST,
            &format!("/api/v1/adhoc/{session_id}/activate"),
            Some(&request),
        )
        .await
    }

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
