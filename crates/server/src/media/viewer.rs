//! A viewer's end of the media socket: announcements, chunks while few are
//! unacknowledged, and what the viewer sends back (acknowledgements, keyframe requests,
//! input, a display pick, Stop).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use lifeline_protocol::{MediaClientFrame, MediaServerFrame, Party, StopReason};
use tokio::time::Instant;

use super::relay::{Relay, ViewerLink};
use super::socket::{
    close_gracefully, report_due, send, send_error, stop_on_request, SocketError, PING_INTERVAL,
};
use crate::error::AppError;
use crate::realtime::closing::{self, CloseReason};
use crate::realtime::{Live, SignInEnded};
use crate::state::AppState;
use crate::store::SessionRecord;

/// Chunks a viewer may have unacknowledged; the rest wait in its bounded queue.
const VIEWER_IN_FLIGHT: usize = 4;
/// A viewer that acknowledges nothing for this long while chunks wait is closed.
const VIEWER_STALL: Duration = Duration::from_secs(10);

/// The technician's sign-in a viewer's socket belongs to: it closes when the sign-in
/// ends and when its access token expires without a renewal.
#[derive(Debug, Clone, Copy)]
pub(super) struct ViewerSignIn {
    pub technician_id: uuid::Uuid,
    pub family_id: uuid::Uuid,
    /// Unix ms on the service's clock.
    pub expires_at: i64,
}

pub(super) struct Viewer<'a> {
    state: &'a AppState,
    session: &'a SessionRecord,
    relay: &'a Arc<Relay>,
    link: &'a Arc<ViewerLink>,
    socket: WebSocket,
    /// Seqs sent and not yet acknowledged, oldest first.
    unacked: VecDeque<u64>,
    /// The last time an acknowledgement came, or the queue was empty.
    last_progress: Instant,
    input: super::input::InputGate,
    /// When a rate-limited input was last reported.
    input_refused_at: Option<Instant>,
    sign_in: ViewerSignIn,
    /// The technician's channel, for the sign-in's end.
    sign_ins: tokio::sync::broadcast::Receiver<crate::realtime::Live>,
}

impl<'a> Viewer<'a> {
    pub(super) fn new(
        state: &'a AppState,
        session: &'a SessionRecord,
        relay: &'a Arc<Relay>,
        link: &'a Arc<ViewerLink>,
        socket: WebSocket,
        sign_in: ViewerSignIn,
    ) -> Self {
        Self {
            sign_ins: state.hub.subscribe_technician(sign_in.technician_id),
            sign_in,
            state,
            session,
            relay,
            link,
            socket,
            unacked: VecDeque::new(),
            last_progress: Instant::now(),
            input: super::input::InputGate::default(),
            input_refused_at: None,
        }
    }

    pub(super) async fn run(&mut self) -> Result<(), SocketError> {
        let mut ping = tokio::time::interval(PING_INTERVAL);
        ping.reset();
        let shutdown = self.state.shutdown.clone();
        loop {
            if !self.flush().await? {
                close_gracefully(&mut self.socket).await;
                return Ok(());
            }
            let stall_at = self.last_progress + VIEWER_STALL;
            let stalling = !self.unacked.is_empty();
            let token_left = self
                .sign_in
                .expires_at
                .saturating_sub(self.state.now())
                .max(0);
            let token_timer = tokio::time::sleep(Duration::from_millis(
                u64::try_from(token_left).unwrap_or(0),
            ));
            let mut closing = None;
            tokio::select! {
                incoming = self.socket.recv() => match incoming {
                    Some(Ok(Message::Text(text))) => Box::pin(self.control(&text)).await?,
                    Some(Ok(Message::Close(_))) | None => return Ok(()),
                    Some(Ok(_)) => {}
                    Some(Err(err)) if crate::socket_close::is_oversized(&err) => {
                        super::socket::close_too_large(&mut self.socket).await;
                        return Ok(());
                    }
                    Some(Err(err)) => return Err(err.into()),
                },
                () = self.link.wake.notified() => {}
                () = tokio::time::sleep_until(stall_at), if stalling => {
                    tracing::info!(session = %self.session.id, "media viewer stalled; closed");
                    let stalled = AppError::Stalled(
                        "the viewer acknowledged nothing for 10 s; reconnect to watch again",
                    );
                    send_error(&mut self.socket, &stalled).await?;
                    return Ok(());
                }
                _ = ping.tick() => {
                    self.socket.send(Message::Ping(Default::default())).await?;
                    closing = closing::sign_in_lapsed(
                        self.state,
                        self.sign_in.technician_id,
                        self.sign_in.family_id,
                    )
                    .await;
                }
                received = self.sign_ins.recv() => {
                    if let Ok(Live::SignInEnded(ended)) = received {
                        if ended.ends(self.sign_in.family_id) {
                            closing = Some(match ended {
                                SignInEnded::Disabled => CloseReason::Disabled,
                                _ => CloseReason::SignedOut,
                            });
                        }
                    }
                }
                () = token_timer => closing = Some(CloseReason::TokenExpired),
                () = shutdown.cancelled() => return Ok(()),
            }
            if let Some(reason) = closing {
                tracing::info!(?reason, session = %self.session.id, "media viewer closed by the service");
                closing::close_media(&mut self.socket, reason).await;
                return Ok(());
            }
        }
    }

