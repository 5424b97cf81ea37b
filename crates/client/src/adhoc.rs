//! Ad-hoc support calls: the technician's side (prepare, list, end, computers) and the
//! agent's (enroll, its session, end).

use lifeline_protocol::{
    ActivateAdhocRequest, AdhocActivated, AdhocPrepared, AdhocSessionSummary, ComputerGroup,
    ComputerInfo, LicenceSlots, PrepareAdhocRequest,
};
use reqwest::Method;
use uuid::Uuid;

use crate::{ApiClient, ClientError};

impl ApiClient {
    // --- ad-hoc support, the technician's side ---

    /// Prepares an ad-hoc session; the answer holds the security code, shown once.
    pub async fn prepare_adhoc(
        &self,
        request: &PrepareAdhocRequest,
    ) -> Result<AdhocPrepared, ClientError> {
        self.call(Method::POST, "/api/v1/adhoc", Some(request))
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

    // --- the ad-hoc agent's side ---

    /// Enrolls this computer with the security code read to the end user.
    pub async fn activate_adhoc(
        &self,
        session_id: Uuid,
        security_code: &str,
        computer: ComputerInfo,
    ) -> Result<AdhocActivated, ClientError> {
        let request = ActivateAdhocRequest {
            security_code: security_code.to_owned(),
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

    /// The person at the computer ends the session.
    pub async fn agent_end(&self) -> Result<AdhocSessionSummary, ClientError> {
        self.call(Method::POST, "/api/v1/agent/end", None::<&()>)
            .await
    }
}
