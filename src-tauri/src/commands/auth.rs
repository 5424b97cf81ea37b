//! Sign in (with Remember me), silent sign-in at start (from the keychain, or from a
//! sign-in handed over when the app was started), sign out.

use lifeline_client::desk::{Desk, SignedIn};
use lifeline_client::protocol::ServerInfo;
use tauri::State;

use crate::error::IpcResult;

#[tauri::command]
pub async fn sign_in(
    desk: State<'_, Desk>,
    server_url: String,
    email: String,
    password: String,
    remember: bool,
) -> IpcResult<SignedIn> {
    Ok(desk
        .sign_in(&server_url, &email, password.into(), remember)
        .await?)
}

/// Signs in with the keychain's refresh token; `null` when nothing usable is kept.
#[tauri::command]
pub async fn resume_sign_in(
    desk: State<'_, Desk>,
    server_url: String,
    email: String,
) -> IpcResult<Option<SignedIn>> {
    Ok(desk.resume(&server_url, &email).await?)
}

/// Signs in with the sign-in handed over at start, once; `null` when there is none.
#[tauri::command]
pub async fn sign_in_handed_over(desk: State<'_, Desk>) -> IpcResult<Option<SignedIn>> {
    Ok(desk.sign_in_handed_over().await?)
}

#[tauri::command]
pub async fn sign_out(desk: State<'_, Desk>) -> IpcResult<()> {
    Ok(desk.sign_out().await?)
}

#[tauri::command]
pub async fn server_info(desk: State<'_, Desk>) -> IpcResult<ServerInfo> {
    Ok(desk.server_info().await?)
}
