/// Every command of the agent's window (`shell.rs`), read by `build.rs` too, so that
/// each command gets its own permission in `capabilities/`.
pub const COMMANDS: &[&str] = &[
    "agent_view",
    "enroll",
    "say",
    "send_file",
    "answer_consent",
    "stop_sharing",
    "end_session",
];
