//! The one way tests and benchmarks start the service: a node in the test's own process
//! (with a clock the test moves), a node as a real `lifeline-server` process, or a
//! cluster of processes on PostgreSQL and a NATS server of its own.
//!
//! Every node created here has the same bootstrap admin ([`ADMIN_EMAIL`],
//! [`ADMIN_PASSWORD`]); the nodes of one service share a key file.

mod cluster;
mod in_process;
mod process;

use std::path::{Path, PathBuf};

use anyhow::Context;

pub use cluster::{ProcessCluster, SharedParts};
pub use in_process::InProcessService;
pub use process::{log_path, NodeOptions, ServiceProcess};

pub const ADMIN_EMAIL: &str = "admin@lifeline.local";
pub const ADMIN_PASSWORD: &str = "first admin password";

/// The workspace's `target/<profile>` directory, beside this test binary
/// (`target/<profile>/deps/<test>`).
fn target_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    Ok(exe
        .parent()
        .and_then(Path::parent)
        .context("the target directory")?
        .to_owned())
}

/// A workspace binary beside the tests, e.g. `lifeline-agent`.
pub fn binary(name: &str) -> anyhow::Result<PathBuf> {
    let bin = target_dir()?.join(name);
    anyhow::ensure!(
        bin.exists(),
        "{} is missing: run `cargo build -p {name}` first",
        bin.display()
    );
    Ok(bin)
}

/// The `lifeline-server` beside the tests, or the one `LIFELINE_SERVER_BINARY` names
/// (an older release, to make an upgrade fixture).
pub fn server_binary() -> anyhow::Result<PathBuf> {
    match std::env::var_os("LIFELINE_SERVER_BINARY") {
        Some(path) => Ok(PathBuf::from(path)),
        None => binary("lifeline-server"),
    }
}

/// `lifeline-server check-config <config>`, run to its end.
pub async fn check_config(config: &Path) -> anyhow::Result<std::process::Output> {
    Ok(tokio::process::Command::new(server_binary()?)
        .arg("check-config")
        .arg(config)
        .output()
        .await?)
}

/// The bootstrap admin's account, for a node started in-process (a process gets it from
/// `LIFELINE_FIRST_PASSWORD`).
pub fn first_admin() -> lifeline_protocol::NewTechnician {
    lifeline_protocol::NewTechnician {
        email: ADMIN_EMAIL.into(),
        display_name: "Tina Tech".into(),
        password: ADMIN_PASSWORD.into(),
        is_admin: true,
    }
}
