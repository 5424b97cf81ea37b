//! The send loop: a tick at the paced frame rate takes a picture when fewer than two
//! are in flight, encodes it when something changed (or a keyframe is due) and sends it;
//! acknowledgements, keyframe requests and the viewers' codecs steer the next ticks.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use lifeline_client::{MediaEvent, MediaSocket};
use lifeline_protocol::{
    ChunkHeader, ControlBlock, DisplayChoice, ErrorCode, InputEvent, MediaSource, Party,
    ShareSurface, StopReason, StreamFormat, VideoCodec,
};
use tokio::sync::watch;

use crate::clipboard::SharedClipboard;
use crate::control::Injector;
use crate::screen::capture::{changed_tiles, Capturer, ChangeWatch, DisplayInfo, Picture};
use crate::screen::encode::ScreenEncoder;
use crate::screen::pace::Pace;
use crate::screen::ScreenError;

/// Pictures sent but not yet acknowledged, at most.
const MAX_IN_FLIGHT: u64 = 2;
/// A still screen still sends a picture this often, so the viewer knows it is live
/// (the viewer says *paused* after three seconds without one). Encoding a 1080p
/// picture again costs about 14 ms, most of a still screen's cost.
const STILL_EVERY: Duration = Duration::from_secs(2);
/// While nobody watches, the service acknowledges and drops: one picture a second.
const UNWATCHED_FPS: u32 = 1;
/// A still screen is looked at less often: after a second without change at 5 fps,
/// after five seconds at 1 fps (a 1080p capture costs about 12 ms). Any change, and any
/// input from the technician, brings the full rate back at once.
const STILL_STEPS: [(Duration, u32); 2] =
    [(Duration::from_secs(5), 1), (Duration::from_secs(1), 5)];
/// Where X reports drawing a still tick costs no capture, only a look at the reports:
/// after five still seconds ten a second still catch a change within 100 ms.
const PRECISE_STILL_STEPS: [(Duration, u32); 1] = [(Duration::from_secs(5), 10)];

/// How a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// Stopped here (the person at the computer, or the agent's session ending).
    StoppedHere,
    /// The service stopped it: a viewer, the technician or the session's end.
    Stopped { by: Party, reason: StopReason },
    /// The media socket closed.
    Closed,
}

/// What the capture thread owns between ticks.
struct Pipeline {
    capturer: Capturer,
    codec: VideoCodec,
    encoder: Option<ScreenEncoder>,
    previous: Option<Picture>,
    last_sent: Option<Instant>,
    /// A new encoder's format, announced with its first picture.
    unannounced: Option<StreamFormat>,
    /// Tells whether the screen may have changed, without a capture where it can.
    watch: ChangeWatch,
    /// A change the encoder skipped, still to send.
    unsent_change: bool,
}

/// What one tick produced: a new format to announce, and the picture's chunk.
struct Produced {
    /// Something on the screen changed (not only a keyframe or a sign of life).
    changed: bool,
    format: Option<StreamFormat>,
    key: bool,
    data: Vec<u8>,
}

