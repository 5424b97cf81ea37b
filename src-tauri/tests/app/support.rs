//! The service from the one test harness and the app on Tauri's mock runtime, with the fake
//! keychain, clipboard and notifier.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

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

pub use lifeline_e2e::harness::ServiceProcess;
pub use lifeline_e2e::harness::{binary, first_admin, ADMIN_EMAIL, ADMIN_PASSWORD};
use lifeline_e2e::harness::{InProcessService, NodeOptions};

/// `lifeline-server` as a process on a free loopback port with a data directory of its
/// own; killed on drop.
pub fn service() -> anyhow::Result<ServiceProcess> {
    ServiceProcess::start_fresh_blocking(NodeOptions::default())
}

/// The `sign_in` command's arguments for the bootstrap admin.
pub fn sign_in_args(service: &ServiceProcess, remember: bool) -> serde_json::Value {
    serde_json::json!({
        "serverUrl": service.url,
        "email": ADMIN_EMAIL,
        "password": ADMIN_PASSWORD,
        "secondFactor": null,
        "remember": remember,
    })
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
    pub fn signed_in(service: &ServiceProcess, fakes: &Fakes) -> anyhow::Result<Self> {
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
    pub fn joined_session(&self, service: &ServiceProcess) -> anyhow::Result<SessionSummary> {
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
pub async fn prepared_adhoc(
) -> anyhow::Result<(InProcessService, ApiClient, lifeline_client::PreparedAdhoc)> {
    let service = InProcessService::start(|_| {}).await?;
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
