use std::time::Duration;

use lifeline_client::{ApiClient, ClientError, RealtimeClient, RealtimeEvent, RealtimeOptions};
use lifeline_e2e::harness::{InProcessService, SharedParts};
use lifeline_protocol::{ErrorCode, JoinResponse, NewTechnician, SessionEvent, SessionSummary};
use lifeline_server::{Config, RunningServer};
use tempfile::TempDir;

pub const PASSWORD: &str = "correct horse battery";

/// A real service on a loopback port (from the one test harness) with a fresh database,
/// and a signed-in technician. It reads as its [`InProcessService`]: `app.clock`,
/// `app.config`, `app.database`.
pub struct TestApp {
    pub service: InProcessService,
    pub url: String,
    pub technician: ApiClient,
    pub http: reqwest::Client,
}

impl std::ops::Deref for TestApp {
    type Target = InProcessService;

    fn deref(&self) -> &InProcessService {
        &self.service
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let service = InProcessService::start(configure)
        .await
        .expect("the service starts");
    with_technician(service).await
}

/// The service with Tina, an admin of Acme IT, signed in.
async fn with_technician(service: InProcessService) -> TestApp {
    service
        .add_technician(
            "Acme IT",
            NewTechnician {
                email: "tech@acme.test".into(),
                display_name: "Tina Tech".into(),
                password: PASSWORD.into(),
                is_admin: true,
            },
        )
        .await
        .expect("technician added");
    let url = service.url.clone();
    let technician = ApiClient::new(&url).expect("client");
    technician
        .login("tech@acme.test", PASSWORD)
        .await
        .expect("technician signs in");
    TestApp {
        service,
        url,
        technician,
        http: reqwest::Client::new(),
    }
}

impl TestApp {
    pub async fn new_session(&self) -> SessionSummary {
        self.technician
            .create_session(false)
            .await
            .expect("session created")
    }

    /// An end user who joined the session through the API.
    pub async fn end_user(&self, session: &SessionSummary) -> (ApiClient, JoinResponse) {
        let client = ApiClient::new(&self.url).expect("client");
        let joined = client
            .join(session.support_key.as_str(), Some("Erika"))
            .await
            .expect("end user joins");
        (client, joined)
    }

    pub async fn add_technician(&self, email: &str, is_admin: bool) -> ApiClient {
        let new = NewTechnician {
            email: email.into(),
            display_name: email.into(),
            password: PASSWORD.into(),
            is_admin,
        };
        self.service
            .add_technician("Acme IT", new)
            .await
            .expect("technician added");
        let client = ApiClient::new(&self.url).expect("client");
        client.login(email, PASSWORD).await.expect("signs in");
        client
    }

    /// Jumps the service's clock; the technician signs in again, as the access token
    /// has expired by the service's clock.
    pub async fn advance_clock(&self, by: Duration) {
        self.clock.advance(by);
        self.technician
            .login("tech@acme.test", PASSWORD)
            .await
            .expect("signs in again");
    }

    /// Stops the service and starts it again on the same port and database.
    pub async fn restart(&mut self) {
        self.service
            .restart()
            .await
            .expect("the service comes back on the same port");
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// A second node of the same service (see [`InProcessService::another_node`]).
    pub async fn another_node_with(
        &self,
        configure: impl FnOnce(&mut Config),
    ) -> (RunningServer, TempDir) {
        self.service
            .another_node(configure)
            .await
            .expect("another node starts")
    }
}

pub fn realtime(client: &ApiClient) -> RealtimeClient {
    RealtimeClient::connect(client.clone(), RealtimeOptions::default())
}

/// Waits for the first event that matches, skipping others.
pub async fn wait_for(
    rt: &mut RealtimeClient,
    what: &str,
    matches: impl Fn(&RealtimeEvent) -> bool,
) -> RealtimeEvent {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let next = tokio::time::timeout_at(deadline, rt.next())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
        let event =
            next.unwrap_or_else(|| panic!("realtime stream ended while waiting for {what}"));
        if matches(&event) {
            return event;
        }
    }
}

/// Waits for a stored session event that matches.
pub async fn wait_for_event(
    rt: &mut RealtimeClient,
    what: &str,
    matches: impl Fn(&SessionEvent) -> bool,
) -> SessionEvent {
    match wait_for(
        rt,
        what,
        |e| matches!(e, RealtimeEvent::Event(ev) if matches(ev)),
    )
    .await
    {
        RealtimeEvent::Event(event) => event,
        _ => unreachable!("filtered to events"),
    }
}

pub fn code(err: ClientError) -> ErrorCode {
    err.code()
        .unwrap_or_else(|| panic!("expected a typed service error, got {err}"))
}

/// A WebSocket to the service, as the tests open them.
pub type TestSocket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The next text frame's text, or the close code once the socket closes; pings and
/// other frames are skipped.
pub async fn next_text(socket: &mut TestSocket, within_secs: u64) -> Result<String, Option<u16>> {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let message = tokio::time::timeout(Duration::from_secs(within_secs), socket.next())
            .await
            .expect("something in time");
        match message {
            Some(Ok(Message::Text(text))) => return Ok(text.as_str().to_owned()),
            Some(Ok(Message::Close(frame))) => return Err(frame.map(|f| u16::from(f.code))),
            Some(Ok(_)) => continue,
            Some(Err(err)) => panic!("the connection broke instead of closing: {err}"),
            None => return Err(None),
        }
    }
}

/// Two nodes of one service: PostgreSQL, and a NATS server (with JetStream) of the
/// test's own. The technician signed in on the first.
pub struct TwoNodes {
    pub first: TestApp,
    pub second: RunningServer,
    pub shared: SharedParts,
    pub files_bucket: String,
    _second_dir: TempDir,
}

pub async fn two_nodes() -> TwoNodes {
    two_nodes_with(|_| {}, Bus::Shared).await
}

/// Whether the two nodes hear each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bus {
    Shared,
    /// The second node has a subject prefix of its own: nothing crosses between the
    /// two, as when the bus loses every message.
    Deaf,
}

/// [`two_nodes`], both configured by `configure`.
pub async fn two_nodes_with(configure: impl FnOnce(&mut Config), bus: Bus) -> TwoNodes {
    let shared = SharedParts::start().await.expect("postgres and nats");
    let files_bucket = shared.settings().files_bucket();
    let first = InProcessService::start_in(&shared, configure)
        .await
        .expect("the first node starts");
    let first = with_technician(first).await;
    let (second, second_dir) = first
        .another_node_with(|config| {
            if let (Bus::Deaf, Some(cluster)) = (bus, config.cluster.as_mut()) {
                cluster.subject_prefix.push_str("deaf");
            }
        })
        .await;
    TwoNodes {
        first,
        second,
        shared,
        files_bucket,
        _second_dir: second_dir,
    }
}

impl TwoNodes {
    /// The technician, signed in again through the second node.
    pub async fn technician_on_second(&self) -> ApiClient {
        let client = ApiClient::new(&self.second.url()).expect("client");
        client
            .login("tech@acme.test", PASSWORD)
            .await
            .expect("signs in on the second node");
        client
    }
}
