//! One session's screen stream in memory: the sender's link, each viewer's bounded
//! queue, and the rules that keep both in step. Chunks pass through and are never
//! stored; everything here is bounded, so a slow or hostile peer costs a fixed amount.
//!
//! - A viewer gets at most [`VIEWER_QUEUE_CHUNKS`] chunks or [`VIEWER_QUEUE_BYTES`]
//!   queued. Past that its queue is emptied and it waits for the next keyframe, which
//!   the sender is asked for: whole groups of pictures are dropped, never a single
//!   delta frame, so a viewer never decodes a broken picture.
//! - The sender hears the newest chunk any viewer has decoded, and keeps few chunks
//!   beyond it in flight. One that runs more than [`SENDER_IN_FLIGHT_LIMIT`] ahead, or
//!   past [`SENDER_BYTES_PER_SEC`], has its chunks refused.
//! - With no viewer the relay acknowledges chunks itself and drops them.
//!
//! In a cluster a link may stand for another node (see `bridge.rs`): a remote sender
//! on a node whose viewers watch a sender elsewhere, a proxy viewer on the sender's
//! node for the viewers elsewhere. Remote links keep no relay alive, and a real sender
//! takes a remote sender's place.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};

use axum::body::Bytes;
use lifeline_protocol::{ControlBlock, DisplayChoice, Party, StopReason, StreamInfo, VideoCodec};
use tokio::sync::Notify;
use tokio::time::Instant;
use uuid::Uuid;

/// Chunks queued for one viewer at most: a few frames at 30 fps.
pub const VIEWER_QUEUE_CHUNKS: usize = 8;
/// Bytes queued for one viewer at most: room for two large keyframes.
pub const VIEWER_QUEUE_BYTES: usize = 4 * 1024 * 1024;
/// Chunks a sender may have beyond the newest decoded one. A well-behaved sender keeps
/// two or three.
pub const SENDER_IN_FLIGHT_LIMIT: u64 = 16;
/// Viewers of one session's screen at once: a technician's app has one, a few more
/// windows are fine; each holds a queue, so there is a ceiling.
pub const MAX_VIEWERS: usize = 8;
/// Sustained bytes a second a sender may send: 64 Mbit/s, far above a screen's needs.
pub const SENDER_BYTES_PER_SEC: u64 = 8 * 1024 * 1024;
/// Input events waiting for the sender's socket, at most; more are refused.
pub const SENDER_INPUT_QUEUE: usize = 256;

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One encoded picture as the sender framed it (header and payload), passed on as is.
#[derive(Clone)]
pub struct Chunk {
    pub seq: u64,
    pub key: bool,
    pub frame: Bytes,
}

/// Why the relay refused a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// No stream was started, or the chunk's `seq` does not follow the last one.
    OutOfOrder,
    /// The sender is too far ahead of its viewers, or over its byte rate.
    Flooding,
}

/// What the sender's task should tell its client; the newest of each kind wins.
#[derive(Debug, Default, PartialEq)]
pub struct SenderNotes {
    pub ack: Option<u64>,
    pub keyframe_needed: bool,
    pub viewers: Option<(u32, Vec<VideoCodec>)>,
    pub stopped: Option<Stopped>,
    /// The technician's input, in order; at most [`SENDER_INPUT_QUEUE`].
    pub input: std::collections::VecDeque<lifeline_protocol::InputEvent>,
    /// The display a viewer picked last.
    pub select_display: Option<String>,
}

/// A stream's end, as both ends hear it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    pub stream_id: Uuid,
    pub by: Party,
    pub reason: StopReason,
}

/// What a viewer's task should send next.
#[derive(Default)]
pub struct ViewerInbox {
    /// A stream to announce (a start or a format change).
    pub stream: Option<StreamInfo>,
    pub stopped: Option<Stopped>,
    pub chunks: VecDeque<Chunk>,
    queued_bytes: usize,
    /// Set when chunks were dropped: nothing but a keyframe may follow.
    waiting_for_keyframe: bool,
    /// Chunks dropped for this viewer, for the log.
    pub dropped: u64,
    /// The computer's clipboard to pass on; the newest wins.
    pub clipboard: Option<String>,
    /// The sender's displays to pass on; the newest list wins.
    pub displays: Option<Vec<DisplayChoice>>,
    /// What the sender cannot reach, to pass on; the newest wins.
    pub blocked: Option<Option<ControlBlock>>,
}

