//! The attended app's calls: the end user asks for its download, the app joins with the
//! token its download carries and follows the session, and the technician cancels it.

use lifeline_protocol::{
    AgentDownloadOffer, AttendedHello, AttendedStatus, AttendedWelcome, SessionEvent,
};
use reqwest::Method;
use uuid::Uuid;

use crate::{ApiClient, ClientError};

impl ApiClient {
    /// The end user's side: a single-use ticket for the app's download (end-user token).
    pub async fn agent_download_offer(
        &self,
        session_id: Uuid,
    ) -> Result<AgentDownloadOffer, ClientError> {
        self.call(
            Method::POST,
            &format!("/api/v1/sessions/{session_id}/agent-download"),
            None::<&()>,
        )
        .await
    }

    /// The technician stops waiting for the app, or closes a running app's access.
    pub async fn cancel_attended_app(&self, session_id: Uuid) -> Result<SessionEvent, ClientError> {
        self.call(
            Method::POST,
            &format!("/api/v1/sessions/{session_id}/agent/cancel"),
            None::<&()>,
        )
        .await
    }

    // --- the attended app's side, with the token from its download as bearer ---

    pub async fn attended_join(
        &self,
        hello: &AttendedHello,
    ) -> Result<AttendedWelcome, ClientError> {
        self.call(Method::POST, "/api/v1/attended/join", Some(hello))
            .await
    }

    pub async fn attended_status(&self) -> Result<AttendedStatus, ClientError> {
        self.call(Method::GET, "/api/v1/attended/status", None::<&()>)
            .await
    }

    pub async fn attended_leave(&self) -> Result<SessionEvent, ClientError> {
        self.call(Method::POST, "/api/v1/attended/leave", None::<&()>)
            .await
    }
}
