//! The media socket: `hello`, then the sender's loop (here) or a viewer's
//! (`viewer.rs`). Chunks arrive and leave as binary frames exactly as the sender framed
//! them.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use lifeline_protocol::{
    decode_chunk, ChunkError, MediaClientFrame, MediaRole, MediaServerFrame, Party, StopReason,
    MAX_MEDIA_CHUNK_BYTES, MEDIA_PATH,
};
use tokio::time::Instant;

use super::relay::{Chunk, Refused, Relay, SenderLink};
use super::{start_stream, stop_stream};
use crate::auth::tokens::{ATTENDED_PREFIX, END_USER_PREFIX};
use crate::error::AppError;
use crate::realtime::origin;
use crate::state::AppState;
use crate::store::SessionRecord;

const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
pub(super) const PING_INTERVAL: Duration = Duration::from_secs(25);
/// Frames larger than a chunk may be are read only to be refused with a typed error;
/// past twice that the socket itself gives up.
const MAX_MESSAGE_BYTES: usize = 2 * MAX_MEDIA_CHUNK_BYTES;
/// Refusals of a flooding sender are reported at most this often.
const REFUSAL_REPORT_INTERVAL: Duration = Duration::from_secs(1);
/// Start and stop frames a sender may send a second; each may cost a database query.
const CONTROL_FRAMES_PER_SEC: u32 = 10;

pub fn router() -> Router<AppState> {
    Router::new().route(MEDIA_PATH, get(upgrade))
}

async fn upgrade(
    State(state): State<AppState>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Some(refused) = origin::refuse_foreign(&state.config, &headers) {
        return refused;
    }
    ws.max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| async move {
            if let Err(err) = serve(state, socket).await {
                tracing::debug!(error = %err, "media connection closed");
            }
        })
}

