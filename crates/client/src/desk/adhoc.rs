//! Ad-hoc support at the desk: preparing a session, the computers, connecting to one
//! (its connection opens as a session tab) and ending.

use lifeline_protocol::{
    AdhocConnectionRecord, AdhocPrepared, AdhocSessionSummary, ComputerGroup, SessionSummary,
};
use uuid::Uuid;

use super::{Desk, DeskError};

impl Desk {
    /// Prepares an ad-hoc session and emails the end user; the answer holds the
    /// security code, to be shown once. The password stays on this computer.
    pub async fn prepare_adhoc(
        &self,
        email: &str,
        password: &str,
        confirmation: &str,
    ) -> Result<AdhocPrepared, DeskError> {
        let locale = self.locale();
        Ok(self
            .api()
            .await?
            .prepare_adhoc(email, password, confirmation, Some(locale))
            .await?)
    }

    pub async fn adhoc_sessions(&self) -> Result<Vec<AdhocSessionSummary>, DeskError> {
        Ok(self.api().await?.adhoc_sessions().await?)
    }

    /// Whether the person at an ad-hoc computer must allow a view (admins only).
    pub async fn adhoc_policy(&self) -> Result<lifeline_protocol::AdhocPolicy, DeskError> {
        Ok(self.api().await?.adhoc_policy().await?)
    }

    pub async fn set_adhoc_policy(
        &self,
        policy: lifeline_protocol::AdhocPolicy,
    ) -> Result<lifeline_protocol::AdhocPolicy, DeskError> {
        Ok(self.api().await?.set_adhoc_policy(&policy).await?)
    }

    /// The company's computer groups, Ad Hoc Support Sessions first.
    pub async fn computers(&self) -> Result<Vec<ComputerGroup>, DeskError> {
        Ok(self.api().await?.computers().await?)
    }

    /// Connects to the computer of an ad-hoc session; its agent checks the password.
    pub async fn connect_computer(
        &self,
        adhoc_session_id: Uuid,
        password: &str,
    ) -> Result<SessionSummary, DeskError> {
        Ok(self
            .api()
            .await?
            .connect_adhoc(adhoc_session_id, password)
            .await?)
    }

    pub async fn adhoc_connections(
        &self,
        adhoc_session_id: Uuid,
    ) -> Result<Vec<AdhocConnectionRecord>, DeskError> {
        Ok(self
            .api()
            .await?
            .adhoc_connections(adhoc_session_id)
            .await?)
    }

    /// Ends the ad-hoc session: the agent removes itself and the slot is free.
    pub async fn end_adhoc(
        &self,
        adhoc_session_id: Uuid,
    ) -> Result<AdhocSessionSummary, DeskError> {
        Ok(self.api().await?.end_adhoc(adhoc_session_id).await?)
    }
}