impl ViewerInbox {
    /// Queues a chunk, or drops it; true when a keyframe is needed from the sender.
    fn push(&mut self, chunk: &Chunk) -> bool {
        if self.waiting_for_keyframe && !chunk.key {
            self.dropped += 1;
            return false;
        }
        let over = self.chunks.len() + 1 > VIEWER_QUEUE_CHUNKS
            || self.queued_bytes + chunk.frame.len() > VIEWER_QUEUE_BYTES;
        if over {
            // Drop the whole group queued so far; the picture resumes at a keyframe.
            self.dropped += self.chunks.len() as u64;
            self.chunks.clear();
            self.queued_bytes = 0;
            if !chunk.key {
                self.dropped += 1;
                self.waiting_for_keyframe = true;
                return true;
            }
        }
        self.waiting_for_keyframe = false;
        self.queued_bytes += chunk.frame.len();
        self.chunks.push_back(chunk.clone());
        false
    }

    /// The next chunk to send, if any.
    pub fn pop(&mut self) -> Option<Chunk> {
        let chunk = self.chunks.pop_front()?;
        self.queued_bytes -= chunk.frame.len();
        Some(chunk)
    }
}

/// A viewer's end of the relay.
pub struct ViewerLink {
    pub id: u64,
    /// What this viewer can decode; empty for everything.
    codecs: Vec<VideoCodec>,
    /// A proxy for viewers on other nodes.
    remote: bool,
    /// The viewers it counts as: 1, or a proxy's viewers elsewhere.
    stands_for: AtomicU32,
    pub inbox: Mutex<ViewerInbox>,
    pub wake: Notify,
}

impl ViewerLink {
    fn decodes(&self, codec: VideoCodec) -> bool {
        self.codecs.is_empty() || self.codecs.contains(&codec)
    }

    pub fn inbox(&self) -> std::sync::MutexGuard<'_, ViewerInbox> {
        lock(&self.inbox)
    }
}

/// The sender's end of the relay.
pub struct SenderLink {
    pub id: u64,
    /// A stand-in for a sender on another node.
    pub remote: bool,
    pub notes: Mutex<SenderNotes>,
    pub wake: Notify,
}

impl SenderLink {
    /// Takes what is to be told, leaving nothing.
    pub fn take_notes(&self) -> SenderNotes {
        std::mem::take(&mut *lock(&self.notes))
    }

    fn note(&self, change: impl FnOnce(&mut SenderNotes)) {
        change(&mut lock(&self.notes));
        self.wake.notify_one();
    }
}

struct Budget {
    /// Bytes the sender may still send now; refills at [`SENDER_BYTES_PER_SEC`].
    bytes: f64,
    refilled_at: Instant,
}

#[derive(Default)]
struct RelayState {
    stream: Option<StreamInfo>,
    last_seq: u64,
    /// The newest seq told to the sender as decoded (or dropped with no viewer).
    acked: u64,
    sender: Option<std::sync::Arc<SenderLink>>,
    viewers: Vec<std::sync::Arc<ViewerLink>>,
    budget: Option<Budget>,
    /// The sender was asked for a keyframe and has not sent one yet: one ask is enough.
    keyframe_asked: bool,
    /// The displays the sender offers, for viewers that attach later.
    displays: Vec<DisplayChoice>,
    /// What the sender cannot reach now, for viewers that attach later.
    blocked: Option<ControlBlock>,
}

impl RelayState {
    fn ask_keyframe(&mut self) {
        if self.keyframe_asked {
            return;
        }
        if let Some(sender) = &self.sender {
            self.keyframe_asked = true;
            sender.note(|n| n.keyframe_needed = true);
        }
    }

