//! A real SMTP server process on loopback (Debian's python3-aiosmtpd), printing every
//! message it receives, so tests read what the service really sent.

use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::io::AsyncReadExt;

pub struct SmtpServer {
    child: tokio::process::Child,
    pub port: u16,
    received: String,
}

impl SmtpServer {
    pub async fn start() -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = tokio::process::Command::new("/usr/bin/python3")
            .args([
                "-u",
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Debugging",
                "stdout",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("python3-aiosmtpd is installed (apt-get install python3-aiosmtpd)")?;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Ok(Self {
                    child,
                    port,
                    received: String::new(),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        anyhow::bail!("the SMTP server did not start")
    }

    /// Everything received so far, once it contains `until` (waits up to 10 s).
    pub async fn received_text(&mut self, until: &str) -> anyhow::Result<String> {
        let stdout = self.child.stdout.as_mut().context("stdout")?;
        let mut buffer = [0u8; 4096];
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !self.received.contains(until) {
            let n = tokio::time::timeout_at(deadline, stdout.read(&mut buffer))
                .await
                .with_context(|| {
                    format!("no mail containing {until:?}; got {}", self.received)
                })??;
            anyhow::ensure!(n > 0, "the SMTP server stopped");
            self.received
                .push_str(&String::from_utf8_lossy(&buffer[..n]));
        }
        Ok(self.received.clone())
    }
}