impl Pipeline {
    /// Takes a picture when the screen may have changed; encodes it if it did, a
    /// keyframe is due, or the screen has been still for [`STILL_EVERY`] (then the last
    /// picture is encoded again, with no capture at all where X reports changes).
    fn tick(&mut self, force_key: bool, fps: u32) -> Result<Option<Produced>, ScreenError> {
        let may_have_changed =
            self.unsent_change || self.previous.is_none() || self.watch.changed().unwrap_or(true);
        let still_too_long = self.last_sent.is_none_or(|at| at.elapsed() >= STILL_EVERY);
        if !may_have_changed && !force_key && !still_too_long {
            return Ok(None);
        }
        let captured = if may_have_changed {
            Some(self.capturer.capture()?)
        } else {
            None
        };
        let changed = captured
            .as_ref()
            .is_some_and(|picture| !changed_tiles(self.previous.as_ref(), picture).is_empty());
        self.unsent_change = false;
        if !changed && !force_key && !still_too_long {
            return Ok(None);
        }
        let Some(picture) = captured.as_ref().or(self.previous.as_ref()) else {
            return Ok(None);
        };
        let same_size = self
            .previous
            .as_ref()
            .is_some_and(|p| (p.width, p.height) == (picture.width, picture.height));
        let mut key = force_key;
        if self.encoder.is_none() || !same_size {
            let encoder =
                ScreenEncoder::new(self.codec, picture.width, picture.height, fps as f32)?;
            let (width, height) = encoder.size(picture);
            self.unannounced = Some(StreamFormat {
                source: MediaSource::Agent,
                display_id: self.capturer.display.id.clone(),
                codec: self.codec,
                codec_string: encoder.codec_string().to_owned(),
                width,
                height,
                surface: ShareSurface::Monitor,
            });
            self.encoder = Some(encoder);
            key = true;
        }
        let Some(encoder) = self.encoder.as_mut() else {
            return Ok(None);
        };
        let encoded = encoder.encode(picture, key)?;
        if encoded.data.is_empty() {
            // Skipped to hold the bit rate: the change is still to send next time.
            self.unsent_change |= changed;
            return Ok(None);
        }
        if let Some(picture) = captured {
            self.previous = Some(picture);
        }
        self.last_sent = Some(Instant::now());
        Ok(Some(Produced {
            changed,
            format: self.unannounced.take(),
            key: encoded.key,
            data: encoded.data,
        }))
    }
}

/// How often, while controlled, the agent looks for what it cannot reach.
const REACH_EVERY: Duration = Duration::from_secs(1);

/// A display as the technician's picker lists it.
fn choice(display: &DisplayInfo) -> DisplayChoice {
    DisplayChoice {
        id: display
            .id
            .chars()
            .take(lifeline_protocol::MAX_MEDIA_LABEL_CHARS)
            .collect(),
        name: display
            .name
            .chars()
            .filter(|c| !c.is_control())
            .take(lifeline_protocol::MAX_MEDIA_LABEL_CHARS)
            .collect(),
        width: display.width,
        height: display.height,
        primary: display.primary,
    }
}

/// The codec to send to viewers that decode `codecs`: H.264 when they all can, else JPEG.
fn pick_codec(codecs: &[VideoCodec]) -> Result<VideoCodec, ScreenError> {
    [VideoCodec::H264, VideoCodec::Jpeg]
        .into_iter()
        .find(|codec| codecs.contains(codec))
        .ok_or(ScreenError::NoCommonCodec)
}

