//! A real `lifeline-server` process and the app on Tauri's mock runtime, with the fake
//! keychain, clipboard and notifier.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::Context;
use lifeline_client::clipboard::{Clipboard, MemoryClipboard};
use lifeline_client::desk::DeskOs;
use lifeline_client::keychain::{Keychain, MemoryKeychain};
use lifeline_client::notifications::{MemoryNotifier, Notifier};
use serde::de::DeserializeOwned;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, WebviewWindow, WebviewWindowBuilder};

pub const ADMIN_EMAIL: &str = "admin@lifeline.local";
pub const ADMIN_PASSWORD: &str = "first admin password";

/// `lifeline-server` on a free loopback port with its own data directory; killed on drop.
pub struct Service {
    child: Child,
    pub url: String,
    _dir: tempfile::TempDir,
    /// Flags beyond the listen address and data directory, kept for restarts.
    extra: Vec<String>,
}

/// A workspace binary beside this test: target/<profile>/deps/<test> → target/<profile>/<name>.
pub fn binary(name: &str) -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .context("target dir")?
        .join(name);
    anyhow::ensure!(
        bin.exists(),
        "{} is missing: run `cargo build -p {name}` first",
        bin.display()
    );
    Ok(bin)
}

impl Service {
    pub fn start() -> anyhow::Result<Self> {
        Self::start_with(&[])
    }

    /// With more command-line flags, e.g. an SMTP server to send email through.
    pub fn start_with(extra: &[String]) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let (child, url) = spawn(dir.path(), "127.0.0.1:0", extra)?;
        Ok(Self {
            child,
            url,
            _dir: dir,
            extra: extra.to_vec(),
        })
    }

    /// Kills the service (SIGKILL) and starts it again on the same port and data.
    pub fn restart(&mut self) -> anyhow::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        let listen = self
            .url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let (child, _) = spawn(self._dir.path(), &listen, &self.extra)?;
        self.child = child;
        Ok(())
    }
}

/// Starts `lifeline-server` and waits until it says where it listens.
fn spawn(data_dir: &Path, listen: &str, extra: &[String]) -> anyhow::Result<(Child, String)> {
    let mut child = Command::new(binary("lifeline-server")?)
        .args(["--listen", listen, "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .env("LIFELINE_FIRST_PASSWORD", ADMIN_PASSWORD)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .context("starting lifeline-server")?;
    let stdout = child.stdout.take().context("stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .context("lifeline-server exited before listening")??;
        if let Some(url) = line.strip_prefix("Lifeline service listening on ") {
            break url.trim().to_owned();
        }
    };
    // Keep draining stdout so the service never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Ok((child, url))
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The fakes behind one app, so a test can look at what the app did to the "OS".
#[derive(Clone, Default)]
pub struct Fakes {
    pub keychain: MemoryKeychain,
    pub clipboard: MemoryClipboard,
    pub notifier: MemoryNotifier,
}

impl Fakes {
    fn os(&self) -> DeskOs {
        DeskOs {
            keychain: Keychain::new(self.keychain.clone()),
            clipboard: Clipboard::new(self.clipboard.clone()),
            notifier: Notifier::new(self.notifier.clone()),
        }
    }
}

/// The app on the mock runtime with one window to invoke commands from.
pub struct MockApp {
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
}

impl MockApp {
    pub fn new(fakes: &Fakes) -> anyhow::Result<Self> {
        let app =
            lifeline_desktop::app(mock_builder(), fakes.os()).build(mock_context(noop_assets()))?;
        let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build()?;
        Ok(Self { _app: app, window })
    }

    /// Invokes a command as the UI would; `Err` holds the serialized `IpcError`.
    pub fn invoke<T: DeserializeOwned>(
        &self,
        cmd: &str,
        args: serde_json::Value,
    ) -> anyhow::Result<Result<T, serde_json::Value>> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse()?,
            body: InvokeBody::Json(args),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        match tauri::test::get_ipc_response(&self.window, request) {
            Ok(body) => Ok(Ok(body.deserialize()?)),
            Err(error) => Ok(Err(error)),
        }
    }

    /// Invokes a command that must succeed.
    pub fn ok<T: DeserializeOwned>(&self, cmd: &str, args: serde_json::Value) -> anyhow::Result<T> {
        self.invoke(cmd, args)?
            .map_err(|e| anyhow::anyhow!("{cmd} failed: {e}"))
    }
}
