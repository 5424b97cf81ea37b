//! Sign in (with Remember me), silent sign-in at start (from the keychain, or from a
//! sign-in handed over when the app was started), sign out, and changing the password.

use lifeline_client::desk::{Desk, SignedIn};
use lifeline_client::protocol::{RecoveryCodes, SecondFactorSetup, SecurityPolicy, ServerInfo};

use crate::error::IpcResult;

pub async fn sign_in(
    desk: &Desk,
    server_url: String,
    email: String,
    password: String,
    second_factor: Option<String>,
    remember: bool,
) -> IpcResult<SignedIn> {
    Ok(desk
        .sign_in(
            &server_url,
            &email,
            password.into(),
            second_factor.map(Into::into),
            remember,
        )
        .await?)
}

pub async fn resume_sign_in(
    desk: &Desk,
    server_url: String,
    email: String,
) -> IpcResult<Option<SignedIn>> {
    Ok(desk.resume(&server_url, &email).await?)
}

pub async fn sign_in_handed_over(desk: &Desk) -> IpcResult<Option<SignedIn>> {
    Ok(desk.sign_in_handed_over().await?)
}

pub async fn sign_out(desk: &Desk) -> IpcResult<()> {
    Ok(desk.sign_out().await?)
}

pub async fn change_password(
    desk: &Desk,
    current_password: String,
    new_password: String,
) -> IpcResult<()> {
    Ok(desk
        .change_password(&current_password, &new_password)
        .await?)
}

pub async fn server_info(desk: &Desk) -> IpcResult<ServerInfo> {
    Ok(desk.server_info().await?)
}

pub async fn setup_second_factor(desk: &Desk, password: String) -> IpcResult<SecondFactorSetup> {
    Ok(desk.setup_second_factor(&password).await?)
}

pub async fn enable_second_factor(desk: &Desk, code: String) -> IpcResult<RecoveryCodes> {
    Ok(desk.enable_second_factor(&code).await?)
}

pub async fn disable_second_factor(desk: &Desk, password: String, code: String) -> IpcResult<()> {
    Ok(desk.disable_second_factor(&password, &code).await?)
}

pub async fn security_policy(desk: &Desk) -> IpcResult<SecurityPolicy> {
    Ok(desk.security_policy().await?)
}

pub async fn set_security_policy(desk: &Desk, policy: SecurityPolicy) -> IpcResult<SecurityPolicy> {
    Ok(desk.set_security_policy(policy).await?)
}
