/// Every command of the agent's window (`shell.rs`), read by `build.rs` too, so that
/// each command gets its own permission in `capabilities/`.
pub const COMMANDS: &[&str] = &["agent_view", "enroll", "say", "send_file", "end_session"];
