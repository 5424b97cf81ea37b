//! Three real `lifeline-server` processes as one service: one PostgreSQL database, a
//! NATS server of the test's own, and a real nginx from Debian in front, run with the
//! repository's `deploy/nginx/lifeline-cluster.conf` (TLS with a test CA, round-robin,
//! no sticky sessions). A technician and an end user chat through the
//! balancer; the node holding the technician's socket is killed with SIGKILL halfway;
//! both sides reconnect through the balancer and go on, and every acknowledged message
//! is shown once, in order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lifeline_client::{ApiClient, RealtimeClient, RealtimeEvent, RealtimeOptions, Trust};
use lifeline_e2e::agent::{chat_both_ways, listed_online, wait_until, Computer, Screen};
use lifeline_e2e::ports::free_port;
use lifeline_e2e::tls::TestCa;
use lifeline_protocol::{EventData, Party};
use uuid::Uuid;

use crate::https::HOST;
use crate::nginx::{shipped_site, Nginx};
use crate::restart::send_acknowledged;
use lifeline_e2e::harness::{NodeOptions, ProcessCluster, ADMIN_EMAIL, ADMIN_PASSWORD};

const METRICS_TOKEN: &str = "cluster-test-metrics";

/// The nodes, the balancer and what they share.
pub(crate) struct TestCluster {
    nodes: ProcessCluster,
    _balancer: Nginx,
    url: String,
    /// What the apps trust: the test CA that signed the balancer's certificate.
    trust: Trust,
    ca_file: std::path::PathBuf,
    _work: tempfile::TempDir,
}

impl TestCluster {
    /// Three nodes: as many as the shipped balancer file names.
    pub(crate) async fn start() -> anyhow::Result<Self> {
        let work = tempfile::tempdir()?;
        let ca = TestCa::new(work.path())?;
        let leaf = ca.issue("balancer", &[HOST, "127.0.0.1"])?;
        let (https_port, http_port) = (free_port()?, free_port()?);
        let url = format!("https://127.0.0.1:{https_port}");
        let mut options = NodeOptions::default();
        options.envs([
            ("LIFELINE_PUBLIC_URL", url.as_str()),
            ("LIFELINE_TRUSTED_PROXIES", "127.0.0.1"),
            ("LIFELINE_METRICS__TOKEN", METRICS_TOKEN),
        ]);
        let nodes = ProcessCluster::start(3, options).await?;
        let upstream: Vec<(String, String)> = nodes
            .nodes
            .iter()
            .enumerate()
            .map(|(index, node)| {
                (
                    format!("server 10.0.0.1{}:8080", index + 1),
                    format!("server 127.0.0.1:{}", node.port),
                )
            })
            .collect();
        let site = shipped_site(
            "lifeline-cluster.conf",
            &leaf,
            (https_port, http_port),
            &upstream,
        )?;
        let balancer = Nginx::start(&work.path().join("nginx"), &site, https_port).await?;
        Ok(Self {
            nodes,
            _balancer: balancer,
            url,
            trust: Trust::with_pem(ca.pem.as_bytes())?,
            ca_file: ca.file.clone(),
            _work: work,
        })
    }

    /// A client of the service through the balancer.
    pub(crate) fn client(&self) -> anyhow::Result<ApiClient> {
        Ok(ApiClient::with_trust(&self.url, &self.trust)?)
    }

    /// The admin signed in and an end user joined to a new session of theirs, both
    /// through the balancer.
    pub(crate) async fn session_through_balancer(
        &self,
    ) -> anyhow::Result<(ApiClient, ApiClient, lifeline_protocol::SessionSummary)> {
        let technician = self.client()?;
        technician.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;
        let session = technician.create_session(false).await?;
        let end_user = self.client()?;
        end_user
            .join(session.support_key.as_str(), Some("Erika"))
            .await?;
        Ok((technician, end_user, session))
    }

    /// Starts a killed node again, on its port, with its data directory.
    async fn restart(&mut self, index: usize) -> anyhow::Result<()> {
        self.nodes.start_again(index).await
    }

    /// The running node holding a socket of `party` (by the node's own metrics).
    pub(crate) async fn node_holding(&self, party: &str) -> anyhow::Result<usize> {
        self.node_whose_metrics_show(&format!("lifeline_open_sockets{{party=\"{party}\"}} 1"))
            .await
    }

