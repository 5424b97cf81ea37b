use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use lifeline_client::{ApiClient, Trust};
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

/// The `lifeline-server` beside the tests, or the one `LIFELINE_SERVER_BINARY` names
/// (an older release, to make an upgrade fixture).
pub fn server_binary() -> PathBuf {
    let bin = std::env::var_os("LIFELINE_SERVER_BINARY")
        .map_or_else(|| target_dir().join("lifeline-server"), PathBuf::from);
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p lifeline-server` first",
        bin.display()
    );
    bin
}

/// `lifeline-server check-config <config>`, run to its end.
pub async fn check_config(config: &Path) -> anyhow::Result<std::process::Output> {
    Ok(tokio::process::Command::new(server_binary())
        .arg("check-config")
        .arg(config)
        .output()
        .await?)
}

/// A `lifeline-server` process on loopback with its own data directory.
pub struct ServiceProcess {
    child: Child,
    pub url: String,
    pub port: u16,
    /// The plain-HTTP listener that redirects to HTTPS, when one was configured.
    pub redirect_url: Option<String>,
}

impl ServiceProcess {
    /// Starts the service (port 0 picks a free one) and waits until it listens.
    pub async fn start(data_dir: &Path, port: u16) -> anyhow::Result<Self> {
        Self::start_with(data_dir, port, |_| {}).await
    }

    /// Starts the service with what `configure` adds to its command line or
    /// environment (TLS files, a public URL...).
    pub async fn start_with(
        data_dir: &Path,
        port: u16,
        configure: impl FnOnce(&mut Command),
    ) -> anyhow::Result<Self> {
        let mut command = Command::new(server_binary());
        command
            .args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data_dir)
            .env("LIFELINE_FIRST_PASSWORD", ADMIN_PASSWORD)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        configure(&mut command);
        let mut child = command.spawn().context("starting lifeline-server")?;
        let stdout = child.stdout.take().context("stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let mut redirect_url = None;
        let url = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await? {
                if let Some(rest) = line.strip_prefix("Plain HTTP on ") {
                    redirect_url = rest.split_whitespace().next().map(str::to_owned);
                }
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
        Ok(Self {
            child,
            url,
            port,
            redirect_url,
        })
    }

    /// SIGKILL: no graceful shutdown, no flushing; what was acknowledged must survive.
    pub async fn kill(mut self) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        Ok(())
    }

    /// SIGTERM, then waits for a graceful exit.
    pub async fn terminate(mut self) -> anyhow::Result<std::process::ExitStatus> {
        self.signal("TERM")?;
        Ok(tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await??)
    }

    pub async fn admin(&self) -> anyhow::Result<ApiClient> {
        self.admin_trusting(&Trust::public_roots()).await
    }

    /// The first admin, signed in through a client that trusts what `trust` says.
    pub async fn admin_trusting(&self, trust: &Trust) -> anyhow::Result<ApiClient> {
        let client = ApiClient::with_trust(&self.url, trust)?;
        client.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        Ok(client)
    }
}

impl ServiceProcess {
    /// Sends a signal (`TERM`, `HUP`...) through kill(1), which keeps this crate free of
    /// `unsafe`.
    pub fn signal(&self, name: &str) -> anyhow::Result<()> {
        let pid = self.child.id().context("the service has exited")?;
        let sent = std::process::Command::new("kill")
            .args([format!("-{name}"), pid.to_string()])
            .status()
            .is_ok_and(|s| s.success());
        anyhow::ensure!(sent, "could not send SIG{name}");
        Ok(())
    }
}
