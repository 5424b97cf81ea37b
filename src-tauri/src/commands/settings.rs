//! Settings the core acts on (notifications, language of notifications and invites).
//! Theme and UI language are the UI's own.

use lifeline_client::desk::{Desk, Preferences};
use tauri::State;

#[tauri::command]
pub fn set_preferences(desk: State<'_, Desk>, preferences: Preferences) {
    desk.set_preferences(&preferences);
}
