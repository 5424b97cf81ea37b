//! Three real `lifeline-server` processes as one service: one PostgreSQL database, a
//! NATS server of the test's own, and a real nginx from Debian in front that deals
//! requests and WebSockets round-robin. A technician and an end user chat through the
//! balancer; the node holding the technician's socket is killed with SIGKILL halfway;
//! both sides reconnect through the balancer and go on, and every acknowledged message
//! is shown once, in order.

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use lifeline_client::{ApiClient, RealtimeClient, RealtimeEvent, RealtimeOptions};
use lifeline_e2e::agent::{chat_both_ways, listed_online, wait_until, Computer, Screen};
use lifeline_e2e::database::TestDatabase;
use lifeline_protocol::{EventData, Party};
use tokio::process::{Child, Command};
use uuid::Uuid;

use crate::nginx::{free_port, Nginx};
use crate::restart::send_acknowledged;
use crate::service::{ServiceProcess, ADMIN_EMAIL, ADMIN_PASSWORD};

const METRICS_TOKEN: &str = "cluster-test-metrics";

/// A NATS server for this test alone, on a free loopback port.
struct Nats {
    _child: Child,
    url: String,
}

impl Nats {
    async fn start() -> anyhow::Result<Self> {
        let port = free_port()?;
        let child = Command::new("nats-server")
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting nats-server (apt install nats-server)")?;
        wait_for_port(port).await?;
        Ok(Self {
            _child: child,
            url: format!("nats://127.0.0.1:{port}"),
        })
    }
}

async fn wait_for_port(port: u16) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "nothing listens on {port}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// nginx in front of the nodes: round-robin, WebSockets upgraded, a node that refuses
/// connections skipped for the next one.
fn balancer_site(port: u16, nodes: &[u16]) -> String {
    let servers: String = nodes
        .iter()
        .map(|node| format!("    server 127.0.0.1:{node} max_fails=1 fail_timeout=5s;\n"))
        .collect();
    format!(
        "map $http_upgrade $lifeline_connection {{\n    default upgrade;\n    '' '';\n}}\n\
         upstream lifeline {{\n{servers}}}\n\
         server {{\n    listen 127.0.0.1:{port};\n    client_max_body_size 0;\n    \
         proxy_request_buffering off;\n    proxy_buffering off;\n    \
         location / {{\n        proxy_pass http://lifeline;\n        proxy_http_version 1.1;\n        \
         proxy_set_header Host $host;\n        proxy_set_header Upgrade $http_upgrade;\n        \
         proxy_set_header Connection $lifeline_connection;\n        \
         proxy_next_upstream error timeout;\n        proxy_connect_timeout 2s;\n        \
         proxy_read_timeout 300s;\n    }}\n}}\n"
    )
}

/// The nodes, the balancer and what they share.
struct TestCluster {
    nodes: Vec<Option<ServiceProcess>>,
    _balancer: Nginx,
    url: String,
    _nats: Nats,
    _database: TestDatabase,
    _dirs: Vec<tempfile::TempDir>,
}

impl TestCluster {
    async fn start(size: usize) -> anyhow::Result<Self> {
        let database = TestDatabase::create_postgres().await?;
        let nats = Nats::start().await?;
        let prefix = format!("test{}", Uuid::new_v4().simple());
        let balancer_port = free_port()?;
        let public_url = format!("http://127.0.0.1:{balancer_port}");
        let mut dirs = Vec::new();
        let mut nodes = Vec::new();
        for index in 0..size {
            let dir = tempfile::tempdir()?;
            if index > 0 {
                // Every node signs and checks links and codes with the same key.
                let first: &Path = dirs.first().map(tempfile::TempDir::path).context("first")?;
                std::fs::copy(
                    lifeline_server::secrets::key_file(first),
                    lifeline_server::secrets::key_file(dir.path()),
                )?;
            }
            let node = ServiceProcess::start_with(dir.path(), 0, |command| {
                command
                    .env("LIFELINE_DATABASE_URL", database.url())
                    .env("LIFELINE_CLUSTER__NATS_URL", &nats.url)
                    .env("LIFELINE_CLUSTER__SUBJECT_PREFIX", &prefix)
                    .env("LIFELINE_PUBLIC_URL", &public_url)
                    .env("LIFELINE_METRICS__TOKEN", METRICS_TOKEN);
            })
            .await?;
            nodes.push(Some(node));
            dirs.push(dir);
        }
        let ports: Vec<u16> = nodes.iter().flatten().map(|node| node.port).collect();
        let balancer_dir = tempfile::tempdir()?;
        let balancer = Nginx::start(
            balancer_dir.path(),
            &balancer_site(balancer_port, &ports),
            balancer_port,
        )
        .await?;
        dirs.push(balancer_dir);
        Ok(Self {
            nodes,
            _balancer: balancer,
            url: public_url,
            _nats: nats,
            _database: database,
            _dirs: dirs,
        })
    }