    /// A fresh access token of the same technician moves the socket's end on.
    async fn renew(&mut self, token: &str) -> Result<(), SocketError> {
        match crate::auth::extract_technician_sign_in(self.state, token).await {
            Ok((technician, sign_in)) if technician.id == self.sign_in.technician_id => {
                self.sign_in.family_id = sign_in.family_id;
                self.sign_in.expires_at = sign_in.expires_at;
                Ok(())
            }
            Ok(_) | Err(_) => {
                let error = AppError::UnauthorizedBecause(
                    "that token does not renew this connection; it stays until its own expires",
                );
                send_error(&mut self.socket, &error).await
            }
        }
    }

    /// Sends announcements, then chunks while few are unacknowledged; false after the
    /// stream stopped.
    async fn flush(&mut self) -> Result<bool, SocketError> {
        let (stream, stopped, clipboard, displays, blocked) = {
            let mut inbox = self.link.inbox();
            (
                inbox.stream.take(),
                inbox.stopped.take(),
                inbox.clipboard.take(),
                inbox.displays.take(),
                inbox.blocked.take(),
            )
        };
        if let Some(block) = blocked {
            send(&mut self.socket, &MediaServerFrame::Blocked { block }).await?;
        }
        if let Some(displays) = displays {
            send(&mut self.socket, &MediaServerFrame::Displays { displays }).await?;
        }
        if let Some(text) = clipboard {
            send(&mut self.socket, &MediaServerFrame::Clipboard { text }).await?;
        }
        if let Some(stopped) = stopped {
            let frame = MediaServerFrame::Stopped {
                stream_id: stopped.stream_id,
                by: stopped.by,
                reason: stopped.reason,
            };
            send(&mut self.socket, &frame).await?;
            return Ok(false);
        }
        if let Some(stream) = stream {
            self.unacked.clear();
            self.last_progress = Instant::now();
            send(&mut self.socket, &MediaServerFrame::Stream { stream }).await?;
        }
        while self.unacked.len() < VIEWER_IN_FLIGHT {
            let Some(chunk) = self.link.inbox().pop() else {
                break;
            };
            if self.unacked.is_empty() {
                self.last_progress = Instant::now();
            }
            self.unacked.push_back(chunk.seq);
            let bytes = chunk.frame.len() as u64;
            self.socket.send(Message::Binary(chunk.frame)).await?;
            self.state
                .metrics
                .relayed(crate::metrics::Relayed::Screen, bytes);
        }
        Ok(true)
    }

    async fn control(&mut self, text: &str) -> Result<(), SocketError> {
        match serde_json::from_str::<MediaClientFrame>(text) {
            Ok(MediaClientFrame::Ack { seq }) => {
                while self.unacked.front().is_some_and(|&sent| sent <= seq) {
                    self.unacked.pop_front();
                }
                self.last_progress = Instant::now();
                self.relay.viewer_acked(seq);
                Ok(())
            }
            Ok(MediaClientFrame::KeyframeRequest) => {
                self.unacked.clear();
                self.relay.keyframe_requested(self.link);
                Ok(())
            }
            Ok(MediaClientFrame::SelectDisplay { display_id }) => {
                if self.relay.select_display(&display_id) {
                    Ok(())
                } else {
                    let error = AppError::invalid(format!(
                        "the computer does not offer a display {:?}",
                        display_id.chars().take(32).collect::<String>()
                    ));
                    send_error(&mut self.socket, &error).await
                }
            }
            Ok(MediaClientFrame::Stop) => {
                let stop = (Party::Technician, StopReason::StoppedViewing);
                stop_on_request(&mut self.socket, self.state, self.session, self.relay, stop).await
            }
            Ok(MediaClientFrame::Input { event }) => {
                let admitted = self
                    .input
                    .admit(self.state, self.session, self.relay, event)
                    .await;
                match admitted {
                    Ok(()) => Ok(()),
                    // A flood hears it once a second, not once per dropped event.
                    Err(error @ AppError::RateLimited { .. }) => {
                        if !report_due(&mut self.input_refused_at) {
                            return Ok(());
                        }
                        send_error(&mut self.socket, &error).await
                    }
                    Err(error) => send_error(&mut self.socket, &error).await,
                }
            }
            Ok(MediaClientFrame::Renew { token }) => Box::pin(self.renew(token.expose())).await,
            Ok(_) => {
                let error = AppError::invalid(
                    "a viewer sends acks, keyframe requests, input, renewals and stop",
                );
                send_error(&mut self.socket, &error).await
            }
            Err(err) => {
                let error = AppError::invalid(format!("invalid frame: {err}"));
                send_error(&mut self.socket, &error).await
            }
        }
    }
}
