use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// The end user's browser: `tests/browser/enduser.mjs` (Playwright + Chromium), driven
/// over JSON lines.
pub struct Puppet {
    _child: Child,
    stdin: ChildStdin,
    stdout: Lines<tokio::io::BufReader<ChildStdout>>,
    next_id: u64,
}

pub fn artifacts_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("browser")
        .join("artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    dir
}

/// How the browser is set up before it starts.
#[derive(Debug, Default, Clone)]
pub struct BrowserSetup {
    /// A CA certificate (PEM) the browser trusts, through its own NSS store, as a
    /// company's managed browsers would.
    pub trusted_ca: Option<PathBuf>,
    /// Host names the browser resolves to 127.0.0.1 (so a page is on a real name, not
    /// on localhost, which browsers treat as secure even over plain HTTP).
    pub loopback_hosts: Vec<String>,
}

impl Puppet {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(&BrowserSetup::default()).await
    }

    pub async fn start_with(setup: &BrowserSetup) -> anyhow::Result<Self> {
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("browser")
            .join("enduser.mjs");
        let mut command = Command::new("node");
        if let Some(ca) = &setup.trusted_ca {
            command.env("PUPPET_TRUSTED_CA", ca);
        }
        if !setup.loopback_hosts.is_empty() {
            command.env("PUPPET_LOOPBACK_HOSTS", setup.loopback_hosts.join(","));
        }
        let mut child = command
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("starting node (is Node.js installed, and `npm ci` done?)")?;
        let stdin = child.stdin.take().context("stdin")?;
        let stdout = BufReader::new(child.stdout.take().context("stdout")?).lines();
        Ok(Self {
            _child: child,
            stdin,
            stdout,
            next_id: 1,
        })
    }

    /// Runs one command and returns its result, or the page's readable failure.
    pub async fn call(&mut self, cmd: &str, args: Value) -> anyhow::Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = args.as_object().cloned().unwrap_or_default();
        message.insert("id".into(), json!(id));
        message.insert("cmd".into(), json!(cmd));
        let line = serde_json::to_string(&Value::Object(message))?;
        self.stdin.write_all(line.as_bytes()).await?;
        self.stdin.write_all(b"\n").await?;
        self.stdin.flush().await?;
        let answer = tokio::time::timeout(Duration::from_secs(60), self.stdout.next_line())
            .await
            .with_context(|| format!("the browser did not answer {cmd}"))??
            .with_context(|| format!("the browser exited during {cmd}"))?;
        let answer: Value =
            serde_json::from_str(&answer).with_context(|| format!("answer to {cmd}: {answer}"))?;
        if answer["id"] != json!(id) {
            bail!("answer for another command: {answer}");
        }
        if answer["ok"] == json!(true) {
            Ok(answer["result"].clone())
        } else {
            bail!("{cmd} failed in the browser: {}", answer["error"])
        }
    }

    pub async fn close(mut self) -> anyhow::Result<()> {
        let _ = self.call("close", json!({})).await;
        Ok(())
    }
}