/// Sends display `display` (the primary one when `None`) on `socket`, a sender's media
/// socket of a session whose end user allowed it, until the service stops the stream,
/// the socket closes, or `stop` turns true. With an `injector` (the person allowed
/// control), the technician's input is applied to that display.
pub async fn send_screen(
    mut socket: MediaSocket,
    display: Option<String>,
    injector: Option<Injector>,
    mut stop: watch::Receiver<bool>,
) -> Result<StreamEnd, ScreenError> {
    let capturer = tokio::task::spawn_blocking(move || Capturer::open(display.as_deref()))
        .await
        .map_err(|err| ScreenError::Capture(err.to_string()))??;
    let mut shown = capturer.display.clone();
    // The technician's picker lists every display; one is shown at a time.
    match tokio::task::spawn_blocking(crate::screen::capture::displays).await {
        Ok(Ok(all)) => socket.send_displays(all.iter().map(choice).collect())?,
        Ok(Err(err)) => tracing::debug!(error = %err, "listing the displays"),
        Err(err) => tracing::debug!(error = %err, "listing the displays"),
    }
    let mut pipeline = Some(Pipeline {
        capturer,
        codec: VideoCodec::H264,
        encoder: None,
        previous: None,
        last_sent: None,
        unannounced: None,
        watch: ChangeWatch::open(),
        unsent_change: false,
    });
    let mut viewers: Option<u32> = None;
    let mut pace = Pace::default();
    let (mut seq, mut acked) = (0u64, 0u64);
    let mut sent_at: BTreeMap<u64, Instant> = BTreeMap::new();
    let mut force_key = true;
    let started = Instant::now();
    let mut next_tick = tokio::time::Instant::now();
    let mut last_activity = Instant::now();
    // With control, the clipboard is shared both ways.
    let mut clipboard = match injector {
        Some(_) => SharedClipboard::start()
            .map_err(|err| tracing::debug!(error = %err, "no clipboard sharing"))
            .ok(),
        None => None,
    };
    // With control, what the agent cannot reach is looked at once a second.
    let mut reach_check = tokio::time::interval(REACH_EVERY);
    let mut blocked: Option<ControlBlock> = None;
    let end = loop {
        let still_for = last_activity.elapsed();
        // A still screen is looked at less often; where X reports changes a look costs no
        // capture, so the rate goes down less.
        let precise = pipeline.as_ref().is_some_and(|p| p.watch.is_precise());
        let steps: &[(Duration, u32)] = if precise {
            &PRECISE_STILL_STEPS
        } else {
            &STILL_STEPS
        };
        let fps = match viewers {
            Some(0) => UNWATCHED_FPS,
            _ => steps
                .iter()
                .find(|(after, _)| still_for >= *after)
                .map_or(pace.frames_per_second(), |(_, fps)| {
                    (*fps).min(pace.frames_per_second())
                }),
        };
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    socket.stop()?;
                    // The service records who stopped it once it reads the stop: wait for
                    // its answer (briefly), or closing first would read as a lost connection.
                    let answered = async {
                        while let Some(event) = socket.next().await {
                            if matches!(event, MediaEvent::Stopped { .. } | MediaEvent::Closed) {
                                break;
                            }
                        }
                    };
                    let _ = tokio::time::timeout(Duration::from_secs(2), answered).await;
                    break StreamEnd::StoppedHere;
                }
            }
            () = tokio::time::sleep_until(next_tick) => {
                next_tick += Duration::from_secs_f64(1.0 / f64::from(fps));
                // Behind by more than a tick (a slow capture): start afresh from now.
                let now = tokio::time::Instant::now();
                if next_tick < now {
                    next_tick = now;
                }
                if viewers.is_none() || seq.saturating_sub(acked) >= MAX_IN_FLIGHT {
                    continue;
                }
                let Some(mut working) = pipeline.take() else { break StreamEnd::Closed };
                let key = force_key;
                let (working, produced) = tokio::task::spawn_blocking(move || {
                    let produced = working.tick(key, fps);
                    (working, produced)
                })
                .await
                .map_err(|err| ScreenError::Capture(err.to_string()))?;
                pipeline = Some(working);
                let Some(produced) = produced? else { continue };
                if produced.changed {
                    last_activity = Instant::now();
                }
                if let Some(format) = produced.format {
                    socket.start(format)?;
                }
                force_key = false;
                seq += 1;
                sent_at.insert(seq, Instant::now());
                let header = ChunkHeader {
                    seq,
                    key: produced.key,
                    timestamp_us: u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
                };
                socket.send_chunk(&header, &produced.data)?;
            }
            _ = reach_check.tick(), if injector.is_some() => {
                let now = tokio::task::spawn_blocking(crate::reach::blocked)
                    .await
                    .unwrap_or(None);
                if now != blocked {
                    blocked = now;
                    socket.send_blocked(now)?;
                }
            }
            Some(text) = async {
                match clipboard.as_mut() {
                    Some(shared) => shared.changed().await,
                    None => std::future::pending().await,
                }
            } => socket.send_clipboard(&text)?,
            event = socket.next() => match event {
                Some(MediaEvent::Ack(up_to)) if up_to > acked => {
                    // An acknowledgement past what this stream sent belongs to a stream
                    // before it (the browser's, when this app took the screen over).
                    acked = up_to.min(seq);
                    let now = Instant::now();
                    if let Some(sent) = sent_at.get(&up_to) {
                        pace.after_ack(now.duration_since(*sent), now);
                    }
                    sent_at = sent_at.split_off(&(up_to + 1));
                }
                Some(MediaEvent::KeyframeNeeded) => force_key = true,
                Some(MediaEvent::Viewers { count, codecs }) => {
                    viewers = Some(count);
                    let codec = pick_codec(&codecs)?;
                    if let Some(working) = pipeline.as_mut() {
                        if working.codec != codec {
                            working.codec = codec;
                            working.encoder = None;
                        }
                    }
                }
                Some(MediaEvent::Refused(error)) => match error.code {
                    ErrorCode::RateLimited => pace.slower(),
                    _ => {
                        tracing::debug!(code = ?error.code, "the relay refused a frame");
                        if error.code == ErrorCode::ConsentRequired {
                            break StreamEnd::Stopped { by: Party::EndUser, reason: StopReason::StoppedSharing };
                        }
                    }
                },
                Some(MediaEvent::SelectDisplay(id)) if id != shown.id => {
                    let opened = tokio::task::spawn_blocking(move || Capturer::open(Some(&id)))
                        .await
                        .map_err(|err| ScreenError::Capture(err.to_string()))?;
                    match (opened, pipeline.as_mut()) {
                        (Ok(capturer), Some(working)) => {
                            // A new display: a new encoder announces its size and id.
                            shown = capturer.display.clone();
                            working.capturer = capturer;
                            working.encoder = None;
                            working.previous = None;
                            working.watch = ChangeWatch::open();
                            force_key = true;
                            last_activity = Instant::now();
                            next_tick = tokio::time::Instant::now();
                        }
                        (Err(err), _) => tracing::debug!(error = %err, "switching the display"),
                        (Ok(_), None) => {}
                    }
                }
                Some(MediaEvent::Input(InputEvent::Clipboard { text })) => match &clipboard {
                    Some(shared) if injector.is_some() => shared.set(text),
                    _ => tracing::debug!("clipboard without control; ignored"),
                },
                Some(MediaEvent::Input(event)) => {
                    // Input will change the screen: look at it again at once.
                    last_activity = Instant::now();
                    next_tick = tokio::time::Instant::now();
                    // Only with the person's consent to control, and only on the display
                    // shown; the service checks both before relaying, this is the agent's
                    // own check.
                    let here = event.display_id().is_none_or(|id| id == shown.id);
                    match &injector {
                        Some(injector) if here => {
                            if !injector.apply(event, &shown) {
                                tracing::debug!("input queue full; an event was dropped");
                            }
                        }
                        _ => tracing::debug!("input without control, or for another display; ignored"),
                    }
                }
                Some(MediaEvent::Stopped { by, reason, .. }) => break StreamEnd::Stopped { by, reason },
                Some(MediaEvent::Closed) | None => break StreamEnd::Closed,
                Some(
                    MediaEvent::Ack(_)
                    | MediaEvent::Stream(_)
                    | MediaEvent::Chunk { .. }
                    | MediaEvent::Clipboard(_)
                    | MediaEvent::Displays(_)
                    | MediaEvent::SelectDisplay(_)
                    | MediaEvent::Blocked(_),
                ) => {}
            },
        }
    };
    socket.close();
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viewers_get_h264_when_all_decode_it_else_jpeg() {
        assert_eq!(pick_codec(&VideoCodec::ALL).ok(), Some(VideoCodec::H264));
        assert_eq!(
            pick_codec(&[VideoCodec::Vp8, VideoCodec::Jpeg]).ok(),
            Some(VideoCodec::Jpeg)
        );
        assert!(matches!(
            pick_codec(&[VideoCodec::Vp8]),
            Err(ScreenError::NoCommonCodec)
        ));
    }
}
