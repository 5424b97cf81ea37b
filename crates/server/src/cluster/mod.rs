//! Several nodes as one service. What a node's hub publishes for its own connections
//! also goes to the other nodes over core NATS (no JetStream): order and completeness
//! come from the database's `seq`, which every connection re-reads after its cursor
//! when something is missing, so the bus only has to be fast, not reliable. Besides
//! the hub's traffic, the bus carries presence (which node holds whose connection, kept
//! fresh by heartbeats, so a dead node's connections go offline within seconds) and
//! the agents' verdicts on connection attempts, which reach the node where the
//! technician waits.
//!
//! This module keeps nothing durable and decides nothing: the database does both. It
//! must never be needed on one node: without `[cluster]` none of it runs.

mod presence;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::adhoc::{PendingConnections, Verdict};
use crate::config::ClusterSettings;
use crate::realtime::{Hub, Live, SignInEnded};

pub use presence::PresenceKind;
use presence::RemotePresence;

/// How often a node tells the others whom it holds.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// Parties per heartbeat message, well under NATS's default 1 MiB payload.
const HEARTBEAT_CHUNK: usize = 4_000;

/// What crosses nodes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum Shared {
    /// [`Hub::publish`], or with `to_agent` [`Hub::publish_adhoc`].
    Publish {
        technician_id: Uuid,
        live: Live,
        to_agent: bool,
    },
    EndSignIn {
        technician_id: Uuid,
        ended: SignInEnded,
    },
    ToAgent {
        adhoc_session_id: Uuid,
        frame: Arc<lifeline_protocol::ServerFrame>,
    },
    /// The agent's verdict on a connection attempt, for the node where it is awaited.
    Verdict {
        connection_id: Uuid,
        verdict: Verdict,
    },
    /// A party's first connection on the sending node opened, or its last closed.
    Online {
        kind: PresenceKind,
        id: Uuid,
        online: bool,
    },
    /// Parties connected to the sending node right now.
    Heartbeat { present: Vec<(PresenceKind, Uuid)> },
}

#[derive(Serialize, Deserialize)]
struct Envelope {
    node: Uuid,
    body: Shared,
}

/// A node's handle on the cluster, held by the hub and the pending connection
/// attempts; cheap to clone.
#[derive(Clone)]
pub struct ClusterLink {
    node_id: Uuid,
    outgoing: mpsc::UnboundedSender<Shared>,
    presence: Arc<RemotePresence>,
}

impl std::fmt::Debug for ClusterLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterLink")
            .field("node_id", &self.node_id)
            .finish()
    }
}

impl ClusterLink {
    /// Queues `shared` for the other nodes; in order, without waiting.
    pub(crate) fn share(&self, shared: Shared) {
        let _ = self.outgoing.send(shared);
    }

    /// Whether another node holds a connection of this party.
    pub fn online_elsewhere(&self, kind: PresenceKind, id: Uuid) -> bool {
        self.presence.is_online(kind, id)
    }

    pub fn node_id(&self) -> Uuid {
        self.node_id
    }
}

