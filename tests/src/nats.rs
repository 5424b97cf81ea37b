//! A NATS server of a test's (or a bench run's) own, on a free loopback port, so runs
//! never share subjects and one can be stopped and started again. JetStream is on (the
//! cluster's shared file store), keeping its data in a folder that outlives restarts.

use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::process::{Child, Command};

use crate::ports::{free_port, wait_for_port};

pub struct NatsServer {
    child: Child,
    port: u16,
    pub url: String,
    jetstream: tempfile::TempDir,
}

impl NatsServer {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_on(free_port()?).await
    }

    pub async fn start_on(port: u16) -> anyhow::Result<Self> {
        let jetstream = tempfile::tempdir()?;
        let child = Self::spawn(port, jetstream.path())?;
        wait_for_port(port).await?;
        Ok(Self {
            child,
            port,
            url: format!("nats://127.0.0.1:{port}"),
            jetstream,
        })
    }

    fn spawn(port: u16, jetstream: &std::path::Path) -> anyhow::Result<Child> {
        Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string(), "--jetstream"])
            .arg("--store_dir")
            .arg(jetstream)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting nats-server (apt install nats-server)")
    }

    /// Stops it (SIGKILL), and starts it again on its port, with its JetStream data,
    /// after `down`.
    pub async fn outage(&mut self, down: Duration) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        tokio::time::sleep(down).await;
        self.child = Self::spawn(self.port, self.jetstream.path())?;
        wait_for_port(self.port).await?;
        Ok(())
    }
}
