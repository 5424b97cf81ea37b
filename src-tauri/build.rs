//! Reads the app config from the repository root, where the design keeps it, and
//! declares the app's commands so that each needs its own permission in
//! `capabilities/` (deny by default).

/// Every `#[tauri::command]` in `src/commands`; a command missing here cannot be invoked.
const COMMANDS: &[&str] = &[
    "sign_in",
    "resume_sign_in",
    "sign_in_handed_over",
    "sign_out",
    "server_info",
    "list_sessions",
    "start_session",
    "set_request_control_on_arrival",
    "session_events",
    "request_consent",
    "end_session",
    "transcript_text",
    "export_transcript",
    "send_message",
    "set_typing",
    "mark_read",
    "copy_to_clipboard",
    "send_sms",
    "send_email",
    "send_file",
    "save_file",
    "cancel_transfer",
    "set_preferences",
    "prepare_adhoc",
    "list_adhoc_sessions",
    "list_computers",
    "connect_computer",
    "adhoc_connections",
    "end_adhoc",
    "watch_screen",
    "screen_decoded",
    "screen_keyframe",
    "close_screen",
    "stop_viewing",
];

fn main() {
    let attributes = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    tauri_build::try_build(attributes).unwrap_or_else(|err| panic!("tauri build: {err:#}"));
}