#[derive(Debug, thiserror::Error)]
pub(super) enum SocketError {
    #[error("socket: {0}")]
    Socket(#[from] axum::Error),
    #[error("encoding a frame: {0}")]
    Encode(#[from] serde_json::Error),
}

pub(super) async fn send(
    socket: &mut WebSocket,
    frame: &MediaServerFrame,
) -> Result<(), SocketError> {
    let text = serde_json::to_string(frame)?;
    socket.send(Message::Text(text.into())).await?;
    Ok(())
}

pub(super) async fn send_error(
    socket: &mut WebSocket,
    error: &AppError,
) -> Result<(), SocketError> {
    let frame = MediaServerFrame::Error {
        error: error.to_api_error(),
    };
    send(socket, &frame).await
}

/// A message over [`MAX_MESSAGE_BYTES`]: the typed error, then Close 1009.
pub(super) async fn close_too_large(socket: &mut WebSocket) {
    let frame = MediaServerFrame::Error {
        error: crate::socket_close::too_large(MAX_MESSAGE_BYTES).to_api_error(),
    };
    if let Ok(text) = serde_json::to_string(&frame) {
        crate::socket_close::close_too_large(socket, text).await;
    }
}

/// Sends the error and closes: the connection cannot go on.
async fn close_with(mut socket: WebSocket, error: AppError) -> Result<(), SocketError> {
    send_error(&mut socket, &error).await?;
    let close = CloseFrame {
        code: 4400,
        reason: "refused".into(),
    };
    socket.send(Message::Close(Some(close))).await?;
    Ok(())
}

/// Whether a repeated refusal is to be reported now (at most once per
/// [`REFUSAL_REPORT_INTERVAL`]); notes the report when it is.
pub(super) fn report_due(last: &mut Option<Instant>) -> bool {
    let now = Instant::now();
    if last.is_some_and(|at| now.duration_since(at) < REFUSAL_REPORT_INTERVAL) {
        return false;
    }
    *last = Some(now);
    true
}

/// Closes with the WebSocket handshake: a Close frame, then what the client still had
/// in flight is read and dropped until its Close (for at most a second). Dropping the
/// connection with unread input would reset it, and a reset can throw away the last
/// frames sent, such as the `stopped` a viewer must see.
pub(super) async fn close_gracefully(socket: &mut WebSocket) {
    if socket.send(Message::Close(None)).await.is_err() {
        return;
    }
    let drain = async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
}

/// Either end asked to stop: the stream stops and the stop is recorded; a failure to
/// record it is told to the asking end.
pub(super) async fn stop_on_request(
    socket: &mut WebSocket,
    state: &AppState,
    session: &SessionRecord,
    relay: &Relay,
    (by, reason): (Party, StopReason),
) -> Result<(), SocketError> {
    match stop_stream(state, session, relay, by, reason).await {
        Ok(()) => Ok(()),
        Err(err) => send_error(socket, &err).await,
    }
}

/// Who sends a session's screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SenderKind {
    /// The end user's browser, or the support-session app of an ad-hoc connection.
    EndUser,
    /// The attended app a keyed session's end user downloaded: it takes over from the
    /// browser, and sends only as the app.
    AttendedApp,
}

/// The session this hello may open, for the role it asks for.
async fn authorize(
    state: &AppState,
    token: &str,
    session_id: uuid::Uuid,
    role: MediaRole,
) -> Result<
    (
        SessionRecord,
        Option<SenderKind>,
        Option<super::viewer::ViewerSignIn>,
    ),
    AppError,
> {
    let mut sign_in = None;
    let (session, kind) = match role {
        MediaRole::Sender if token.starts_with(END_USER_PREFIX) => {
            let session = crate::auth::extract_session_for_end_user(state, token).await?;
            (session, Some(SenderKind::EndUser))
        }
        MediaRole::Sender if token.starts_with(ATTENDED_PREFIX) => {
            let record = crate::auth::extract_attended(state, token).await?;
            (record.session, Some(SenderKind::AttendedApp))
        }
        MediaRole::Sender => {
            return Err(AppError::Forbidden(
                "only the end user's side sends its screen".into(),
            ))
        }
        MediaRole::Viewer => {
            let (technician, token) = crate::auth::extract_technician_sign_in(state, token).await?;
            let session = crate::sessions::owned_session(state, &technician, session_id).await?;
            sign_in = Some(super::viewer::ViewerSignIn {
                technician_id: technician.id,
                family_id: token.family_id,
                expires_at: token.expires_at,
            });
            (session, None)
        }
    };
    if session.id != session_id {
        return Err(AppError::NotFound("session"));
    }
    crate::sessions::ensure_open(&session, state.now())?;
    Ok((session, kind, sign_in))
}

/// The attended app takes the sender's place from the browser: the browser's stream
/// stops as handed over (the consent stands), and the app attaches once it is gone, to
/// the relay the hub holds then (the old one may be released in between).
async fn take_over_from_browser(
    state: &AppState,
    session: &SessionRecord,
    relay: &Relay,
) -> Option<(Arc<Relay>, Arc<SenderLink>)> {
    // The browser may have attached a moment ago and not yet announced its stream
    // (the page starts its encoder after the socket opens): give it that moment.
    let mut live = relay.stream();
    for _ in 0..100 {
        if live.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        live = relay.stream();
    }
    let live = live?;
    if live.format.source != lifeline_protocol::MediaSource::Browser {
        return None;
    }
    let handover = (Party::EndUser, StopReason::HandedToApp);
    if let Err(err) = stop_stream(state, session, relay, handover.0, handover.1).await {
        tracing::warn!(error = %err, "handing the screen over to the app");
        return None;
    }
    // The browser's socket detaches as soon as it has heard the stop.
    for _ in 0..60 {
        if let Some(attached) = state.media.attach_sender(session.id) {
            return Some(attached);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

async fn serve(state: AppState, mut socket: WebSocket) -> Result<(), SocketError> {
    let _open = state
        .metrics
        .socket_opened(crate::metrics::SocketParty::Media);
    let hello = match tokio::time::timeout(HELLO_TIMEOUT, socket.recv()).await {
        Ok(Some(Ok(Message::Text(text)))) => serde_json::from_str::<MediaClientFrame>(&text).ok(),
        Ok(Some(Err(err))) if crate::socket_close::is_oversized(&err) => {
            close_too_large(&mut socket).await;
            return Ok(());
        }
        _ => None,
    };
    let Some(MediaClientFrame::Hello {
        token,
        session_id,
        role,
        codecs,
    }) = hello
    else {
        return close_with(socket, AppError::invalid("the first frame must be a hello")).await;
    };
    if codecs.len() > lifeline_protocol::VideoCodec::ALL.len() {
        let error = AppError::invalid("name each codec once");
        return close_with(socket, error).await;
    }
    let (session, sender_kind, viewer_sign_in) =
        match Box::pin(authorize(&state, token.expose(), session_id, role)).await {
            Ok(authorized) => authorized,
            Err(err) => return close_with(socket, err).await,
        };
    drop(token);
    let mut relay = state.media.relay(session.id);
    let mut attached = None;
    if role == MediaRole::Sender {
        attached = relay.attach_sender();
        if attached.is_none() && sender_kind == Some(SenderKind::AttendedApp) {
            if let Some((current, link)) =
                Box::pin(take_over_from_browser(&state, &session, &relay)).await
            {
                relay = current;
                attached = Some(link);
            }
        }
    }
    let result = match role {
        MediaRole::Sender => match attached {
            Some(link) => {
                send(&mut socket, &MediaServerFrame::Welcome { role }).await?;
                let mut sender = Sender {
                    state: &state,
                    session: &session,
                    relay: &relay,
                    link: &link,
                    socket,
                    refused_reported_at: None,
                    control_window: (Instant::now(), 0),
                    app: sender_kind == Some(SenderKind::AttendedApp),
                };
                let result = sender.run().await;
                relay.detach_sender(&link);
                // A sender that went away without a stop ends its stream all the same.
                if let Err(err) = stop_stream(
                    &state,
                    &session,
                    &relay,
                    Party::EndUser,
                    StopReason::ConnectionLost,
                )
                .await
                {
                    tracing::warn!(error = %err, "recording a lost screen view");
                }
                result
            }
            None => {
                let busy =
                    AppError::Conflict("this session's screen is already being shared".into());
                close_with(socket, busy).await
            }
        },
        MediaRole::Viewer => {
            let Some(sign_in) = viewer_sign_in else {
                state.media.release(session.id);
                let lost = AppError::Internal(anyhow::anyhow!("a viewer without its sign-in"));
                return close_with(socket, lost).await;
            };
            let Some(link) = relay.attach_viewer(codecs) else {
                state.media.release(session.id);
                let full = AppError::Conflict(format!(
                    "at most {} viewers may watch one screen",
                    super::relay::MAX_VIEWERS
                ));
                return close_with(socket, full).await;
            };
            send(&mut socket, &MediaServerFrame::Welcome { role }).await?;
            let mut viewer =
                super::viewer::Viewer::new(&state, &session, &relay, &link, socket, sign_in);
            let result = viewer.run().await;
            relay.detach_viewer(&link);
            result
        }
    };
    state.media.release(session.id);
    result
}

/// The computer's clipboard goes to the viewers only while control is allowed: it is
/// the end user's, and control is what they agreed to share it for.
async fn pass_clipboard(
    state: &AppState,
    session: &SessionRecord,
    relay: &Relay,
    text: &str,
) -> Result<(), AppError> {
    lifeline_protocol::check_clipboard(text).map_err(|e| AppError::invalid(e.to_string()))?;
    if relay.stream().is_none() || !state.store.control_consent_stands(session.id).await? {
        return Err(AppError::ConsentRequired(
            "the clipboard is shared only while the technician may control the screen",
        ));
    }
    relay.clipboard(text);
    Ok(())
}

struct Sender<'a> {
    state: &'a AppState,
    session: &'a SessionRecord,
    relay: &'a Arc<Relay>,
    link: &'a Arc<SenderLink>,
    socket: WebSocket,
    refused_reported_at: Option<Instant>,
    /// The current second's start, and the control frames taken in it.
    control_window: (Instant, u32),
    /// The attended app: it sends only as the app, with the screen shown by the agent.
    app: bool,
}

impl Sender<'_> {
    async fn run(&mut self) -> Result<(), SocketError> {
        let mut ping = tokio::time::interval(PING_INTERVAL);
        ping.reset();
        let shutdown = self.state.shutdown.clone();
        loop {
            tokio::select! {
                incoming = self.socket.recv() => match incoming {
                    Some(Ok(Message::Binary(frame))) => self.chunk(frame).await?,
                    Some(Ok(Message::Text(text))) => {
                        if !Box::pin(self.control(&text)).await? {
                            return Ok(());
                        }
                    }
                    Some(Ok(Message::Close(_))) | None => return Ok(()),
                    Some(Ok(_)) => {}
                    Some(Err(err)) if crate::socket_close::is_oversized(&err) => {
                        close_too_large(&mut self.socket).await;
                        return Ok(());
                    }
                    Some(Err(err)) => return Err(err.into()),
                },
                () = self.link.wake.notified() => {
                    if !self.tell_notes().await? {
                        return Ok(());
                    }
                }
                _ = ping.tick() => self.socket.send(Message::Ping(Default::default())).await?,
                () = shutdown.cancelled() => return Ok(()),
            }
        }
    }

    async fn chunk(&mut self, frame: axum::body::Bytes) -> Result<(), SocketError> {
        let header = match decode_chunk(&frame) {
            Ok((header, _)) => header,
            Err(ChunkError::TooLarge) => {
                let error = AppError::PayloadTooLarge(format!(
                    "a chunk may hold at most {MAX_MEDIA_CHUNK_BYTES} bytes"
                ));
                return self.report_refusal(error).await;
            }
            Err(err) => {
                return self
                    .report_refusal(AppError::invalid(err.to_string()))
                    .await
            }
        };
        let chunk = Chunk {
            seq: header.seq,
            key: header.key,
            frame,
        };
        match self.relay.publish(chunk) {
            Ok(()) => Ok(()),
            Err(Refused::OutOfOrder) => {
                let error =
                    AppError::Conflict("start a stream first; chunk numbers must increase".into());
                self.report_refusal(error).await
            }
            Err(Refused::Flooding) => {
                let error = AppError::RateLimited {
                    retry_after_secs: 1,
                };
                self.report_refusal(error).await
            }
        }
    }

    /// Refused chunks are dropped; the sender hears why at most once a second.
    async fn report_refusal(&mut self, error: AppError) -> Result<(), SocketError> {
        if !report_due(&mut self.refused_reported_at) {
            return Ok(());
        }
        send_error(&mut self.socket, &error).await
    }

    /// Handles a text frame; false once the stream is stopped and the socket may close.
    async fn control(&mut self, text: &str) -> Result<bool, SocketError> {
        let now = Instant::now();
        if now.duration_since(self.control_window.0) >= Duration::from_secs(1) {
            self.control_window = (now, 0);
        }
        self.control_window.1 += 1;
        if self.control_window.1 > CONTROL_FRAMES_PER_SEC {
            let error = AppError::RateLimited {
                retry_after_secs: 1,
            };
            self.report_refusal(error).await?;
            return Ok(true);
        }
        match serde_json::from_str::<MediaClientFrame>(text) {
            Ok(MediaClientFrame::Start { format })
                if self.app && format.source != lifeline_protocol::MediaSource::Agent =>
            {
                let error = AppError::invalid("the attended app sends its screen as the agent");
                send_error(&mut self.socket, &error).await?;
                Ok(true)
            }
            Ok(MediaClientFrame::Start { format }) => {
                match start_stream(self.state, self.session, self.relay, format).await {
                    Ok(stream) => tracing::debug!(stream = %stream.stream_id, "stream announced"),
                    Err(err) => send_error(&mut self.socket, &err).await?,
                }
                Ok(true)
            }
            Ok(MediaClientFrame::Displays { displays }) => {
                match lifeline_protocol::validate_displays(&displays) {
                    Ok(()) => self.relay.displays(displays),
                    Err(err) => {
                        send_error(&mut self.socket, &AppError::invalid(err.to_string())).await?;
                    }
                }
                Ok(true)
            }
            Ok(MediaClientFrame::Blocked { block }) => {
                self.relay.blocked(block);
                Ok(true)
            }
            Ok(MediaClientFrame::Clipboard { text }) => {
                if let Err(err) = pass_clipboard(self.state, self.session, self.relay, &text).await
                {
                    send_error(&mut self.socket, &err).await?;
                }
                Ok(true)
            }
            Ok(MediaClientFrame::Stop) => {
                let stop = (Party::EndUser, StopReason::StoppedSharing);
                stop_on_request(&mut self.socket, self.state, self.session, self.relay, stop)
                    .await?;
                // The relay told this sender it stopped; that note closes the loop.
                Ok(true)
            }
            Ok(_) => {
                let error = AppError::invalid("a sender sends start, stop and chunks");
                send_error(&mut self.socket, &error).await?;
                Ok(true)
            }
            Err(err) => {
                let error = AppError::invalid(format!("invalid frame: {err}"));
                send_error(&mut self.socket, &error).await?;
                Ok(true)
            }
        }
    }

    /// Passes on what the relay noted; false after the stream stopped.
    async fn tell_notes(&mut self) -> Result<bool, SocketError> {
        let notes = self.link.take_notes();
        if let Some((count, codecs)) = notes.viewers {
            send(
                &mut self.socket,
                &MediaServerFrame::Viewers { count, codecs },
            )
            .await?;
        }
        if let Some(seq) = notes.ack {
            send(&mut self.socket, &MediaServerFrame::Ack { seq }).await?;
        }
        for event in notes.input {
            send(&mut self.socket, &MediaServerFrame::Input { event }).await?;
        }
        if let Some(display_id) = notes.select_display {
            send(
                &mut self.socket,
                &MediaServerFrame::SelectDisplay { display_id },
            )
            .await?;
        }
        if notes.keyframe_needed {
            send(&mut self.socket, &MediaServerFrame::KeyframeNeeded).await?;
        }
        if let Some(stopped) = notes.stopped {
            let frame = MediaServerFrame::Stopped {
                stream_id: stopped.stream_id,
                by: stopped.by,
                reason: stopped.reason,
            };
            send(&mut self.socket, &frame).await?;
            return Ok(false);
        }
        Ok(true)
    }
}
