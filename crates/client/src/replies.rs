//! Canned replies, the technician's own and the company's, as the service keeps them.

use lifeline_protocol::{CannedReply, SaveCannedReply};
use reqwest::Method;
use uuid::Uuid;

use crate::{ApiClient, ClientError};

impl ApiClient {
    /// The technician's canned replies and the company's, by title.
    pub async fn canned_replies(&self) -> Result<Vec<CannedReply>, ClientError> {
        self.call(Method::GET, "/api/v1/canned-replies", None::<&()>)
            .await
    }

    pub async fn add_canned_reply(
        &self,
        reply: &SaveCannedReply,
    ) -> Result<CannedReply, ClientError> {
        self.call(Method::POST, "/api/v1/canned-replies", Some(reply))
            .await
    }

    pub async fn update_canned_reply(
        &self,
        id: Uuid,
        reply: &SaveCannedReply,
    ) -> Result<CannedReply, ClientError> {
        self.call(
            Method::PUT,
            &format!("/api/v1/canned-replies/{id}"),
            Some(reply),
        )
        .await
    }

    pub async fn delete_canned_reply(&self, id: Uuid) -> Result<(), ClientError> {
        self.call_empty(
            Method::DELETE,
            &format!("/api/v1/canned-replies/{id}"),
            None::<&()>,
        )
        .await
    }
}
