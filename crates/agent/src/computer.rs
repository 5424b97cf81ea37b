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

/// The user this agent runs as: from the environment, else (on Unix) the password
/// database entry of the process's uid, which also covers services without `USER`.
fn current_user() -> String {
    let from_env = ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
    if let Some(user) = from_env {
        return user;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(me), Ok(passwd)) = (
            std::fs::metadata("/proc/self"),
            std::fs::read_to_string("/etc/passwd"),
        ) {
            let uid = me.uid().to_string();
            if let Some(name) = passwd.lines().find_map(|line| {
                let mut fields = line.split(':');
                let name = fields.next()?;
                (fields.nth(1)? == uid).then(|| name.to_owned())
            }) {
                return name;
            }
        }
    }
    "unknown".to_owned()
}

pub fn describe() -> ComputerInfo {
    ComputerInfo {
        hostname: hostname::get()
            .map(|h| h.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "unknown".to_owned()),
        os: std::env::consts::OS.to_owned(),
        os_version: os_version(),
        user: current_user(),
        agent_version: env!("CARGO_PKG_VERSION").to_owned(),
    }
}

/// The system information a connected technician sees.
pub fn system_info() -> lifeline_protocol::SystemInfo {
    use sysinfo::{CpuRefreshKind, Disks, MemoryRefreshKind, RefreshKind, System};
    let system = System::new_with_specifics(
        RefreshKind::nothing()
            .with_cpu(CpuRefreshKind::nothing())
            .with_memory(MemoryRefreshKind::nothing().with_ram()),
    );
    let described = describe();
    let cpu = system
        .cpus()
        .first()
        .map(|c| c.brand().trim().to_owned())
        .filter(|brand| !brand.is_empty())
        .unwrap_or_else(|| std::env::consts::ARCH.to_owned());
    let disks = Disks::new_with_refreshed_list()
        .iter()
        .filter(|d| d.total_space() > 0)
        .take(64)
        .map(|d| lifeline_protocol::DiskInfo {
            mount_point: d.mount_point().to_string_lossy().into_owned(),
            file_system: d.file_system().to_string_lossy().into_owned(),
            total_bytes: d.total_space(),
            available_bytes: d.available_space(),
        })
        .collect();
    lifeline_protocol::SystemInfo {
        hostname: described.hostname,
        os: System::name().unwrap_or(described.os),
        os_version: System::os_version().unwrap_or(described.os_version),
        kernel_version: System::kernel_version().unwrap_or_else(|| "unknown".to_owned()),
        cpu,
        cpu_cores: u32::try_from(system.cpus().len()).unwrap_or(u32::MAX),
        memory_total_bytes: system.total_memory(),
        memory_available_bytes: system.available_memory(),
        disks,
        uptime_seconds: System::uptime(),
        logged_in_user: described.user,
    }
}