    fn tell_viewer_count(&self) {
        let count = self
            .viewers
            .iter()
            .map(|v| v.stands_for.load(Ordering::Relaxed))
            .fold(0u32, u32::saturating_add);
        let codecs: Vec<VideoCodec> = VideoCodec::ALL
            .into_iter()
            .filter(|codec| {
                self.viewers
                    .iter()
                    .all(|v| v.codecs.is_empty() || v.codecs.contains(codec))
            })
            .collect();
        if let Some(sender) = &self.sender {
            sender.note(|n| n.viewers = Some((count, codecs)));
        }
    }

    /// With nobody watching, everything sent counts as handled.
    fn ack_all_if_unwatched(&mut self) {
        if self.viewers.is_empty() && self.acked < self.last_seq {
            self.acked = self.last_seq;
            let seq = self.acked;
            if let Some(sender) = &self.sender {
                sender.note(|n| n.ack = Some(seq));
            }
        }
    }

    fn spend(&mut self, bytes: usize, now: Instant) -> bool {
        let cap = SENDER_BYTES_PER_SEC as f64;
        let budget = self.budget.get_or_insert(Budget {
            bytes: cap,
            refilled_at: now,
        });
        let elapsed = now.duration_since(budget.refilled_at).as_secs_f64();
        budget.bytes = (budget.bytes + elapsed * cap).min(cap);
        budget.refilled_at = now;
        if budget.bytes < bytes as f64 {
            return false;
        }
        budget.bytes -= bytes as f64;
        true
    }
}

/// One session's relay.
#[derive(Default)]
pub struct Relay {
    state: Mutex<RelayState>,
    next_link: std::sync::atomic::AtomicU64,
    /// Told when a sender or viewer attaches or detaches (the cluster's bridge listens).
    pub changed: Notify,
    /// Cancelled when the hub forgets this relay.
    pub released: tokio_util::sync::CancellationToken,
}

/// Who is attached on this node itself, remote links left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalPresence {
    pub sender: bool,
    pub viewers: usize,
}

