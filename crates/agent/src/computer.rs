//! What the agent tells the service about this computer.

use lifeline_protocol::ComputerInfo;

fn os_version() -> String {
    // Linux distributions describe themselves here; elsewhere the family is enough.
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|text| {
            text.lines().find_map(|l| {
                l.strip_prefix("PRETTY_NAME=")
                    .map(|v| v.trim_matches('"').to_owned())
            })
        })
        .unwrap_or_else(|| std::env::consts::OS.to_owned())
}

pub fn describe() -> ComputerInfo {
    ComputerInfo {
        hostname: hostname::get()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "unknown".to_owned()),
        os: std::env::consts::OS.to_owned(),
        os_version: os_version(),
        user: std::env::var("USER")
            .or_else(|_| std::env::var("USERNAME"))
            .unwrap_or_else(|_| "unknown".to_owned()),
        agent_version: env!("CARGO_PKG_VERSION").to_owned(),
    }
}