/// The connected bus, before the hub that uses it exists.
pub struct Cluster {
    link: ClusterLink,
    outgoing: mpsc::UnboundedReceiver<Shared>,
    client: async_nats::Client,
    subject: String,
    /// Told when the connection to NATS comes back after a loss.
    reconnected: mpsc::UnboundedReceiver<()>,
}

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("connecting to NATS: {0}")]
    Connect(#[from] async_nats::ConnectError),
    #[error("subscribing on NATS: {0}")]
    Subscribe(#[from] async_nats::SubscribeError),
}

impl Cluster {
    /// Connects to NATS. A node that can't reach it does not start: alone, it would
    /// deliver only to its own connections.
    pub async fn connect(settings: &ClusterSettings) -> Result<Self, ClusterError> {
        let node_id = Uuid::new_v4();
        let (reconnect_tx, reconnected) = mpsc::unbounded_channel();
        let lost = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let client = async_nats::ConnectOptions::new()
            .name(format!("lifeline-server {node_id}"))
            .connection_timeout(Duration::from_secs(5))
            .event_callback(move |event| {
                let reconnect_tx = reconnect_tx.clone();
                let lost = lost.clone();
                async move {
                    use std::sync::atomic::Ordering;
                    match event {
                        async_nats::Event::Disconnected => {
                            tracing::warn!("lost the cluster bus (NATS); reconnecting");
                            lost.store(true, Ordering::SeqCst);
                        }
                        async_nats::Event::Connected if lost.swap(false, Ordering::SeqCst) => {
                            tracing::info!("the cluster bus (NATS) is back");
                            let _ = reconnect_tx.send(());
                        }
                        async_nats::Event::SlowConsumer(_) => {
                            // Messages were dropped for this node: the same as a loss.
                            tracing::warn!("the cluster bus dropped messages for this node");
                            let _ = reconnect_tx.send(());
                        }
                        _ => {}
                    }
                }
            })
            .connect(settings.nats_url.expose())
            .await?;
        let (outgoing_tx, outgoing) = mpsc::unbounded_channel();
        Ok(Self {
            link: ClusterLink {
                node_id,
                outgoing: outgoing_tx,
                presence: Arc::new(RemotePresence::default()),
            },
            outgoing,
            client,
            subject: format!("{}.cluster", settings.subject_prefix),
            reconnected,
        })
    }

    pub fn link(&self) -> ClusterLink {
        self.link.clone()
    }

    /// The NATS connection, for the shared file store.
    pub fn client(&self) -> async_nats::Client {
        self.client.clone()
    }

    /// Runs the node's side of the bus until `shutdown`: sends what the hub shares,
    /// delivers what the others share, beats the heartbeat, and has every connection
    /// re-read after the bus was lost.
    pub async fn run(
        self,
        hub: Hub,
        connects: PendingConnections,
        shutdown: CancellationToken,
    ) -> Result<(), ClusterError> {
        let Cluster {
            link,
            mut outgoing,
            client,
            subject,
            mut reconnected,
        } = self;
        let mut incoming = client.subscribe(subject.clone()).await?;
        let mut heartbeat = tokio::time::interval(HEARTBEAT);
        let node = link.node_id;
        let publish = |body: Shared| {
            let client = client.clone();
            let subject = subject.clone();
            async move {
                match serde_json::to_vec(&Envelope { node, body }) {
                    Ok(payload) => {
                        if let Err(err) = client.publish(subject, payload.into()).await {
                            tracing::warn!(error = %err, "publishing on the cluster bus failed");
                        }
                    }
                    Err(err) => tracing::error!(error = %err, "encoding a cluster message"),
                }
            }
        };
        loop {
            tokio::select! {
                Some(body) = outgoing.recv() => publish(body).await,
                Some(message) = incoming.next() => {
                    let Ok(envelope) = serde_json::from_slice::<Envelope>(&message.payload) else {
                        tracing::warn!("an unreadable cluster message was dropped");
                        continue;
                    };
                    if envelope.node == node {
                        continue;
                    }
                    match envelope.body {
                        Shared::Online { kind, id, online } => {
                            link.presence.set(envelope.node, kind, id, online);
                        }
                        Shared::Heartbeat { present } => {
                            link.presence.refresh(envelope.node, &present);
                        }
                        Shared::Verdict { connection_id, verdict } => {
                            connects.resolve_here(connection_id, verdict);
                        }
                        other => hub.deliver(other),
                    }
                }
                _ = heartbeat.tick() => {
                    let lapsed = link.presence.prune();
                    if !lapsed.is_empty() {
                        hub.presence_lapsed(lapsed);
                    }
                    let present = hub.present_here();
                    for chunk in present.chunks(HEARTBEAT_CHUNK) {
                        publish(Shared::Heartbeat { present: chunk.to_vec() }).await;
                    }
                }
                Some(()) = reconnected.recv() => {
                    hub.resync();
                    heartbeat.reset_immediately();
                }
                () = shutdown.cancelled() => {
                    // Others hear at once that this node's connections are gone.
                    for (kind, id) in hub.present_here() {
                        publish(Shared::Online { kind, id, online: false }).await;
                    }
                    let _ = client.flush().await;
                    return Ok(());
                }
            }
        }
    }
}
