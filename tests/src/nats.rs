//! A NATS server of a test's (or a bench run's) own, on a free loopback port, so runs
//! never share subjects and one can be stopped and started again.

use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::process::{Child, Command};

use crate::ports::{free_port, wait_for_port};

pub struct NatsServer {
    child: Child,
    port: u16,
    pub url: String,
}

impl NatsServer {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_on(free_port()?).await
    }

    pub async fn start_on(port: u16) -> anyhow::Result<Self> {
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting nats-server (apt install nats-server)")?;
        wait_for_port(port).await?;
        Ok(Self {
            child,
            port,
            url: format!("nats://127.0.0.1:{port}"),
        })
    }

    /// Stops it (SIGKILL), and starts it again on its port after `down`.
    pub async fn outage(&mut self, down: Duration) -> anyhow::Result<()> {
        self.child.start_kill()?;
        self.child.wait().await?;
        tokio::time::sleep(down).await;
        *self = Self::start_on(self.port).await?;
        Ok(())
    }
}
