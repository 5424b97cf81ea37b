//! Canned replies at the desk: the technician's own and the company's, kept by the service.

use lifeline_protocol::{CannedReply, SaveCannedReply};
use uuid::Uuid;

use super::{Desk, DeskError};

impl Desk {
    pub async fn canned_replies(&self) -> Result<Vec<CannedReply>, DeskError> {
        Ok(self.api().await?.canned_replies().await?)
    }

    pub async fn add_canned_reply(
        &self,
        reply: &SaveCannedReply,
    ) -> Result<CannedReply, DeskError> {
        Ok(self.api().await?.add_canned_reply(reply).await?)
    }

    pub async fn update_canned_reply(
        &self,
        id: Uuid,
        reply: &SaveCannedReply,
    ) -> Result<CannedReply, DeskError> {
        Ok(self.api().await?.update_canned_reply(id, reply).await?)
    }

    pub async fn delete_canned_reply(&self, id: Uuid) -> Result<(), DeskError> {
        Ok(self.api().await?.delete_canned_reply(id).await?)
    }
}
