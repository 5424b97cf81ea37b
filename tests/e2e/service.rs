use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use lifeline_client::ApiClient;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

pub const ADMIN_EMAIL: &str = "admin@lifeline.local";
pub const ADMIN_PASSWORD: &str = "first admin password";

/// The workspace's `target/<profile>` directory, beside this test binary.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_owned()
}

pub fn server_binary() -> PathBuf {
    let bin = target_dir().join("lifeline-server");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p lifeline-server` first",
        bin.display()
    );
    bin
}

/// A `lifeline-server` process on loopback with its own data directory.
pub struct ServiceProcess {
    child: Child,
    pub url: String,
    pub port: u16,
}

impl ServiceProcess {
    /// Starts the service (port 0 picks a free one) and waits until it listens.
    pub async fn start(data_dir: &Path, port: u16) -> anyhow::Result<Self> {
        let mut child = Command::new(server_binary())
            .args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data_dir)
            .env("LIFELINE_FIRST_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("starting lifeline-server")?;
        let stdout = child.stdout.take().context("stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let url = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(url) = line.strip_prefix("Lifeline service listening on ") {
                    return Ok::<_, anyhow::Error>(url.trim().to_owned());
                }
            }
            bail!("lifeline-server exited before listening")
        })
        .await
        .context("lifeline-server did not start in time")??;
        // Keep draining stdout so the process never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .context("port in URL")?;
        Ok(Self { child, url, port })
    }

    /// SIGKILL: no graceful shutdown, no flushing; what was acknowledged must survive.
    pub async fn kill(mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }

    /// SIGTERM, then waits for a graceful exit.
    pub async fn terminate(mut self) -> anyhow::Result<std::process::ExitStatus> {
        let pid = self.child.id().context("pid")?;
        anyhow::ensure!(send_sigterm(pid), "could not send SIGTERM");
        Ok(tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await??)
    }

    pub async fn admin(&self) -> anyhow::Result<ApiClient> {
        let client = ApiClient::new(&self.url)?;
        client.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        Ok(client)
    }
}

/// Through kill(1), which keeps this crate free of `unsafe`.
fn send_sigterm(pid: u32) -> bool {
    std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}
