//! The screen view across nodes. Each node keeps its own relay per session; in a
//! cluster a bridge task beside each relay joins them over core NATS:
//! - on the node holding the sender (the uplink), a proxy viewer stands for the viewers
//!   on other nodes. What reaches it (announcements, chunks, the computer's clipboard,
//!   displays and blocks) goes out on `<prefix>.media.<session>.down`;
//! - on a node with viewers and no sender (a downlink), a stand-in sender receives that
//!   and feeds the local relay, and sends back on `.up` what the local relay would
//!   have told a sender: acknowledgements, keyframe requests, input, a display pick, a
//!   stop, and how many viewers watch here (repeated every 2 s; silent nodes' viewers
//!   lapse after 6 s).
//!
//! The bus may drop messages, so every chunk is numbered per bridge: after a gap the
//! downlink takes nothing but a keyframe, which it asks for, and viewers never decode
//! a broken picture. Chunks are cut into pieces below NATS's default payload limit.
//! Flow control stays end to end: the sender hears the remote viewers' own
//! acknowledgements. The bridge decides nothing about consent or who may watch: the
//! sockets at either end did that already.

use std::sync::Arc;
use std::time::Duration;

use async_nats::{Client, Message};
use futures_util::StreamExt;
use lifeline_protocol::{
    ControlBlock, DisplayChoice, InputEvent, Party, StopReason, StreamInfo, VideoCodec,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::relay::{Relay, Stopped};

mod downlink;
mod uplink;

use downlink::Downlink;
use uplink::Uplink;

/// How often a downlink says how many watch on its node.
const HELLO_INTERVAL: Duration = Duration::from_secs(2);
/// Viewers of a node not heard of for this long no longer count.
const VIEWERS_LAPSE: Duration = Duration::from_secs(6);
/// One NATS message's share of a chunk: well under the default 1 MiB payload.
const PIECE_BYTES: usize = 512 * 1024;
/// On a chunk's pieces: `<chunk number>/<piece>/<pieces>`.
const PIECE_HEADER: &str = "Lifeline-Piece";
/// How long the node ending a session waits for the sender's node to stop the stream.
const STOP_ELSEWHERE_WAIT: Duration = Duration::from_secs(2);

/// A node's way to the other nodes' relays; cheap to clone.
#[derive(Clone)]
pub struct MediaBus {
    client: Client,
    prefix: String,
    node: Uuid,
}

impl std::fmt::Debug for MediaBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaBus")
            .field("node", &self.node)
            .finish_non_exhaustive()
    }
}

/// From the sender's node to the viewers' nodes.
#[derive(Debug, Serialize, Deserialize)]
enum Down {
    /// A new uplink asks the viewers' nodes to say how many watch.
    Who,
    Stream(StreamInfo),
    Stopped {
        stream_id: Uuid,
        by: Party,
        reason: StopReason,
    },
    Clipboard(String),
    Displays(Vec<DisplayChoice>),
    Blocked(Option<ControlBlock>),
}

/// From a viewers' node to the sender's node.
#[derive(Debug, Serialize, Deserialize)]
enum Up {
    Hello {
        node: Uuid,
        viewers: u32,
        codecs: Vec<VideoCodec>,
    },
    Bye {
        node: Uuid,
    },
    Ack(u64),
    KeyframeNeeded,
    Input(InputEvent),
    SelectDisplay(String),
    Stop {
        stream_id: Uuid,
        by: Party,
        reason: StopReason,
    },
}

/// The session ends on a node without its stream: the sender's node stops it.
#[derive(Debug, Serialize, Deserialize)]
struct EndRequest {
    by: Party,
}

#[derive(Debug, Serialize, Deserialize)]
struct EndReply {
    stopped: Option<(Uuid, Party, StopReason)>,
}

