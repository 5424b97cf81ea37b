//! Settings the core acts on (notifications, language of notifications and invites).
//! Theme and UI language are the UI's own.

use lifeline_client::desk::{Desk, Preferences};

use crate::error::IpcResult;

pub async fn set_preferences(desk: &Desk, preferences: Preferences) -> IpcResult<()> {
    desk.set_preferences(&preferences);
    Ok(())
}
