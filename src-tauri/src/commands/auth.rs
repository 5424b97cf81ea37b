//! Sign in (with Remember me), silent sign-in at start (from the keychain, or from a
//! sign-in handed over when the app was started), sign out, and changing the password.

use lifeline_client::desk::{Desk, SignedIn};
use lifeline_client::protocol::ServerInfo;

use crate::error::IpcResult;

pub async fn sign_in(
    desk: &Desk,
    server_url: String,
    email: String,
    password: String,
    remember: bool,
) -> IpcResult<SignedIn> {
    Ok(desk
        .sign_in(&server_url, &email, password.into(), remember)
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