#[derive(Debug, thiserror::Error)]
enum BridgeError {
    #[error("subscribing: {0}")]
    Subscribe(#[from] async_nats::SubscribeError),
    #[error("publishing: {0}")]
    Publish(#[from] async_nats::PublishError),
    #[error("encoding: {0}")]
    Encode(#[from] serde_json::Error),
}

impl MediaBus {
    pub fn new(client: Client, prefix: &str, node: Uuid) -> Self {
        Self {
            client,
            prefix: prefix.to_owned(),
            node,
        }
    }

    fn subject(&self, session_id: Uuid, leg: &str) -> String {
        format!("{}.media.{session_id}.{leg}", self.prefix)
    }

    async fn send<T: Serialize>(
        &self,
        session_id: Uuid,
        leg: &str,
        message: &T,
    ) -> Result<(), BridgeError> {
        let payload = serde_json::to_vec(message)?;
        self.client
            .publish(self.subject(session_id, leg), payload.into())
            .await?;
        Ok(())
    }

    /// Asks the node that sends the session's screen to stop it, as the session ends
    /// on this one; the stop it made, if any (none within 2 s counts as none).
    pub async fn stop_elsewhere(&self, session_id: Uuid, by: Party) -> Option<Stopped> {
        let payload = serde_json::to_vec(&EndRequest { by }).ok()?;
        let asked = self
            .client
            .request(self.subject(session_id, "end"), payload.into());
        let reply = tokio::time::timeout(STOP_ELSEWHERE_WAIT, asked)
            .await
            .ok()?
            .ok()?;
        let EndReply { stopped } = serde_json::from_slice(&reply.payload).ok()?;
        stopped.map(|(stream_id, by, reason)| Stopped {
            stream_id,
            by,
            reason,
        })
    }
}

/// Starts the bridge beside a new relay; it ends when the relay is released.
pub fn spawn(bus: MediaBus, session_id: Uuid, relay: Arc<Relay>) {
    tokio::spawn(async move {
        if let Err(err) = run(&bus, session_id, &relay).await {
            tracing::warn!(session = %session_id, error = %err, "the screen view's bridge stopped");
        }
    });
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Idle,
    Uplink,
    Downlink,
}

enum Role {
    Idle,
    Uplink(Uplink),
    Downlink(Downlink),
}

/// What woke the bridge.
enum Step {
    Released,
    Changed,
    Tick,
    Up(Option<Message>),
    End(Option<Message>),
    Proxy,
    Down(Option<Message>),
    Notes,
}

async fn run(bus: &MediaBus, session_id: Uuid, relay: &Arc<Relay>) -> Result<(), BridgeError> {
    let mut role = Role::Idle;
    let mut tick = tokio::time::interval(HELLO_INTERVAL);
    loop {
        let presence = relay.local_presence();
        let wanted = if presence.sender {
            Kind::Uplink
        } else if presence.viewers > 0 {
            Kind::Downlink
        } else {
            Kind::Idle
        };
        if role.kind() != wanted {
            role.end(bus, session_id, relay).await;
            role = match wanted {
                Kind::Uplink => Role::Uplink(Uplink::start(bus, session_id).await?),
                Kind::Downlink => match Downlink::start(bus, session_id, relay).await? {
                    Some(downlink) => Role::Downlink(downlink),
                    None => Role::Idle,
                },
                Kind::Idle => Role::Idle,
            };
        }
        let step = tokio::select! {
            () = relay.released.cancelled() => Step::Released,
            () = relay.changed.notified() => Step::Changed,
            _ = tick.tick() => Step::Tick,
            step = role.next() => step,
        };
        match (&mut role, step) {
            (_, Step::Released) => {
                role.end(bus, session_id, relay).await;
                return Ok(());
            }
            (_, Step::Changed) => {}
            (Role::Uplink(uplink), Step::Tick) => uplink.lapse(relay),
            (Role::Downlink(downlink), Step::Tick) => downlink.hello(bus, session_id).await?,
            (Role::Uplink(uplink), Step::Up(Some(message))) => uplink.heard(relay, &message),
            (Role::Uplink(uplink), Step::End(Some(message))) => {
                uplink.end_requested(bus, relay, message).await;
            }
            (Role::Uplink(uplink), Step::Proxy) => uplink.pass_on(bus, session_id).await?,
            (Role::Downlink(downlink), Step::Down(Some(message))) => {
                downlink.heard(bus, session_id, relay, &message).await?;
            }
            (Role::Downlink(downlink), Step::Notes) => downlink.tell(bus, session_id).await?,
            // A subscription ended (the client closes only at shutdown): start over.
            (_, Step::Up(None) | Step::End(None) | Step::Down(None)) => {
                role.end(bus, session_id, relay).await;
                role = Role::Idle;
                tokio::time::sleep(HELLO_INTERVAL).await;
            }
            _ => {}
        }
    }
}

impl Role {
    fn kind(&self) -> Kind {
        match self {
            Role::Idle => Kind::Idle,
            Role::Uplink(_) => Kind::Uplink,
            Role::Downlink(_) => Kind::Downlink,
        }
    }

    async fn next(&mut self) -> Step {
        match self {
            Role::Idle => std::future::pending().await,
            Role::Uplink(uplink) => {
                let proxy = uplink.proxy.clone();
                let proxy_woke = async {
                    match &proxy {
                        Some(proxy) => proxy.wake.notified().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    message = uplink.up.next() => Step::Up(message),
                    message = uplink.end.next() => Step::End(message),
                    () = proxy_woke => Step::Proxy,
                }
            }
            Role::Downlink(downlink) => {
                let link = downlink.link.clone();
                tokio::select! {
                    message = downlink.down.next() => Step::Down(message),
                    () = link.wake.notified() => Step::Notes,
                }
            }
        }
    }

    async fn end(&mut self, bus: &MediaBus, session_id: Uuid, relay: &Relay) {
        match std::mem::replace(self, Role::Idle) {
            Role::Idle => {}
            Role::Uplink(uplink) => {
                if let Some(proxy) = uplink.proxy {
                    relay.detach_viewer(&proxy);
                }
            }
            Role::Downlink(downlink) => {
                relay.detach_sender(&downlink.link);
                let bye = Up::Bye { node: bus.node };
                if let Err(err) = bus.send(session_id, "up", &bye).await {
                    tracing::debug!(error = %err, "saying goodbye to the sender's node");
                }
            }
        }
    }
}
