//! A real `lifeline-server` process and the app on Tauri's mock runtime, with the fake
//! keychain, clipboard and notifier.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use lifeline_client::clipboard::{Clipboard, MemoryClipboard};
use lifeline_client::desk::{DeskEvent, DeskOs, Handover, HandoverError, SignedIn};
use lifeline_client::keychain::{Keychain, MemoryKeychain};
use lifeline_client::notifications::{MemoryNotifier, Notifier};
use lifeline_client::protocol::SessionSummary;
use lifeline_client::ApiClient;
use serde::de::DeserializeOwned;
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{App, Listener, WebviewWindow, WebviewWindowBuilder};

pub const ADMIN_EMAIL: &str = "admin@lifeline.local";
pub const ADMIN_PASSWORD: &str = "first admin password";

/// The bootstrap admin's account, for a service the test starts in-process.
pub fn first_admin() -> lifeline_client::protocol::NewTechnician {
    lifeline_client::protocol::NewTechnician {
        email: ADMIN_EMAIL.into(),
        display_name: "Tina Tech".into(),
        password: ADMIN_PASSWORD.into(),
        is_admin: true,
    }
}

/// The `sign_in` command's arguments for the bootstrap admin.
pub fn sign_in_args(service: &Service, remember: bool) -> serde_json::Value {
    serde_json::json!({
        "serverUrl": service.url,
        "email": ADMIN_EMAIL,
        "password": ADMIN_PASSWORD,
        "secondFactor": null,
        "remember": remember,
    })
}

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

    /// The service's data directory (database and uploaded files).
    pub fn data_dir(&self) -> &Path {
        self._dir.path()
    }

    /// Runs `lifeline-server <args>` against this service's data directory and returns
    /// what it printed; fails with its error output when it fails.
    pub fn cli(&self, args: &[&str]) -> anyhow::Result<String> {
        let out = Command::new(binary("lifeline-server")?)
            .arg("--data-dir")
            .arg(self.data_dir())
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
        // LIFELINE_SERVICE_LOG=debug shows the service's side of a failing test.
        .env(
            "RUST_LOG",
            std::env::var("LIFELINE_SERVICE_LOG").unwrap_or_else(|_| "warn".into()),
        )
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

/// The app on the mock runtime with one window to invoke commands from, and every desk
/// event it pushed to the UI.
pub struct MockApp {
    _app: App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    events: Arc<Mutex<Vec<DeskEvent>>>,
}

/// The app quits as the process would end: the mock runtime keeps its tasks, so the
/// desk is told.
impl Drop for MockApp {
    fn drop(&mut self) {
        use tauri::Manager;
        self._app.state::<lifeline_client::desk::Desk>().quit();
    }
}

impl MockApp {
    pub fn new(fakes: &Fakes) -> anyhow::Result<Self> {
        Self::build(fakes, None)
    }

    /// The app as started with a sign-in handed over (see `LIFELINE_SIGN_IN_FD`).
    pub fn with_handover(
        fakes: &Fakes,
        handover: Result<Handover, HandoverError>,
    ) -> anyhow::Result<Self> {
        Self::build(fakes, Some(handover))
    }

    fn build(
        fakes: &Fakes,
        handover: Option<Result<Handover, HandoverError>>,
    ) -> anyhow::Result<Self> {
        let mut app = lifeline_desktop::app(mock_builder(), fakes.os(), handover)
            .build(mock_context(noop_assets()))?;
        // The mock runtime has no event loop; one iteration runs the app's setup, which
        // connects the desk's events to the app. Deprecated only for use in a loop (it
        // would spin); called once, it is the way to run setup without `run`.
        #[allow(deprecated)]
        app.run_iteration(|_, _| {});
        let events: Arc<Mutex<Vec<DeskEvent>>> = Arc::default();
        let sink = Arc::clone(&events);
        app.listen_any(lifeline_desktop::DESK_EVENT, move |event| {
            if let Ok(event) = serde_json::from_str(event.payload()) {
                sink.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(event);
            }
        });
        let window = WebviewWindowBuilder::new(&app, "main", Default::default()).build()?;
        Ok(Self {
            _app: app,
            window,
            events,
        })
    }

    /// Signed in as the bootstrap admin, without Remember me.
    pub fn signed_in(service: &Service, fakes: &Fakes) -> anyhow::Result<Self> {
        let app = Self::new(fakes)?;
        app.ok::<SignedIn>("sign_in", sign_in_args(service, false))?;
        Ok(app)
    }

    /// The app's window goes to the background, as when another window takes the focus.
    pub fn to_background(&self) {
        use tauri::Manager;
        self._app
            .state::<lifeline_client::desk::Desk>()
            .set_foreground(false);
    }

    /// Starts a session that an end user (Erika, through the API) has joined.
    pub fn joined_session(&self, service: &Service) -> anyhow::Result<SessionSummary> {
        let session: SessionSummary = self.ok(
            "start_session",
            serde_json::json!({ "requestControlOnArrival": false }),
        )?;
        let end_user = ApiClient::new(&service.url)?;
        tokio::runtime::Runtime::new()?
            .block_on(end_user.join(session.support_key.as_str(), Some("Erika")))?;
        Ok(session)
    }

    /// Waits up to 30 s for a pushed desk event that `pick` maps to something.
    pub fn wait_event<T>(
        &self,
        what: &str,
        pick: impl Fn(&DeskEvent) -> Option<T>,
    ) -> anyhow::Result<T> {
        let started = Instant::now();
        loop {
            let found = self
                .events
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .find_map(&pick);
            if let Some(found) = found {
                return Ok(found);
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(30),
                "no desk event: {what}; the last ones: {:?}",
                self.events().iter().rev().take(3).collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Every desk event pushed so far.
    pub fn events(&self) -> Vec<DeskEvent> {
        self.events
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Invokes a command as the UI would; `Err` holds the serialized `IpcError`.
    pub fn invoke<T: DeserializeOwned>(
        &self,
        cmd: &str,
        args: serde_json::Value,
    ) -> anyhow::Result<Result<T, serde_json::Value>> {
        invoke_in(&self.window, cmd, args)
    }

    /// Invokes a command that must succeed.
    pub fn ok<T: DeserializeOwned>(&self, cmd: &str, args: serde_json::Value) -> anyhow::Result<T> {
        self.invoke(cmd, args)?
            .map_err(|e| anyhow::anyhow!("{cmd} failed: {e}"))
    }
}

/// Invokes a command in a mock-runtime window as its page would; `Err` holds the
/// serialized `IpcError`.
pub fn invoke_in<T: DeserializeOwned>(
    window: &WebviewWindow<MockRuntime>,
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
    match tauri::test::get_ipc_response(window, request) {
        Ok(body) => Ok(Ok(body.deserialize()?)),
        Err(error) => Ok(Err(error)),
    }
}

/// The ad-hoc computers' password in these tests.
pub const ADHOC_PASSWORD: &str = "Sunny-Day-42";

/// An in-process service with the bootstrap admin signed in, who prepared an ad-hoc
/// session (password [`ADHOC_PASSWORD`]) for an agent to enroll in.
pub async fn prepared_adhoc() -> anyhow::Result<(
    lifeline_e2e::service::InProcessService,
    ApiClient,
    lifeline_client::PreparedAdhoc,
)> {
    let service = lifeline_e2e::service::InProcessService::start(|_| {}).await?;
    service.add_technician("Acme IT", first_admin()).await?;
    let technician = ApiClient::new(&service.url)?;
    technician.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    let prepared = technician
        .prepare_adhoc("erika@example.test", ADHOC_PASSWORD, ADHOC_PASSWORD, None)
        .await?;
    // The technician's app answers the agent's enrollment, as the desktop app does.
    technician.answer_enrollments_in_background(prepared.session.id, prepared.secret.clone());
    Ok((service, technician, prepared))
}