    /// The running node whose `/metrics` have this line.
    pub(crate) async fn node_whose_metrics_show(&self, needle: &str) -> anyhow::Result<usize> {
        let http = reqwest::Client::new();
        for (index, node) in self.nodes.nodes.iter().enumerate() {
            if !node.is_running() {
                continue;
            }
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
        anyhow::bail!("no node's metrics show {needle}")
    }

    pub(crate) fn node_count(&self) -> usize {
        self.nodes.nodes.len()
    }

    /// A node's own address, bypassing the balancer.
    pub(crate) fn node_url(&self, index: usize) -> String {
        self.nodes.nodes[index].url.clone()
    }

    pub(crate) async fn kill(&mut self, index: usize) -> anyhow::Result<()> {
        self.nodes.kill(index).await
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
    let mut cluster = TestCluster::start().await?;
    let (technician, end_user, session) = cluster.session_through_balancer().await?;
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
    let mut cluster = TestCluster::start().await?;
    let technician = cluster.client()?;
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
        .env("LIFELINE_CA_FILE", &cluster.ca_file)
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

/// The chaos run: 10,000 messages through the balancer, both sides sending at once,
/// while each side's socket drops at random and two nodes are killed with SIGKILL (each
/// started again on its port a moment later). Every message shows once on the other
/// side, and each sender's messages in the order it sent them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chaos_ten_thousand_messages_through_socket_drops_and_two_node_kills() -> anyhow::Result<()>
{
    const PER_SIDE: usize = 5_000;
    const SENDERS_PER_SIDE: usize = 8;
    let mut cluster = TestCluster::start().await?;
    let (technician, end_user, session) = cluster.session_through_balancer().await?;

    let technician_reads = tokio::spawn(read_with_drops(
        technician.clone(),
        session.id,
        Party::EndUser,
        PER_SIDE,
    ));
    let end_user_reads = tokio::spawn(read_with_drops(
        end_user.clone(),
        session.id,
        Party::Technician,
        PER_SIDE,
    ));
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::new();
    for (client, side) in [(&technician, "t"), (&end_user, "e")] {
        for sender in 0..SENDERS_PER_SIDE {
            let client = client.clone();
            let acknowledged = acknowledged.clone();
            senders.push(tokio::spawn(async move {
                for n in (sender..PER_SIDE).step_by(SENDERS_PER_SIDE) {
                    send_acknowledged(&client, session.id, &format!("{side}:{sender}:{n}")).await;
                    acknowledged.fetch_add(1, Ordering::SeqCst);
                }
            }));
        }
    }
    // Two kills while the messages flow, each node back on its port shortly after.
    for (victim, after) in [(0, 3_000), (1, 6_500)] {
        while acknowledged.load(Ordering::SeqCst) < after {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        cluster.kill(victim).await?;
        tokio::time::sleep(Duration::from_millis(500)).await;
        cluster.restart(victim).await?;
    }
    for sender in senders {
        sender.await?;
    }
    let seen_by_technician = technician_reads.await??;
    let seen_by_end_user = end_user_reads.await??;
    for (seen, side) in [(seen_by_technician, "e"), (seen_by_end_user, "t")] {
        assert_eq!(seen.len(), PER_SIDE, "every message of {side} shown once");
        // Each sender sent one after the other: the other side shows them in that order.
        for sender in 0..SENDERS_PER_SIDE {
            let order: Vec<usize> = seen
                .iter()
                .filter_map(|text| {
                    let mut parts = text.split(':');
                    let (s, who, n) = (parts.next()?, parts.next()?, parts.next()?);
                    (s == side && who == sender.to_string()).then(|| n.parse().ok())?
                })
                .collect();
            let expected: Vec<usize> = (sender..PER_SIDE).step_by(SENDERS_PER_SIDE).collect();
            assert_eq!(
                order, expected,
                "sender {side}:{sender} in order, none missing"
            );
        }
    }
    Ok(())
}

/// Reads the other party's messages until `count` arrived, dropping the socket now and
/// then and opening a new one from the last `seq` shown, as an app does when its
/// network changes. Fails on a `seq` or a text shown twice.
async fn read_with_drops(
    api: ApiClient,
    session_id: Uuid,
    from: Party,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let mut seen_seqs = std::collections::HashSet::new();
    let mut texts = Vec::new();
    let mut seen_texts = std::collections::HashSet::new();
    let mut last_seq = 0;
    let mut drops = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
    while texts.len() < count {
        let options = RealtimeOptions {
            cursors: vec![lifeline_protocol::Cursor {
                session_id,
                seq: last_seq,
            }],
            auto_delivered: false,
            ..RealtimeOptions::default()
        };
        let mut realtime = RealtimeClient::connect(api.clone(), options);
        // This socket lives for a random number of events, at most a few hundred.
        let lifetime = 50 + rand::random::<u32>() % 400;
        let mut events = 0;
        while events < lifetime && texts.len() < count {
            let event = tokio::time::timeout_at(deadline, realtime.next())
                .await
                .map_err(|_| anyhow::anyhow!("only {} of {count} arrived", texts.len()))?
                .context("stream open")?;
            let RealtimeEvent::Event(event) = event else {
                continue;
            };
            anyhow::ensure!(seen_seqs.insert(event.seq), "seq {} shown twice", event.seq);
            anyhow::ensure!(event.seq > last_seq, "seq {} after {last_seq}", event.seq);
            last_seq = event.seq;
            events += 1;
            if let EventData::Message {
                from: sender, text, ..
            } = event.data
            {
                if sender == from {
                    anyhow::ensure!(seen_texts.insert(text.clone()), "{text} shown twice");
                    texts.push(text);
                }
            }
        }
        realtime.close();
        drops += 1;
    }
    anyhow::ensure!(drops > 5, "the socket dropped {drops} times");
    Ok(texts)
}

/// A node that lost NATS and got it back re-reads from every socket's cursor: messages
/// another node stored while the bus was down show without a later message to wake
/// the socket.
#[tokio::test]
async fn what_was_stored_while_the_bus_was_down_shows_when_it_is_back() -> anyhow::Result<()> {
    let mut cluster = TestCluster::start().await?;
    let (technician, end_user, session) = cluster.session_through_balancer().await?;
    let mut end_user_reads = Reader::new(
        RealtimeClient::connect(end_user.clone(), RealtimeOptions::default()),
        Party::Technician,
    );
    send_acknowledged(&technician, session.id, "before the outage").await;
    assert_eq!(end_user_reads.next_text().await, "before the outage");

    // The technician writes straight to a node that does not hold the end user's
    // socket, so only the bus (or the re-read after it) can bring the messages there.
    let holder = cluster.node_holding("end_user").await?;
    let other = (0..cluster.node_count())
        .find(|&index| index != holder)
        .context("another node")?;
    let direct = ApiClient::new(&cluster.node_url(other))?;
    direct.login(ADMIN_EMAIL, ADMIN_PASSWORD).await?;

    let mut down = Box::pin(cluster.nodes.shared.nats.outage(Duration::from_secs(2)));
    tokio::select! {
        restarted = &mut down => restarted?,
        () = async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            for n in 0..3 {
                send_acknowledged(&direct, session.id, &format!("while the bus was down {n}")).await;
            }
            std::future::pending::<()>().await;
        } => {}
    }
    drop(down);
    for n in 0..3 {
        assert_eq!(
            end_user_reads.next_text().await,
            format!("while the bus was down {n}"),
            "shown once, in order, after the bus came back"
        );
    }
    Ok(())
}

/// `check-config` says what a node of a cluster joins, without the passwords of its
/// database and NATS URLs, and refuses a cluster on SQLite.
#[tokio::test]
async fn check_config_shows_the_cluster_without_passwords() -> anyhow::Result<()> {
    let work = tempfile::tempdir()?;
    let config = work.path().join("lifeline.toml");
    std::fs::write(
        &config,
        format!(
            "data_dir = {:?}\ndatabase_url = \"postgres://lifeline:db-s3cret@10.0.0.5/lifeline\"\n\
             [cluster]\nnats_url = \"nats://bus:nats-s3cret@10.0.0.5:4222\"\n",
            work.path().join("data")
        ),
    )?;
    let checked = lifeline_e2e::harness::check_config(&config).await?;
    let out = String::from_utf8_lossy(&checked.stdout);
    assert!(checked.status.success(), "{out}");
    assert!(
        out.contains("cluster:       NATS nats://bus:***@10.0.0.5:4222"),
        "{out}"
    );
    assert!(!out.contains("s3cret"), "no password shown: {out}");

    std::fs::write(&config, "[cluster]\nnats_url = \"nats://10.0.0.5:4222\"\n")?;
    let refused = lifeline_e2e::harness::check_config(&config).await?;
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("PostgreSQL"),
        "says why"
    );
    Ok(())
}
