//! The media socket from the client's side: a viewer that receives a session's screen
//! stream (chunks as they were encoded) and acknowledges what it has decoded, or a
//! sender that announces a stream and sends chunks. Decoding and capturing are the
//! caller's: this module moves bytes and control frames, nothing more.

use futures_util::{SinkExt, StreamExt};
use lifeline_protocol::{
    decode_chunk, encode_chunk, ApiError, ChunkHeader, MediaClientFrame, MediaRole,
    MediaServerFrame, Party, StopReason, StreamFormat, StreamInfo, VideoCodec, MEDIA_PATH,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::{ApiClient, ClientError};

/// Control frames and chunks waiting to be read by the owner, at most: a viewer that
/// does not read falls behind here, and the service drops for it, not the client.
const EVENT_BUFFER: usize = 64;

/// What the media socket delivers.
#[derive(Debug, Clone, PartialEq)]
pub enum MediaEvent {
    /// A stream is live or changed format; a keyframe follows.
    Stream(StreamInfo),
    /// One encoded picture, without its framing.
    Chunk {
        header: ChunkHeader,
        data: bytes::Bytes,
    },
    Stopped {
        stream_id: Uuid,
        by: Party,
        reason: StopReason,
    },
    /// To a sender: a viewer decoded up to here.
    Ack(u64),
    /// To a sender: send a keyframe next.
    KeyframeNeeded,
    /// To a sender: how many viewers watch, and what all of them decode.
    Viewers { count: u32, codecs: Vec<VideoCodec> },
    /// The service refused a frame or a chunk.
    Refused(ApiError),
    /// To a sender: the technician's input.
    Input(lifeline_protocol::InputEvent),
    /// To a viewer: the computer's clipboard changed.
    Clipboard(String),
    /// To a viewer: the displays the sender offers.
    Displays(Vec<lifeline_protocol::DisplayChoice>),
    /// To a sender: a viewer picked this display.
    SelectDisplay(String),
    /// To a viewer: what the sender cannot reach now (`None`: everything again).
    Blocked(Option<lifeline_protocol::ControlBlock>),
    /// The socket closed.
    Closed,
}

/// One open media socket.
pub struct MediaSocket {
    control: MediaControl,
    events: mpsc::Receiver<MediaEvent>,
    task: JoinHandle<()>,
}

/// Sends on a media socket from anywhere; cheap to clone. Sending after the socket
/// closed fails with a [`ClientError::WebSocket`].
#[derive(Clone)]
pub struct MediaControl {
    outgoing: mpsc::UnboundedSender<Message>,
}

impl Drop for MediaSocket {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(crate) fn websocket_url(api: &ApiClient, path: &str) -> Result<String, ClientError> {
    let mut url = api.url(path)?;
    let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
    url.set_scheme(scheme)
        .map_err(|()| ClientError::InvalidUrl(format!("cannot use {scheme} for {url}")))?;
    Ok(url.to_string())
}

fn text(frame: &MediaClientFrame) -> Result<Message, ClientError> {
    serde_json::to_string(frame)
        .map(|text| Message::Text(text.into()))
        .map_err(|e| ClientError::Protocol(e.to_string()))
}

fn event_of(message: Message) -> Result<Option<MediaEvent>, ClientError> {
    match message {
        Message::Binary(frame) => {
            let (header, start) =
                decode_chunk(&frame).map_err(|e| ClientError::Protocol(e.to_string()))?;
            Ok(Some(MediaEvent::Chunk {
                header,
                data: frame.slice(start..),
            }))
        }
        Message::Text(text) => {
            let frame: MediaServerFrame = serde_json::from_str(text.as_str())
                .map_err(|e| ClientError::Protocol(format!("media frame: {e}")))?;
            Ok(Some(match frame {
                MediaServerFrame::Welcome { .. } => return Ok(None),
                MediaServerFrame::Stream { stream } => MediaEvent::Stream(stream),
                MediaServerFrame::Stopped {
                    stream_id,
                    by,
                    reason,
                } => MediaEvent::Stopped {
                    stream_id,
                    by,
                    reason,
                },
                MediaServerFrame::Ack { seq } => MediaEvent::Ack(seq),
                MediaServerFrame::KeyframeNeeded => MediaEvent::KeyframeNeeded,
                MediaServerFrame::Viewers { count, codecs } => {
                    MediaEvent::Viewers { count, codecs }
                }
                MediaServerFrame::Error { error } => MediaEvent::Refused(error),
                MediaServerFrame::Input { event } => MediaEvent::Input(event),
                MediaServerFrame::Clipboard { text } => MediaEvent::Clipboard(text),
                MediaServerFrame::Displays { displays } => MediaEvent::Displays(displays),
                MediaServerFrame::Blocked { block } => MediaEvent::Blocked(block),
                MediaServerFrame::SelectDisplay { display_id } => {
                    MediaEvent::SelectDisplay(display_id)
                }
            }))
        }
        Message::Close(_) => Ok(Some(MediaEvent::Closed)),
        _ => Ok(None),
    }
}

impl MediaSocket {
    /// Opens the session's media socket as `role` with `api`'s token (a technician's to
    /// view, the end user's to send) and waits for the service's welcome. A viewer names
    /// the codecs it decodes (none: all).
    pub async fn connect(
        api: &ApiClient,
        session_id: Uuid,
        role: MediaRole,
        codecs: Vec<VideoCodec>,
    ) -> Result<Self, ClientError> {
        let token = api.access_token().await?;
        let url = websocket_url(api, MEDIA_PATH)?;
        let mut socket = api.connect_websocket(url.as_str()).await?;
        let hello = MediaClientFrame::Hello {
            token,
            session_id,
            role,
            codecs,
        };
        socket
            .send(text(&hello)?)
            .await
            .map_err(|e| ClientError::WebSocket(e.to_string()))?;
        let welcome = socket
            .next()
            .await
            .ok_or_else(|| ClientError::WebSocket("closed before the welcome".into()))?
            .map_err(|e| ClientError::WebSocket(e.to_string()))?;
        if let Message::Text(text) = &welcome {
            match serde_json::from_str::<MediaServerFrame>(text.as_str()) {
                Ok(MediaServerFrame::Welcome { .. }) => {}
                Ok(MediaServerFrame::Error { error }) => {
                    return Err(ClientError::Api { status: 0, error })
                }
                _ => return Err(ClientError::Protocol(format!("not a welcome: {text}"))),
            }
        } else {
            return Err(ClientError::Protocol("not a welcome".into()));
        }
        let (outgoing, mut outgoing_rx) = mpsc::unbounded_channel::<Message>();
        let (events_tx, events) = mpsc::channel(EVENT_BUFFER);
        // A viewer's socket lasts as long as the technician's access token: each fresh
        // one goes over the socket, as on the realtime connection.
        let mut token_updates = api.token_updates();
        token_updates.mark_unchanged();
        let mut renews = role == MediaRole::Viewer;
        let task = tokio::spawn(async move {
            let (mut write, mut read) = socket.split();
            loop {
                tokio::select! {
                    changed = token_updates.changed(), if renews => {
                        if changed.is_err() {
                            // The client is gone; the socket ends with its token.
                            renews = false;
                            continue;
                        }
                        let fresh = token_updates.borrow_and_update().clone();
                        if let Some(pair) = fresh {
                            let renew = MediaClientFrame::Renew { token: pair.access_token };
                            if let Ok(message) = text(&renew) {
                                if write.send(message).await.is_err() {
                                    let _ = events_tx.send(MediaEvent::Closed).await;
                                    return;
                                }
                            }
                        }
                    }
                    message = outgoing_rx.recv() => match message {
                        Some(message) => {
                            let closing = matches!(message, Message::Close(_));
                            if write.send(message).await.is_err() || closing {
                                let _ = events_tx.send(MediaEvent::Closed).await;
                                return;
                            }
                        }
                        None => {
                            let _ = write.send(Message::Close(None)).await;
                            return;
                        }
                    },
                    incoming = read.next() => {
                        let event = match incoming {
                            Some(Ok(message)) => match event_of(message) {
                                Ok(Some(event)) => event,
                                Ok(None) => continue,
                                Err(err) => {
                                    tracing::debug!(error = %err, "unreadable media frame");
                                    continue;
                                }
                            },
                            Some(Err(_)) | None => MediaEvent::Closed,
                        };
                        let closed = event == MediaEvent::Closed;
                        if events_tx.send(event).await.is_err() || closed {
                            return;
                        }
                    }
                }
            }
        });
        Ok(Self {
            control: MediaControl { outgoing },
            events,
            task,
        })
    }

    /// The next event; `None` once the socket is closed and everything was read.
    pub async fn next(&mut self) -> Option<MediaEvent> {
        self.events.recv().await
    }

    /// A handle to send on this socket from elsewhere.
    pub fn control(&self) -> MediaControl {
        self.control.clone()
    }

    /// Closes the socket; events already received can still be read.
    pub fn close(&self) {
        let _ = self.control.outgoing.send(Message::Close(None));
    }
}

impl std::ops::Deref for MediaSocket {
    type Target = MediaControl;
    fn deref(&self) -> &MediaControl {
        &self.control
    }
}

impl MediaControl {
    /// Closes the socket this control sends on.
    pub fn stop_socket(&self) -> Result<(), ClientError> {
        self.outgoing
            .send(Message::Close(None))
            .map_err(|_| ClientError::WebSocket("the media socket is closed".into()))
    }

    /// Whether both send on the same socket.
    pub fn same_socket(&self, other: &MediaControl) -> bool {
        self.outgoing.same_channel(&other.outgoing)
    }

    fn send_frame(&self, frame: &MediaClientFrame) -> Result<(), ClientError> {
        self.outgoing
            .send(text(frame)?)
            .map_err(|_| ClientError::WebSocket("the media socket is closed".into()))
    }

    /// Viewer: everything up to `seq` was decoded and drawn.
    pub fn ack(&self, seq: u64) -> Result<(), ClientError> {
        self.send_frame(&MediaClientFrame::Ack { seq })
    }

    /// Viewer: the decoder needs a keyframe.
    pub fn request_keyframe(&self) -> Result<(), ClientError> {
        self.send_frame(&MediaClientFrame::KeyframeRequest)
    }

    /// Viewer: the technician's pointer or keyboard (refused unless control was allowed).
    pub fn send_input(&self, event: lifeline_protocol::InputEvent) -> Result<(), ClientError> {
        self.send_frame(&MediaClientFrame::Input { event })
    }

    /// Sender: the computer's clipboard changed (passed on only while control is allowed).
    pub fn send_clipboard(&self, text: &str) -> Result<(), ClientError> {
        self.send_frame(&MediaClientFrame::Clipboard {
            text: text.to_owned(),
        })
    }

    /// Sender: the displays the technician may pick from.
    pub fn send_displays(
        &self,
        displays: Vec<lifeline_protocol::DisplayChoice>,
    ) -> Result<(), ClientError> {
        self.send_frame(&MediaClientFrame::Displays { displays })
    }

    /// Sender: what it cannot reach now (`None`: everything again).
    pub fn send_blocked(
        &self,
        block: Option<lifeline_protocol::ControlBlock>,
    ) -> Result<(), ClientError> {
        self.send_frame(&MediaClientFrame::Blocked { block })
    }

    /// Viewer: show this display instead.
    pub fn select_display(&self, display_id: &str) -> Result<(), ClientError> {
        self.send_frame(&MediaClientFrame::SelectDisplay {
            display_id: display_id.to_owned(),
        })
    }

    /// Either end: stop the stream.
    pub fn stop(&self) -> Result<(), ClientError> {
        self.send_frame(&MediaClientFrame::Stop)
    }

    /// Sender: a stream starts or changes format.
    pub fn start(&self, format: StreamFormat) -> Result<(), ClientError> {
        self.send_frame(&MediaClientFrame::Start { format })
    }

    /// Sender: one encoded picture.
    pub fn send_chunk(&self, header: &ChunkHeader, payload: &[u8]) -> Result<(), ClientError> {
        self.send_raw(encode_chunk(header, payload))
    }

    /// Sends bytes as a binary frame as they are, framed or not: for tests of what the
    /// service does with malformed chunks.
    pub fn send_raw(&self, frame: Vec<u8>) -> Result<(), ClientError> {
        self.outgoing
            .send(Message::Binary(frame.into()))
            .map_err(|_| ClientError::WebSocket("the media socket is closed".into()))
    }
}

impl ApiClient {
    /// The end user's side allowed a screen view but cannot share: both sides see why.
    pub async fn report_share_failed(
        &self,
        session_id: Uuid,
        reason: lifeline_protocol::ShareFailure,
    ) -> Result<lifeline_protocol::SessionEvent, ClientError> {
        let path = format!("/api/v1/sessions/{session_id}/screen-share/failed");
        self.post_json(&path, &lifeline_protocol::ShareFailed { reason })
            .await
    }
}