impl Relay {
    fn next_id(&self) -> u64 {
        self.next_link
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// Attaches the sender; `None` while another sender is attached here. It takes the
    /// place of a stand-in for a sender elsewhere.
    pub fn attach_sender(&self) -> Option<std::sync::Arc<SenderLink>> {
        self.attach_sender_link(false)
    }

    /// Attaches a stand-in for a sender on another node; `None` while any is attached.
    pub fn attach_remote_sender(&self) -> Option<std::sync::Arc<SenderLink>> {
        self.attach_sender_link(true)
    }

    fn attach_sender_link(&self, remote: bool) -> Option<std::sync::Arc<SenderLink>> {
        let mut state = lock(&self.state);
        match &state.sender {
            Some(current) if remote || !current.remote => return None,
            _ => {}
        }
        let link = std::sync::Arc::new(SenderLink {
            id: self.next_id(),
            remote,
            notes: Mutex::new(SenderNotes::default()),
            wake: Notify::new(),
        });
        state.sender = Some(link.clone());
        state.keyframe_asked = false;
        state.tell_viewer_count();
        drop(state);
        self.changed.notify_one();
        Some(link)
    }

    pub fn detach_sender(&self, link: &SenderLink) {
        let mut state = lock(&self.state);
        if state.sender.as_ref().is_some_and(|s| s.id == link.id) {
            state.sender = None;
            state.budget = None;
            state.keyframe_asked = false;
            state.displays.clear();
            state.blocked = None;
        }
        drop(state);
        self.changed.notify_one();
    }

    /// Attaches a viewer that decodes `codecs` (empty: all): it hears of a live stream
    /// at once and gets its next keyframe. `None` when `MAX_VIEWERS` watch already.
    pub fn attach_viewer(&self, codecs: Vec<VideoCodec>) -> Option<std::sync::Arc<ViewerLink>> {
        self.attach_viewer_link(codecs, None)
    }

    /// Attaches a proxy for `count` viewers on other nodes that decode `codecs`.
    pub fn attach_remote_viewers(
        &self,
        codecs: Vec<VideoCodec>,
        count: u32,
    ) -> Option<std::sync::Arc<ViewerLink>> {
        self.attach_viewer_link(codecs, Some(count))
    }

    fn attach_viewer_link(
        &self,
        codecs: Vec<VideoCodec>,
        remote_count: Option<u32>,
    ) -> Option<std::sync::Arc<ViewerLink>> {
        let mut state = lock(&self.state);
        if state.viewers.len() >= MAX_VIEWERS {
            return None;
        }
        let link = std::sync::Arc::new(ViewerLink {
            id: self.next_id(),
            codecs,
            remote: remote_count.is_some(),
            stands_for: AtomicU32::new(remote_count.unwrap_or(1)),
            inbox: Mutex::new(ViewerInbox {
                stream: state.stream.clone(),
                displays: (!state.displays.is_empty()).then(|| state.displays.clone()),
                blocked: state.blocked.map(Some),
                waiting_for_keyframe: true,
                ..ViewerInbox::default()
            }),
            wake: Notify::new(),
        });
        state.viewers.push(link.clone());
        state.tell_viewer_count();
        if state.stream.is_some() {
            link.wake.notify_one();
            state.ask_keyframe();
        }
        drop(state);
        self.changed.notify_one();
        Some(link)
    }

    pub fn detach_viewer(&self, link: &ViewerLink) {
        let mut state = lock(&self.state);
        state.viewers.retain(|v| v.id != link.id);
        state.tell_viewer_count();
        state.ack_all_if_unwatched();
        drop(state);
        self.changed.notify_one();
    }

    /// A proxy's viewers elsewhere are now `count`: the sender hears the new total.
    pub fn recount_remote_viewers(&self, link: &ViewerLink, count: u32) {
        let state = lock(&self.state);
        if link.stands_for.swap(count, Ordering::Relaxed) != count {
            state.tell_viewer_count();
        }
    }

    /// Whether nobody is attached on this node, so the relay can be forgotten.
    pub fn is_idle(&self) -> bool {
        self.local_presence()
            == LocalPresence {
                sender: false,
                viewers: 0,
            }
    }

    pub fn local_presence(&self) -> LocalPresence {
        let state = lock(&self.state);
        LocalPresence {
            sender: state.sender.as_ref().is_some_and(|s| !s.remote),
            viewers: state.viewers.iter().filter(|v| !v.remote).count(),
        }
    }

    pub fn stream(&self) -> Option<StreamInfo> {
        lock(&self.state).stream.clone()
    }

    /// A stream starts or changes format: viewers hear of it and wait for a keyframe.
    pub fn announce(&self, stream: StreamInfo) {
        let mut state = lock(&self.state);
        if state.stream.as_ref().map(|s| s.stream_id) != Some(stream.stream_id) {
            state.last_seq = 0;
            state.acked = 0;
        }
        state.stream = Some(stream.clone());
        for viewer in &state.viewers {
            let mut inbox = viewer.inbox();
            inbox.stream = Some(stream.clone());
            inbox.chunks.clear();
            inbox.queued_bytes = 0;
            inbox.waiting_for_keyframe = true;
            drop(inbox);
            viewer.wake.notify_one();
        }
    }

    /// Ends the stream for both ends; `None` when none was live.
    pub fn stop(&self, by: Party, reason: StopReason) -> Option<Stopped> {
        self.stop_if(None, by, reason)
    }

    /// Ends the stream `stream_id` (or any, with `None`) for both ends.
    pub fn stop_if(
        &self,
        stream_id: Option<Uuid>,
        by: Party,
        reason: StopReason,
    ) -> Option<Stopped> {
        let mut state = lock(&self.state);
        if stream_id.is_some_and(|id| state.stream.as_ref().map(|s| s.stream_id) != Some(id)) {
            return None;
        }
        let stream = state.stream.take()?;
        let stopped = Stopped {
            stream_id: stream.stream_id,
            by,
            reason,
        };
        for viewer in &state.viewers {
            let mut inbox = viewer.inbox();
            inbox.stream = None;
            inbox.chunks.clear();
            inbox.queued_bytes = 0;
            inbox.stopped = Some(stopped);
            drop(inbox);
            viewer.wake.notify_one();
        }
        if let Some(sender) = &state.sender {
            sender.note(|n| n.stopped = Some(stopped));
        }
        Some(stopped)
    }

    /// Passes a chunk from the sender to every viewer.
    pub fn publish(&self, chunk: Chunk) -> Result<(), Refused> {
        let now = Instant::now();
        let mut state = lock(&self.state);
        if state.stream.is_none() || chunk.seq <= state.last_seq {
            return Err(Refused::OutOfOrder);
        }
        if chunk.seq - state.acked > SENDER_IN_FLIGHT_LIMIT || !state.spend(chunk.frame.len(), now)
        {
            // What viewers have may now miss a picture: they resume at a keyframe.
            for viewer in &state.viewers {
                viewer.inbox().waiting_for_keyframe = true;
            }
            state.ask_keyframe();
            return Err(Refused::Flooding);
        }
        state.last_seq = chunk.seq;
        if chunk.key {
            state.keyframe_asked = false;
        }
        let codec = state.stream.as_ref().map(|s| s.format.codec);
        let mut keyframe_needed = false;
        // A viewer never gets pictures it cannot decode; the sender switches codecs
        // when it hears what every viewer reads.
        for viewer in state
            .viewers
            .iter()
            .filter(|v| codec.is_none_or(|codec| v.decodes(codec)))
        {
            keyframe_needed |= viewer.inbox().push(&chunk);
            viewer.wake.notify_one();
        }
        if keyframe_needed {
            state.ask_keyframe();
        }
        state.ack_all_if_unwatched();
        Ok(())
    }

    /// A viewer decoded up to `seq`: the sender hears it if nobody said so already.
    /// Queues the technician's input for the sender; false when there is no sender or
    /// its queue is full.
    pub fn input(&self, event: lifeline_protocol::InputEvent) -> bool {
        let state = lock(&self.state);
        let Some(sender) = &state.sender else {
            return false;
        };
        let mut queued = true;
        sender.note(|notes| {
            if notes.input.len() < SENDER_INPUT_QUEUE {
                notes.input.push_back(event);
            } else {
                queued = false;
            }
        });
        queued
    }

    /// The computer's clipboard changed: every viewer hears the newest text.
    pub fn clipboard(&self, text: &str) {
        let state = lock(&self.state);
        for viewer in &state.viewers {
            viewer.inbox().clipboard = Some(text.to_owned());
            viewer.wake.notify_one();
        }
    }

    /// The sender's displays: every viewer hears the list, and later ones at attach.
    pub fn displays(&self, displays: Vec<DisplayChoice>) {
        let mut state = lock(&self.state);
        state.displays.clone_from(&displays);
        for viewer in &state.viewers {
            viewer.inbox().displays = Some(displays.clone());
            viewer.wake.notify_one();
        }
    }

    /// What the sender cannot reach now: every viewer hears it, and later ones at attach.
    pub fn blocked(&self, block: Option<ControlBlock>) {
        let mut state = lock(&self.state);
        state.blocked = block;
        for viewer in &state.viewers {
            viewer.inbox().blocked = Some(block);
            viewer.wake.notify_one();
        }
    }

    /// A viewer picked a display; false when the sender did not offer it.
    pub fn select_display(&self, display_id: &str) -> bool {
        let state = lock(&self.state);
        if !state.displays.iter().any(|d| d.id == display_id) {
            return false;
        }
        if let Some(sender) = &state.sender {
            sender.note(|n| n.select_display = Some(display_id.to_owned()));
        }
        true
    }

    pub fn viewer_acked(&self, seq: u64) {
        let mut state = lock(&self.state);
        if seq > state.acked && seq <= state.last_seq {
            state.acked = seq;
            if let Some(sender) = &state.sender {
                sender.note(|n| n.ack = Some(seq));
            }
        }
    }

    /// A viewer's decoder needs a keyframe.
    pub fn keyframe_requested(&self, link: &ViewerLink) {
        let mut state = lock(&self.state);
        {
            let mut inbox = link.inbox();
            inbox.chunks.clear();
            inbox.queued_bytes = 0;
            inbox.waiting_for_keyframe = true;
        }
        state.ask_keyframe();
    }
}

#[cfg(test)]
#[path = "relay_tests.rs"]
mod tests;
