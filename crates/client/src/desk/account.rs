//! The technician's own account at the desk: password, second factor, the company's
//! sign-in rules, and the service's facts.

use lifeline_protocol::ServerInfo;

use super::{Desk, DeskError};

impl Desk {
    /// Changes the signed-in technician's password. Their other sign-ins end; this one
    /// (and the token the keychain keeps for it) stays.
    pub async fn change_password(&self, current: &str, new: &str) -> Result<(), DeskError> {
        Ok(self.api().await?.change_password(current, new).await?)
    }

    /// Starts setting up a second factor; the password is asked again.
    pub async fn setup_second_factor(
        &self,
        password: &str,
    ) -> Result<lifeline_protocol::SecondFactorSetup, DeskError> {
        Ok(self.api().await?.setup_second_factor(password).await?)
    }

    /// Confirms the setup with a code; the recovery codes come back, this once.
    pub async fn enable_second_factor(
        &self,
        code: &str,
    ) -> Result<lifeline_protocol::RecoveryCodes, DeskError> {
        Ok(self.api().await?.enable_second_factor(code).await?)
    }

    pub async fn disable_second_factor(&self, password: &str, code: &str) -> Result<(), DeskError> {
        Ok(self
            .api()
            .await?
            .disable_second_factor(password, code)
            .await?)
    }

    /// The company's sign-in rules (admins).
    pub async fn security_policy(&self) -> Result<lifeline_protocol::SecurityPolicy, DeskError> {
        Ok(self.api().await?.security_policy().await?)
    }

    pub async fn set_security_policy(
        &self,
        policy: lifeline_protocol::SecurityPolicy,
    ) -> Result<lifeline_protocol::SecurityPolicy, DeskError> {
        Ok(self.api().await?.set_security_policy(policy).await?)
    }

    pub async fn server_info(&self) -> Result<ServerInfo, DeskError> {
        Ok(self.api().await?.info().await?)
    }
}
