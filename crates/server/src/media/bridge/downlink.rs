//! A node with viewers and no sender: a stand-in sender fed from the bus.

use std::sync::Arc;

use async_nats::{Message, Subscriber};
use axum::body::Bytes;
use lifeline_protocol::VideoCodec;
use uuid::Uuid;

use super::{BridgeError, Down, MediaBus, Up, PIECE_BYTES, PIECE_HEADER};
use crate::media::relay::{Chunk, Relay, SenderLink};

/// A chunk whose pieces are arriving.
struct Assembly {
    number: u64,
    next_piece: usize,
    pieces: usize,
    bytes: Vec<u8>,
}

/// A node with viewers and no sender: a stand-in sender fed from the bus.
pub(super) struct Downlink {
    pub(super) down: Subscriber,
    pub(super) link: Arc<SenderLink>,
    /// The number of the last chunk received whole.
    last_chunk: Option<u64>,
    /// After a gap, only a keyframe may follow.
    needs_keyframe: bool,
    assembly: Option<Assembly>,
    /// What the local relay said last about its viewers.
    viewers: (u32, Vec<VideoCodec>),
}

impl Downlink {
    pub(super) async fn start(
        bus: &MediaBus,
        session_id: Uuid,
        relay: &Relay,
    ) -> Result<Option<Self>, BridgeError> {
        let Some(link) = relay.attach_remote_sender() else {
            return Ok(None);
        };
        let down = bus
            .client
            .subscribe(bus.subject(session_id, "down"))
            .await?;
        // Attaching noted the viewer count; telling it says hello.
        Ok(Some(Self {
            down,
            link,
            last_chunk: None,
            needs_keyframe: true,
            assembly: None,
            viewers: (0, Vec::new()),
        }))
    }

    pub(super) async fn hello(&self, bus: &MediaBus, session_id: Uuid) -> Result<(), BridgeError> {
        let hello = Up::Hello {
            node: bus.node,
            viewers: self.viewers.0,
            codecs: self.viewers.1.clone(),
        };
        bus.send(session_id, "up", &hello).await
    }

    /// Passes on what the local relay noted for its sender.
    pub(super) async fn tell(
        &mut self,
        bus: &MediaBus,
        session_id: Uuid,
    ) -> Result<(), BridgeError> {
        let notes = self.link.take_notes();
        if let Some(viewers) = notes.viewers {
            self.viewers = viewers;
            self.hello(bus, session_id).await?;
        }
        if let Some(seq) = notes.ack {
            bus.send(session_id, "up", &Up::Ack(seq)).await?;
        }
        for event in notes.input {
            bus.send(session_id, "up", &Up::Input(event)).await?;
        }
        if let Some(display_id) = notes.select_display {
            bus.send(session_id, "up", &Up::SelectDisplay(display_id))
                .await?;
        }
        if notes.keyframe_needed {
            bus.send(session_id, "up", &Up::KeyframeNeeded).await?;
        }
        if let Some(stopped) = notes.stopped {
            let up = Up::Stop {
                stream_id: stopped.stream_id,
                by: stopped.by,
                reason: stopped.reason,
            };
            bus.send(session_id, "up", &up).await?;
        }
        Ok(())
    }

    pub(super) async fn heard(
        &mut self,
        bus: &MediaBus,
        session_id: Uuid,
        relay: &Relay,
        message: &Message,
    ) -> Result<(), BridgeError> {
        let piece = message
            .headers
            .as_ref()
            .and_then(|headers| headers.get(PIECE_HEADER))
            .map(|value| value.as_str().to_owned());
        if let Some(label) = piece {
            return self
                .piece(bus, session_id, relay, &label, &message.payload)
                .await;
        }
        let Ok(down) = serde_json::from_slice::<Down>(&message.payload) else {
            return Ok(());
        };
        match down {
            Down::Who => self.hello(bus, session_id).await?,
            Down::Stream(stream) => {
                self.needs_keyframe = true;
                relay.announce(stream);
            }
            Down::Stopped {
                stream_id,
                by,
                reason,
            } => {
                relay.stop_if(Some(stream_id), by, reason);
            }
            Down::Clipboard(text) => relay.clipboard(&text),
            Down::Displays(displays) => relay.displays(displays),
            Down::Blocked(block) => relay.blocked(block),
        }
        Ok(())
    }

    async fn piece(
        &mut self,
        bus: &MediaBus,
        session_id: Uuid,
        relay: &Relay,
        label: &str,
        payload: &[u8],
    ) -> Result<(), BridgeError> {
        let mut fields = label.split('/').map(str::parse::<u64>);
        let (Some(Ok(number)), Some(Ok(index)), Some(Ok(pieces))) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Ok(());
        };
        let (index, pieces) = (index as usize, pieces as usize);
        if index == 0 {
            if self.assembly.is_some() || self.last_chunk.is_some_and(|last| number != last + 1) {
                self.gap(bus, session_id).await?;
            }
            self.assembly = Some(Assembly {
                number,
                next_piece: 0,
                pieces,
                bytes: Vec::with_capacity(pieces * PIECE_BYTES),
            });
        }
        let Some(assembly) = self.assembly.as_mut() else {
            return Ok(());
        };
        if assembly.number != number || assembly.next_piece != index || assembly.pieces != pieces {
            self.assembly = None;
            return self.gap(bus, session_id).await;
        }
        assembly.bytes.extend_from_slice(payload);
        assembly.next_piece += 1;
        if assembly.next_piece < assembly.pieces {
            return Ok(());
        }
        let Some(whole) = self.assembly.take() else {
            return Ok(());
        };
        self.last_chunk = Some(whole.number);
        let Ok((header, _)) = lifeline_protocol::decode_chunk(&whole.bytes) else {
            return Ok(());
        };
        if self.needs_keyframe && !header.key {
            return Ok(());
        }
        self.needs_keyframe = false;
        // Refusals here (no stream yet, viewers too far behind) drop the chunk; the
        // local relay asks for a keyframe where one is needed.
        let _ = relay.publish(Chunk {
            seq: header.seq,
            key: header.key,
            frame: Bytes::from(whole.bytes),
        });
        Ok(())
    }

    /// The bus lost part of the stream: wait for a keyframe, and ask for one.
    async fn gap(&mut self, bus: &MediaBus, session_id: Uuid) -> Result<(), BridgeError> {
        if !self.needs_keyframe {
            self.needs_keyframe = true;
            bus.send(session_id, "up", &Up::KeyframeNeeded).await?;
        }
        Ok(())
    }
}