    /// The running node holding a socket of `party` (by the node's own metrics).
    async fn node_holding(&self, party: &str) -> anyhow::Result<usize> {
        let http = reqwest::Client::new();
        let needle = format!("lifeline_open_sockets{{party=\"{party}\"}} 1");
        for (index, node) in self.nodes.iter().enumerate() {
            let Some(node) = node else { continue };
            let text = http
                .get(format!("{}/metrics", node.url))
                .bearer_auth(METRICS_TOKEN)
                .send()
                .await?
                .text()
                .await?;
            if text.lines().any(|line| line == needle) {
                return Ok(index);
            }
        }
        anyhow::bail!("no node holds a {party} socket")
    }

    async fn kill(&mut self, index: usize) -> anyhow::Result<()> {
        self.nodes[index].take().context("running")?.kill().await
    }
}

/// One side's view of the chat: the other party's texts as they arrive, each `seq`
/// at most once.
struct Reader {
    realtime: RealtimeClient,
    from: Party,
    seqs: std::collections::HashSet<u64>,
}

impl Reader {
    fn new(realtime: RealtimeClient, from: Party) -> Self {
        Self {
            realtime,
            from,
            seqs: Default::default(),
        }
    }

    /// The next text of the other party. Other nodes' sends reach this socket only
    /// over the cluster's bus: nothing else would wake it up to re-read.
    async fn next_text(&mut self) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let event = tokio::time::timeout_at(deadline, self.realtime.next())
                .await
                .expect("the next message arrives")
                .expect("stream open");
            if let RealtimeEvent::Event(event) = event {
                assert!(self.seqs.insert(event.seq), "seq {} shown twice", event.seq);
                if let EventData::Message { from, text, .. } = event.data {
                    if from == self.from {
                        return text;
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn a_chat_through_the_balancer_survives_killing_the_node_that_holds_a_socket(
) -> anyhow::Result<()> {
    let mut cluster = TestCluster::start(3).await?;
    let technician = ApiClient::new(&cluster.url)?;
    technician.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    let session = technician.create_session(false).await?;
    let end_user = ApiClient::new(&cluster.url)?;
    end_user
        .join(session.support_key.as_str(), Some("Erika"))
        .await?;
    let mut technician_reads = Reader::new(
        RealtimeClient::connect(technician.clone(), RealtimeOptions::default()),
        Party::EndUser,
    );
    let mut end_user_reads = Reader::new(
        RealtimeClient::connect(end_user.clone(), RealtimeOptions::default()),
        Party::Technician,
    );
    // Both sockets are up once the metrics show them.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while cluster.node_holding("technician").await.is_err()
        || cluster.node_holding("end_user").await.is_err()
    {
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "sockets never opened"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Each message must be shown before the next one is sent, so nothing but the bus
    // (or, after the kill, the resume from the cursor) can bring it.
    for round in 0..12 {
        if round == 6 {
            let holder = cluster.node_holding("technician").await?;
            cluster.kill(holder).await?;
        }
        let text = format!("technician {round}");
        send_acknowledged(&technician, session.id, &text).await;
        assert_eq!(end_user_reads.next_text().await, text, "once, in order");
        let text = format!("end user {round}");
        send_acknowledged(&end_user, session.id, &text).await;
        assert_eq!(technician_reads.next_text().await, text, "once, in order");
    }
    Ok(())
}

/// An ad-hoc computer stays reachable through the balancer: the agent's socket, the
/// technician's request and the agent's verdict may each land on a different node, and
/// after the node holding the agent's socket is killed, the agent reconnects to another
/// and the technician connects again.
#[tokio::test]
async fn an_adhoc_computer_stays_reachable_when_its_node_is_killed() -> anyhow::Result<()> {
    const PASSWORD: &str = "Sunny-Day-42";
    let mut cluster = TestCluster::start(3).await?;
    let technician = ApiClient::new(&cluster.url)?;
    technician.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
    let prepared = technician
        .prepare_adhoc("erika@example.test", PASSWORD, PASSWORD, None)
        .await?;
    technician.answer_enrollments_in_background(prepared.session.id, prepared.secret.clone());
    let computer = Computer::new()?;
    let mut agent = computer
        .enroll(
            &cluster.url,
            &prepared.session.id.to_string(),
            &prepared.security_code,
        )
        .spawn()?;
    let screen = Screen::watch(&mut agent);
    let mut keyboard = agent.stdin.take().context("piped stdin")?;
    listed_online(&technician).await;

    for attempt in ["before", "after"] {
        // Three tries, so at least one request lands on a node other than the agent's.
        for _ in 0..3 {
            let session = technician
                .connect_adhoc(prepared.session.id, PASSWORD)
                .await
                .with_context(|| format!("connecting {attempt} the kill"))?;
            chat_both_ways(
                &technician,
                session.id,
                (&screen, &mut keyboard),
                &format!("all good {attempt}"),
            )
            .await?;
            technician.end_session(session.id).await?;
        }
        if attempt == "before" {
            let holder = cluster.node_holding("agent").await?;
            cluster.kill(holder).await?;
            wait_until("the agent is back on another node", || async {
                cluster.node_holding("agent").await.is_ok()
            })
            .await;
            listed_online(&technician).await;
        }
    }
    agent.start_kill()?;
    Ok(())
}
