//! The technician's calls on sessions (create, list, chat, consent, end, transcript),
//! invitations and the admin's technicians and outbox: one typed method per route. The
//! plumbing they share (sign-in, refresh, errors) is in `api.rs`.

use lifeline_protocol::{
    ConsentAnswer, ConsentKind, ConsentRequest, CreateSessionRequest, EmailInviteRequest,
    InviteSent, NewTechnician, OutboxMessage, SendMessage, SessionEvent, SessionSummary,
    SmsInviteRequest, TechnicianProfile, Transcript, UpdateSessionSettings, UpdateTechnician,
};
use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};

use reqwest::Method;
use uuid::Uuid;

use crate::api::api_error;
use crate::{ApiClient, ClientError};

impl ApiClient {
    // --- sessions ---

    pub async fn create_session(
        &self,
        request_control_on_arrival: bool,
    ) -> Result<SessionSummary, ClientError> {
        let request = CreateSessionRequest {
            request_control_on_arrival,
        };
        self.call(Method::POST, "/api/v1/sessions", Some(&request))
            .await
    }

    pub async fn sessions(&self) -> Result<Vec<SessionSummary>, ClientError> {
        self.call(Method::GET, "/api/v1/sessions", None::<&()>)
            .await
    }

    pub async fn session(&self, id: Uuid) -> Result<SessionSummary, ClientError> {
        self.call(Method::GET, &format!("/api/v1/sessions/{id}"), None::<&()>)
            .await
    }

    pub async fn set_request_control_on_arrival(
        &self,
        id: Uuid,
        value: bool,
    ) -> Result<SessionSummary, ClientError> {
        let request = UpdateSessionSettings {
            request_control_on_arrival: value,
        };
        self.call(
            Method::PATCH,
            &format!("/api/v1/sessions/{id}"),
            Some(&request),
        )
        .await
    }

    pub async fn events(&self, id: Uuid, since: u64) -> Result<Vec<SessionEvent>, ClientError> {
        self.call(
            Method::GET,
            &format!("/api/v1/sessions/{id}/events?since={since}"),
            None::<&()>,
        )
        .await
    }

    /// Sends a chat message, retrying network failures with the same client id, so the
    /// service stores it exactly once.
    pub async fn send_message(
        &self,
        session_id: Uuid,
        client_id: Uuid,
        text: &str,
    ) -> Result<SessionEvent, ClientError> {
        let request = SendMessage {
            client_id,
            text: text.to_owned(),
        };
        let path = format!("/api/v1/sessions/{session_id}/messages");
        // 0.4, 0.8, 1.6 and 3.2 s apart: about six seconds of a network's hiccup.
        let backoff = ExponentialBuilder::default()
            .with_min_delay(Duration::from_millis(400))
            .with_max_times(4);
        (|| self.call(Method::POST, &path, Some(&request)))
            .retry(backoff)
            .sleep(tokio::time::sleep)
            .when(ClientError::is_transient)
            .await
    }

    pub async fn request_consent(
        &self,
        session_id: Uuid,
        kind: ConsentKind,
    ) -> Result<SessionEvent, ClientError> {
        let request = ConsentRequest { kind };
        self.call(
            Method::POST,
            &format!("/api/v1/sessions/{session_id}/consent"),
            Some(&request),
        )
        .await
    }

    /// The end user's answer to a consent request.
    pub async fn answer_consent(
        &self,
        session_id: Uuid,
        request_id: Uuid,
        accepted: bool,
    ) -> Result<SessionEvent, ClientError> {
        let path = format!("/api/v1/sessions/{session_id}/consent/{request_id}");
        self.call(Method::POST, &path, Some(&ConsentAnswer { accepted }))
            .await
    }

    pub async fn end_session(&self, session_id: Uuid) -> Result<SessionEvent, ClientError> {
        self.call(
            Method::POST,
            &format!("/api/v1/sessions/{session_id}/end"),
            None::<&()>,
        )
        .await
    }

    pub async fn transcript(&self, session_id: Uuid) -> Result<Transcript, ClientError> {
        self.call(
            Method::GET,
            &format!("/api/v1/sessions/{session_id}/transcript"),
            None::<&()>,
        )
        .await
    }

    pub async fn transcript_text(&self, session_id: Uuid) -> Result<String, ClientError> {
        let path = format!("/api/v1/sessions/{session_id}/transcript?format=text");
        let response = self
            .send_authed(|http| Ok(http.get(self.url(&path)?)))
            .await?;
        if !response.status().is_success() {
            return Err(api_error(response).await);
        }
        Ok(response.text().await?)
    }

    // --- invites ---

    pub async fn send_sms_invite(
        &self,
        session_id: Uuid,
        to: &str,
        locale: Option<&str>,
    ) -> Result<InviteSent, ClientError> {
        let request = SmsInviteRequest {
            to: to.to_owned(),
            locale: locale.map(str::to_owned),
        };
        self.call(
            Method::POST,
            &format!("/api/v1/sessions/{session_id}/invites/sms"),
            Some(&request),
        )
        .await
    }

    pub async fn send_email_invite(
        &self,
        session_id: Uuid,
        to: &str,
        locale: Option<&str>,
    ) -> Result<InviteSent, ClientError> {
        let request = EmailInviteRequest {
            to: to.to_owned(),
            locale: locale.map(str::to_owned),
        };
        self.call(
            Method::POST,
            &format!("/api/v1/sessions/{session_id}/invites/email"),
            Some(&request),
        )
        .await
    }

    // --- admin ---

    pub async fn technicians(&self) -> Result<Vec<TechnicianProfile>, ClientError> {
        self.call(Method::GET, "/api/v1/admin/technicians", None::<&()>)
            .await
    }

    pub async fn add_technician(
        &self,
        new: &NewTechnician,
    ) -> Result<TechnicianProfile, ClientError> {
        self.call(Method::POST, "/api/v1/admin/technicians", Some(new))
            .await
    }

    pub async fn set_technician_disabled(
        &self,
        id: Uuid,
        disabled: bool,
    ) -> Result<TechnicianProfile, ClientError> {
        let request = UpdateTechnician { disabled };
        self.call(
            Method::PATCH,
            &format!("/api/v1/admin/technicians/{id}"),
            Some(&request),
        )
        .await
    }

    pub async fn outbox(&self) -> Result<Vec<OutboxMessage>, ClientError> {
        self.call(Method::GET, "/api/v1/admin/outbox", None::<&()>)
            .await
    }
}
