//! A `lifeline-server` process: what it is started with, waiting until it listens, and
//! ending it (SIGKILL, SIGTERM) or starting it again on the same port and data.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use anyhow::{bail, Context};

use super::{server_binary, ADMIN_PASSWORD};

/// How long a node may take from its start until it says where it listens.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// Lines of its output a node keeps for [`ServiceProcess::log_tail`].
const TAIL_LINES: usize = 40;

/// What a node is started with, beyond `--listen` and `--data-dir`.
#[derive(Clone, Default)]
pub struct NodeOptions {
    /// The binary; the `lifeline-server` beside the tests when `None`.
    pub binary: Option<PathBuf>,
    args: Vec<OsString>,
    environment: Vec<(OsString, OsString)>,
    /// Copied into the data directory before the start: the key every node of one
    /// service signs and checks with.
    pub key_file: Option<PathBuf>,
    /// stdout and stderr go to `<data dir>.log` as well (see [`log_path`]);
    /// otherwise stderr is the test's own.
    pub log_to_file: bool,
    /// Drops the `LIFELINE_*` variables this process was started with, so only what the
    /// options say reaches the node (a benchmark must not measure a developer's shell).
    pub clean_environment: bool,
}

impl NodeOptions {
    pub fn arg(&mut self, arg: impl Into<OsString>) -> &mut Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(&mut self, args: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(&mut self, name: impl Into<OsString>, value: impl Into<OsString>) -> &mut Self {
        self.environment.push((name.into(), value.into()));
        self
    }

    pub fn envs<I, K, V>(&mut self, variables: I) -> &mut Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<OsString>,
        V: Into<OsString>,
    {
        for (name, value) in variables {
            self.env(name, value);
        }
        self
    }

    fn command(&self, data_dir: &Path, port: u16) -> anyhow::Result<Command> {
        let binary = match &self.binary {
            Some(binary) => binary.clone(),
            None => server_binary()?,
        };
        anyhow::ensure!(
            binary.is_file(),
            "{} is missing: build it with `cargo build -p lifeline-server`",
            binary.display()
        );
        let mut command = Command::new(binary);
        command
            .args(["--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(data_dir)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped());
        if self.clean_environment {
            for (name, _) in std::env::vars_os() {
                if name.to_string_lossy().starts_with("LIFELINE_") {
                    command.env_remove(name);
                }
            }
        }
        command
            .env("LIFELINE_FIRST_PASSWORD", ADMIN_PASSWORD)
            // LIFELINE_SERVICE_LOG=debug shows the service's side of a failing test.
            // Per-request lines would otherwise measure the logger in a benchmark.
            .env(
                "RUST_LOG",
                std::env::var("LIFELINE_SERVICE_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .envs(self.environment.iter().map(|(k, v)| (k, v)));
        if self.log_to_file {
            command.stderr(open_log(data_dir)?);
        }
        Ok(command)
    }
}

/// A running (or killed) `lifeline-server`; killed when dropped. Field order matters:
/// the process ends before a data directory of its own is removed.
pub struct ServiceProcess {
    /// Behind a lock so a shared reference can ask whether the node still runs.
    child: Mutex<Child>,
    pub url: String,
    pub port: u16,
    /// The plain-HTTP listener that redirects to HTTPS, when one was configured.
    pub redirect_url: Option<String>,
    tail: Arc<Mutex<VecDeque<String>>>,
    data_dir: PathBuf,
    options: NodeOptions,
    _own_dir: Option<tempfile::TempDir>,
}

/// What the thread reading a node's stdout saw before it listened.
struct Listening {
    url: String,
    redirect_url: Option<String>,
}

impl ServiceProcess {
    /// Starts a node with a data directory of its own on a free port.
    pub async fn start_fresh(options: NodeOptions) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("lifeline-node-")
            .tempdir()?;
        let mut node = Self::launch(dir.path().join("data"), 0, options).await?;
        node._own_dir = Some(dir);
        Ok(node)
    }

    /// [`Self::start_fresh`] for tests without a runtime.
    pub fn start_fresh_blocking(options: NodeOptions) -> anyhow::Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix("lifeline-node-")
            .tempdir()?;
        let mut node = Self::launch_blocking(dir.path().join("data"), 0, options)?;
        node._own_dir = Some(dir);
        Ok(node)
    }

    /// Starts the service on `data_dir` (port 0 picks a free one) and waits until it
    /// listens.
    pub async fn start(data_dir: &Path, port: u16) -> anyhow::Result<Self> {
        Self::launch(data_dir.to_owned(), port, NodeOptions::default()).await
    }

    /// [`Self::start`] with what `configure` adds (TLS files, a public URL...).
    pub async fn start_with(
        data_dir: &Path,
        port: u16,
        configure: impl FnOnce(&mut NodeOptions),
    ) -> anyhow::Result<Self> {
        let mut options = NodeOptions::default();
        configure(&mut options);
        Self::launch(data_dir.to_owned(), port, options).await
    }

    /// Starts a node off the runtime's threads: the wait for its first line blocks.
    pub async fn launch(
        data_dir: PathBuf,
        port: u16,
        options: NodeOptions,
    ) -> anyhow::Result<Self> {
        tokio::task::spawn_blocking(move || Self::launch_blocking(data_dir, port, options))
            .await
            .context("the task starting a node")?
    }

    pub fn launch_blocking(
        data_dir: PathBuf,
        port: u16,
        options: NodeOptions,
    ) -> anyhow::Result<Self> {
        if let Some(key_file) = &options.key_file {
            std::fs::create_dir_all(&data_dir)?;
            std::fs::copy(key_file, lifeline_server::secrets::key_file(&data_dir))
                .context("copying the service's key file")?;
        }
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let (child, listening) = spawn(&options, &data_dir, port, &tail)?;
        let port = listening
            .url
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .context("port in URL")?;
        Ok(Self {
            child: Mutex::new(child),
            url: listening.url,
            port,
            redirect_url: listening.redirect_url,
            tail,
            data_dir,
            options,
            _own_dir: None,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child().id()
    }

    fn child(&self) -> std::sync::MutexGuard<'_, Child> {
        self.child.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The node's data directory (key file, database, uploaded files).
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    pub fn addr(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// SIGKILL: no graceful shutdown, no flushing; what was acknowledged must survive.
    /// The node can be started again with [`Self::start_again`].
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        self.kill_blocking()
    }

    pub fn kill_blocking(&mut self) -> anyhow::Result<()> {
        let mut child = self.child();
        if child.try_wait()?.is_none() {
            child.kill()?;
        }
        child.wait()?;
        Ok(())
    }

    /// SIGTERM, then waits up to 20 s for a graceful exit.
    pub async fn terminate(self) -> anyhow::Result<std::process::ExitStatus> {
        self.signal("TERM")?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child().try_wait()? {
                return Ok(status);
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the service did not stop within 20 s of SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Sends a signal (`TERM`, `HUP`...) through kill(1), which keeps this crate free of
    /// `unsafe`.
    pub fn signal(&self, name: &str) -> anyhow::Result<()> {
        let sent = Command::new("kill")
            .args([format!("-{name}"), self.pid().to_string()])
            .status()
            .is_ok_and(|s| s.success());
        anyhow::ensure!(sent, "could not send SIG{name}");
        Ok(())
    }

    /// Starts a killed node again, on its port, with its data directory and options.
    pub async fn start_again(&mut self) -> anyhow::Result<()> {
        let (data_dir, port, options) = (self.data_dir.clone(), self.port, self.options.clone());
        let tail = Arc::clone(&self.tail);
        let (child, _) =
            tokio::task::spawn_blocking(move || spawn(&options, &data_dir, port, &tail)).await??;
        *self.child() = child;
        Ok(())
    }

    /// SIGKILL, then the node again on its port and data, for tests without a runtime.
    pub fn restart_blocking(&mut self) -> anyhow::Result<()> {
        self.kill_blocking()?;
        let (child, _) = spawn(&self.options, &self.data_dir, self.port, &self.tail)?;
        *self.child() = child;
        Ok(())
    }

    /// Whether the process still runs.
    pub fn is_running(&self) -> bool {
        matches!(self.child().try_wait(), Ok(None))
    }

    /// Fails with the end of the node's output when it has died.
    pub fn ensure_running(&self) -> anyhow::Result<()> {
        let exited = self.child().try_wait()?;
        if let Some(status) = exited {
            bail!("the service exited with {status}:\n{}", self.log_tail());
        }
        Ok(())
    }

    /// The last lines the node printed on stdout (and stderr, with a log file).
    pub fn log_tail(&self) -> String {
        if self.options.log_to_file {
            let text = std::fs::read_to_string(log_path(&self.data_dir)).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            return lines[lines.len().saturating_sub(TAIL_LINES)..].join("\n");
        }
        let tail = self.tail.lock().unwrap_or_else(PoisonError::into_inner);
        tail.iter().cloned().collect::<Vec<_>>().join("\n")
    }

    /// Runs `lifeline-server <args>` against this node's data directory and returns
    /// what it printed; fails with its error output when it fails.
    pub fn cli(&self, args: &[&str]) -> anyhow::Result<String> {
        let binary = match &self.options.binary {
            Some(binary) => binary.clone(),
            None => server_binary()?,
        };
        let out = Command::new(binary)
            .arg("--data-dir")
            .arg(&self.data_dir)
            .arg("--public-url")
            .arg(&self.url)
            .args(args)
            .env("RUST_LOG", "warn")
            .output()
            .context("running lifeline-server")?;
        anyhow::ensure!(
            out.status.success(),
            "lifeline-server {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8(out.stdout)?)
    }

    pub async fn admin(&self) -> anyhow::Result<lifeline_client::ApiClient> {
        self.admin_trusting(&lifeline_client::Trust::public_roots())
            .await
    }

    /// The first admin, signed in through a client that trusts what `trust` says.
    pub async fn admin_trusting(
        &self,
        trust: &lifeline_client::Trust,
    ) -> anyhow::Result<lifeline_client::ApiClient> {
        let client = lifeline_client::ApiClient::with_trust(&self.url, trust)?;
        client.login(super::ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        Ok(client)
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        let mut child = self.child();
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Where a node logging to a file writes: beside its data directory, so a node that is
/// started again appends to the same file.
pub fn log_path(data_dir: &Path) -> PathBuf {
    data_dir.with_extension("log")
}

fn open_log(data_dir: &Path) -> anyhow::Result<std::fs::File> {
    Ok(std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path(data_dir))?)
}

/// Starts the process and waits until it says where it listens. A thread of its own
/// keeps reading stdout, so the node never blocks on a full pipe, and keeps its last
/// lines (and copies them to the log file, if there is one).
fn spawn(
    options: &NodeOptions,
    data_dir: &Path,
    port: u16,
    tail: &Arc<Mutex<VecDeque<String>>>,
) -> anyhow::Result<(Child, Listening)> {
    let mut child = options
        .command(data_dir, port)?
        .spawn()
        .context("starting lifeline-server")?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut log = if options.log_to_file {
        Some(open_log(data_dir)?)
    } else {
        None
    };
    let (listening_tx, listening_rx) = mpsc::channel();
    let kept = Arc::clone(tail);
    std::thread::spawn(move || {
        let mut redirect_url = None;
        let mut listening_tx = Some(listening_tx);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(log) = log.as_mut() {
                let _ = writeln!(log, "{line}");
            }
            if let Some(rest) = line.strip_prefix("Plain HTTP on ") {
                redirect_url = rest.split_whitespace().next().map(str::to_owned);
            }
            if let Some(url) = line.strip_prefix("Lifeline service listening on ") {
                if let Some(tx) = listening_tx.take() {
                    let _ = tx.send(Listening {
                        url: url.trim().to_owned(),
                        redirect_url: redirect_url.take(),
                    });
                }
            }
            let mut kept = kept.lock().unwrap_or_else(PoisonError::into_inner);
            if kept.len() == TAIL_LINES {
                kept.pop_front();
            }
            kept.push_back(line);
        }
    });
    match listening_rx.recv_timeout(START_TIMEOUT) {
        Ok(listening) => Ok((child, listening)),
        Err(waited) => {
            let _ = child.kill();
            let status = child.wait()?;
            let said = tail
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join("\n");
            match waited {
                mpsc::RecvTimeoutError::Timeout => {
                    bail!("lifeline-server did not listen within {START_TIMEOUT:?}:\n{said}")
                }
                mpsc::RecvTimeoutError::Disconnected => {
                    bail!("lifeline-server exited ({status}) before listening:\n{said}")
                }
            }
        }
    }
}
