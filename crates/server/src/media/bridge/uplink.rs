//! The sender's node: one proxy viewer stands for every other node's viewers.

use std::collections::HashMap;
use std::sync::Arc;

use async_nats::{HeaderMap, Message, Subscriber};
use axum::body::Bytes;
use lifeline_protocol::{StopReason, VideoCodec};
use tokio::time::Instant;
use uuid::Uuid;

use super::{
    BridgeError, Down, EndReply, EndRequest, MediaBus, Up, PIECE_BYTES, PIECE_HEADER, VIEWERS_LAPSE,
};
use crate::media::relay::{Relay, ViewerLink};

/// Viewers on one other node.
struct RemoteViewers {
    count: u32,
    codecs: Vec<VideoCodec>,
    heard_at: Instant,
}

/// The sender's node: a proxy viewer for every other node's viewers.
pub(super) struct Uplink {
    pub(super) up: Subscriber,
    pub(super) end: Subscriber,
    remote: HashMap<Uuid, RemoteViewers>,
    pub(super) proxy: Option<Arc<ViewerLink>>,
    /// Chunks sent, so a downlink can tell when the bus lost one.
    chunks_sent: u64,
}

impl Uplink {
    pub(super) async fn start(bus: &MediaBus, session_id: Uuid) -> Result<Self, BridgeError> {
        let up = bus.client.subscribe(bus.subject(session_id, "up")).await?;
        let end = bus.client.subscribe(bus.subject(session_id, "end")).await?;
        bus.send(session_id, "down", &Down::Who).await?;
        Ok(Self {
            up,
            end,
            remote: HashMap::new(),
            proxy: None,
            chunks_sent: 0,
        })
    }

    pub(super) fn heard(&mut self, relay: &Relay, message: &Message) {
        let Ok(up) = serde_json::from_slice::<Up>(&message.payload) else {
            return;
        };
        match up {
            Up::Hello {
                node,
                viewers,
                codecs,
            } => {
                let before = self.remote.get(&node).map(|r| r.codecs.clone());
                if viewers == 0 {
                    self.remote.remove(&node);
                } else {
                    self.remote.insert(
                        node,
                        RemoteViewers {
                            count: viewers,
                            codecs: codecs.clone(),
                            heard_at: Instant::now(),
                        },
                    );
                }
                // A new node needs the stream and a keyframe: attaching anew gives both.
                let reattach = before.as_ref() != Some(&codecs) || viewers == 0;
                self.fit_proxy(relay, reattach);
            }
            Up::Bye { node } => {
                if self.remote.remove(&node).is_some() {
                    self.fit_proxy(relay, true);
                }
            }
            Up::Ack(seq) => relay.viewer_acked(seq),
            Up::KeyframeNeeded => {
                if let Some(proxy) = &self.proxy {
                    relay.keyframe_requested(proxy);
                }
            }
            Up::Input(event) => {
                relay.input(event);
            }
            Up::SelectDisplay(display_id) => {
                relay.select_display(&display_id);
            }
            Up::Stop {
                stream_id,
                by,
                reason,
            } => {
                relay.stop_if(Some(stream_id), by, reason);
            }
        }
    }

    /// Forgets nodes not heard of lately.
    pub(super) fn lapse(&mut self, relay: &Relay) {
        let before = self.remote.len();
        self.remote
            .retain(|_, viewers| viewers.heard_at.elapsed() < VIEWERS_LAPSE);
        if self.remote.len() != before {
            self.fit_proxy(relay, true);
        }
    }

    /// One proxy for all remote viewers, decoding what all of them decode.
    fn fit_proxy(&mut self, relay: &Relay, reattach: bool) {
        let count = self
            .remote
            .values()
            .map(|r| r.count)
            .fold(0u32, u32::saturating_add);
        if count == 0 || reattach {
            if let Some(proxy) = self.proxy.take() {
                relay.detach_viewer(&proxy);
            }
        }
        if count == 0 {
            return;
        }
        match &self.proxy {
            Some(proxy) => relay.recount_remote_viewers(proxy, count),
            None => {
                let codecs: Vec<VideoCodec> = VideoCodec::ALL
                    .into_iter()
                    .filter(|codec| {
                        self.remote
                            .values()
                            .all(|r| r.codecs.is_empty() || r.codecs.contains(codec))
                    })
                    .collect();
                self.proxy = relay.attach_remote_viewers(codecs, count);
            }
        }
    }

    /// Sends on what reached the proxy, in the order a viewer's socket would.
    pub(super) async fn pass_on(
        &mut self,
        bus: &MediaBus,
        session_id: Uuid,
    ) -> Result<(), BridgeError> {
        let Some(proxy) = self.proxy.clone() else {
            return Ok(());
        };
        let (stream, stopped, clipboard, displays, blocked, chunks) = {
            let mut inbox = proxy.inbox();
            let taken = (
                inbox.stream.take(),
                inbox.stopped.take(),
                inbox.clipboard.take(),
                inbox.displays.take(),
                inbox.blocked.take(),
            );
            let mut chunks = Vec::new();
            while let Some(chunk) = inbox.pop() {
                chunks.push(chunk);
            }
            (taken.0, taken.1, taken.2, taken.3, taken.4, chunks)
        };
        if let Some(block) = blocked {
            bus.send(session_id, "down", &Down::Blocked(block)).await?;
        }
        if let Some(displays) = displays {
            bus.send(session_id, "down", &Down::Displays(displays))
                .await?;
        }
        if let Some(text) = clipboard {
            bus.send(session_id, "down", &Down::Clipboard(text)).await?;
        }
        if let Some(stopped) = stopped {
            let down = Down::Stopped {
                stream_id: stopped.stream_id,
                by: stopped.by,
                reason: stopped.reason,
            };
            bus.send(session_id, "down", &down).await?;
        }
        if let Some(stream) = stream {
            bus.send(session_id, "down", &Down::Stream(stream)).await?;
        }
        for chunk in chunks {
            self.chunks_sent += 1;
            let pieces: Vec<&[u8]> = chunk.frame.chunks(PIECE_BYTES).collect();
            for (index, piece) in pieces.iter().enumerate() {
                let mut headers = HeaderMap::new();
                let label = format!("{}/{index}/{}", self.chunks_sent, pieces.len());
                headers.insert(PIECE_HEADER, label.as_str());
                bus.client
                    .publish_with_headers(
                        bus.subject(session_id, "down"),
                        headers,
                        Bytes::copy_from_slice(piece),
                    )
                    .await?;
            }
        }
        Ok(())
    }

    /// The session ends on another node: stop the stream here and say what stopped.
    pub(super) async fn end_requested(&mut self, bus: &MediaBus, relay: &Relay, message: Message) {
        let Ok(EndRequest { by }) = serde_json::from_slice(&message.payload) else {
            return;
        };
        let stopped = relay
            .stop(by, StopReason::SessionEnded)
            .map(|s| (s.stream_id, s.by, s.reason));
        let Some(reply_to) = message.reply else {
            return;
        };
        if let Ok(payload) = serde_json::to_vec(&EndReply { stopped }) {
            let _ = bus.client.publish(reply_to, payload.into()).await;
        }
    }
}
