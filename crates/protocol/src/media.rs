//! The media path: a screen stream from one sender (the end user's browser, later the
//! agent) relayed by the service to the technician's viewers, on a WebSocket of its own
//! beside the realtime one, so a keyframe never queues the chat behind it.
//!
//! Text frames carry [`MediaClientFrame`] and [`MediaServerFrame`] as JSON. Binary
//! frames carry one encoded chunk each: a big-endian `u16` header length, the
//! [`ChunkHeader`] as JSON, then the codec's bytes (see [`encode_chunk`]).

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{ApiError, Party, Secret, UnixMillis};

/// The WebSocket sub-path of the media socket.
pub const MEDIA_PATH: &str = "/api/v1/media";
/// Largest encoded chunk, header included. A 1080p screen keyframe is 85–200 KiB; a 4K
/// one of a busy screen stays well below this.
pub const MAX_MEDIA_CHUNK_BYTES: usize = 2 * 1024 * 1024;
/// Longest chunk header, in bytes.
pub const MAX_CHUNK_HEADER_BYTES: usize = 256;
/// Largest width or height of a stream, in pixels.
pub const MAX_STREAM_DIMENSION: u32 = 8192;
/// Longest display id or codec string, in characters.
pub const MAX_MEDIA_LABEL_CHARS: usize = 64;

/// How a stream's chunks are encoded, in the order a sender prefers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum VideoCodec {
    /// H.264, in Annex B byte stream format.
    H264,
    Vp8,
    /// Each chunk a whole JPEG picture, every one a keyframe: for senders without an
    /// encoder.
    Jpeg,
}

impl VideoCodec {
    /// Every codec, best first.
    pub const ALL: [VideoCodec; 3] = [VideoCodec::H264, VideoCodec::Vp8, VideoCodec::Jpeg];
}

/// What sends the pictures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum MediaSource {
    /// The end user's browser, through its own screen picker.
    Browser,
    /// The support-session app on an ad-hoc computer.
    Agent,
}

/// What the end user chose to share, as the browser reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ShareSurface {
    Monitor,
    Window,
    Browser,
    Unknown,
}

/// Which end of a stream a media socket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum MediaRole {
    /// Sends the pictures: the end-user party of the session.
    Sender,
    /// Watches them: the technician.
    Viewer,
}

/// Why a stream stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The sharing side stopped (the page's Stop sharing, or the browser's own control).
    StoppedSharing,
    /// The technician stopped viewing.
    StoppedViewing,
    /// The session ended.
    SessionEnded,
    /// The sender's connection went away without a stop.
    ConnectionLost,
    /// The attended app took over from the browser: the screen goes on, with control.
    /// It does not withdraw the end user's consent.
    HandedToApp,
}

/// Why the end user's side could not share the screen after allowing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ShareFailure {
    /// The person closed the browser's screen picker without choosing.
    PickerCancelled,
    /// This browser cannot share a screen (phones).
    Unsupported,
    /// The browser refused for another reason (a policy, no encoder).
    Failed,
}

/// The body of `POST /api/v1/sessions/{id}/screen-share/failed`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct ShareFailed {
    pub reason: ShareFailure,
}

/// What a sender announces when it starts a stream, or when its format changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct StreamFormat {
    pub source: MediaSource,
    /// Which screen: the agent's monitor id, or `"0"` for a browser's one picture.
    pub display_id: String,
    pub codec: VideoCodec,
    /// The WebCodecs codec string for the decoder (`avc1.42E01F`, `vp8`); empty for JPEG.
    pub codec_string: String,
    pub width: u32,
    pub height: u32,
    pub surface: ShareSurface,
}

/// Why a [`StreamFormat`] is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error(
        "the picture must be between 1×1 and {MAX_STREAM_DIMENSION}×{MAX_STREAM_DIMENSION} pixels"
    )]
    Size,
    #[error("the display id and codec string may have at most {MAX_MEDIA_LABEL_CHARS} printable characters")]
    Label,
    #[error("a sender lists at most {MAX_DISPLAYS} displays")]
    Displays,
}

impl StreamFormat {
    /// Checks the sizes and labels a sender chose.
    pub fn validate(&self) -> Result<(), FormatError> {
        let dimension = 1..=MAX_STREAM_DIMENSION;
        if !dimension.contains(&self.width) || !dimension.contains(&self.height) {
            return Err(FormatError::Size);
        }
        for label in [&self.display_id, &self.codec_string] {
            if label.chars().count() > MAX_MEDIA_LABEL_CHARS
                || label.chars().any(|c| c.is_control())
            {
                return Err(FormatError::Label);
            }
        }
        Ok(())
    }
}

/// What a user-level agent cannot reach on its computer now; the technician is told in
/// plain words while it lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum ControlBlock {
    /// The screen is locked or blanked: only the person at the computer unlocks it.
    ScreenLocked,
    /// Windows shows its secure desktop (a UAC prompt, Ctrl+Alt+Del or the sign-in
    /// screen): nothing can see or control it but the person at the computer.
    SecureDesktop,
    /// The window in front belongs to a program running as administrator: it ignores
    /// input from a program that is not.
    ElevatedWindow,
}

/// Displays a sender may list for the technician's picker, at most.
pub const MAX_DISPLAYS: usize = 16;

/// One display of the computer, as the technician's display picker lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct DisplayChoice {
    pub id: String,
    pub name: String,
    pub width: u32,
    pub height: u32,
    pub primary: bool,
}

/// Checks a sender's list of displays: few, with short printable labels and sizes.
pub fn validate_displays(displays: &[DisplayChoice]) -> Result<(), FormatError> {
    if displays.len() > MAX_DISPLAYS {
        return Err(FormatError::Displays);
    }
    let dimension = 1..=MAX_STREAM_DIMENSION;
    for display in displays {
        if !dimension.contains(&display.width) || !dimension.contains(&display.height) {
            return Err(FormatError::Size);
        }
        for label in [&display.id, &display.name] {
            if label.chars().count() > MAX_MEDIA_LABEL_CHARS
                || label.chars().any(|c| c.is_control())
            {
                return Err(FormatError::Label);
            }
        }
    }
    Ok(())
}

/// A live stream, as viewers learn of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct StreamInfo {
    pub stream_id: Uuid,
    pub session_id: Uuid,
    pub format: StreamFormat,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub started_at: UnixMillis,
}

/// Frames a client sends on the media socket (text). The first must be `hello`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum MediaClientFrame {
    /// Authenticates with the same token as the realtime socket and names the session
    /// and the end of the stream this socket is.
    Hello {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        token: Secret,
        session_id: Uuid,
        role: MediaRole,
        /// Viewer: the codecs its decoder can read, best first. Empty means all.
        #[serde(default)]
        codecs: Vec<VideoCodec>,
    },
    /// Sender: a stream starts, or its format changes; the next chunk is a keyframe.
    /// Allowed while the end user's consent to a screen view (or control) stands.
    Start { format: StreamFormat },
    /// Either end: stop the stream. The technician can ask again later.
    Stop,
    /// Viewer: every chunk up to `seq` has been decoded and drawn.
    Ack {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        seq: u64,
    },
    /// Viewer: its decoder cannot go on without a keyframe.
    KeyframeRequest,
    /// Viewer: the technician's pointer or keyboard, while the end user's consent to
    /// control stands. Relayed to the sender, never stored.
    Input { event: crate::InputEvent },
    /// Sender: the computer's clipboard changed; passed to the viewers while the end
    /// user's consent to control stands, never stored.
    Clipboard { text: String },
    /// Sender: the displays the technician may pick from (an agent's monitors).
    Displays { displays: Vec<DisplayChoice> },
    /// Viewer: show this display of those the sender listed.
    SelectDisplay { display_id: String },
    /// Sender: what it cannot reach now (`None`: everything again).
    Blocked { block: Option<ControlBlock> },
    /// Viewer: the technician's fresh access token. A viewer's socket lasts as long as
    /// the token it was opened (or last renewed) with, and closes with its sign-in.
    Renew {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        token: Secret,
    },
}

/// Frames the service sends on the media socket (text).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MediaServerFrame {
    /// The hello was accepted. A viewer then hears of a live stream at once.
    Welcome { role: MediaRole },
    /// To viewers: a stream is live, or changed its format; a keyframe follows.
    Stream { stream: StreamInfo },
    /// To both ends: the stream stopped.
    Stopped {
        stream_id: Uuid,
        by: Party,
        reason: StopReason,
    },
    /// To the sender: the newest chunk a viewer has decoded. The sender keeps few
    /// chunks beyond it in flight and lowers its rate when these slow down.
    Ack {
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        seq: u64,
    },
    /// To the sender: the next chunk must be a keyframe (a viewer joined, fell behind,
    /// or its decoder asked).
    KeyframeNeeded,
    /// To the sender: how many viewers watch now, and the codecs every one of them can
    /// decode (all of them while nobody watches). With no viewer, chunks are
    /// acknowledged by the service and dropped, so the sender may slow to a trickle.
    Viewers { count: u32, codecs: Vec<VideoCodec> },
    /// A frame or chunk was refused. After a refused hello the socket closes.
    Error { error: ApiError },
    /// To the sender: the technician's input, checked against the consent and limits.
    Input { event: crate::InputEvent },
    /// To viewers: the computer's clipboard, while control is allowed.
    Clipboard { text: String },
    /// To viewers: the displays the sender offers (once a stream is live, and on change).
    Displays { displays: Vec<DisplayChoice> },
    /// To the sender: a viewer picked this display.
    SelectDisplay { display_id: String },
    /// To viewers: what the sender cannot reach now (`None`: everything again).
    Blocked { block: Option<ControlBlock> },
}

/// The header of a binary chunk frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(deny_unknown_fields)]
pub struct ChunkHeader {
    /// Increases by one per chunk of a stream, from 1.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: u64,
    /// A keyframe: decodable without anything before it.
    pub key: bool,
    /// The picture's capture time on the sender's clock, in microseconds. Viewers pass
    /// it to the decoder; the relay does not read it.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub timestamp_us: u64,
}

/// Why a binary chunk frame cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkError {
    #[error("a chunk frame holds at most {MAX_MEDIA_CHUNK_BYTES} bytes")]
    TooLarge,
    #[error("the chunk frame is shorter than its header")]
    Truncated,
    #[error("the chunk header is malformed: {0}")]
    Header(String),
}

/// One binary chunk frame: the header's length, the header as JSON, the payload.
pub fn encode_chunk(header: &ChunkHeader, payload: &[u8]) -> Vec<u8> {
    // Three small numbers and a bool: serializing cannot fail.
    let json = serde_json::to_vec(header).unwrap_or_default();
    let mut frame = Vec::with_capacity(2 + json.len() + payload.len());
    frame.extend_from_slice(&u16::try_from(json.len()).unwrap_or(u16::MAX).to_be_bytes());
    frame.extend_from_slice(&json);
    frame.extend_from_slice(payload);
    frame
}

/// Splits a binary chunk frame into its header and the offset where its payload starts.
pub fn decode_chunk(frame: &[u8]) -> Result<(ChunkHeader, usize), ChunkError> {
    if frame.len() > MAX_MEDIA_CHUNK_BYTES {
        return Err(ChunkError::TooLarge);
    }
    let [high, low, rest @ ..] = frame else {
        return Err(ChunkError::Truncated);
    };
    let header_len = usize::from(u16::from_be_bytes([*high, *low]));
    if header_len > MAX_CHUNK_HEADER_BYTES {
        return Err(ChunkError::Header(format!(
            "{header_len} bytes; at most {MAX_CHUNK_HEADER_BYTES}"
        )));
    }
    let json = rest.get(..header_len).ok_or(ChunkError::Truncated)?;
    let header: ChunkHeader =
        serde_json::from_slice(json).map_err(|e| ChunkError::Header(e.to_string()))?;
    Ok((header, 2 + header_len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_frame_reads_back_as_it_was_written() {
        let header = ChunkHeader {
            seq: 42,
            key: true,
            timestamp_us: 1_700_000_000_123,
        };
        let frame = encode_chunk(&header, b"\x00\x00\x00\x01picture");
        let (read, start) = decode_chunk(&frame).expect("decodes");
        assert_eq!(read, header);
        assert_eq!(&frame[start..], b"\x00\x00\x00\x01picture");
    }

    #[test]
    fn malformed_and_oversized_chunk_frames_are_refused() {
        assert_eq!(decode_chunk(&[0]), Err(ChunkError::Truncated));
        assert_eq!(decode_chunk(&[0, 9, b'{']), Err(ChunkError::Truncated));
        assert!(matches!(
            decode_chunk(&[0, 2, b'{', b'}']),
            Err(ChunkError::Header(_))
        ));
        assert!(matches!(
            decode_chunk(&[0xff, 0xff]),
            Err(ChunkError::Header(_))
        ));
        let huge = vec![0u8; MAX_MEDIA_CHUNK_BYTES + 1];
        assert_eq!(decode_chunk(&huge), Err(ChunkError::TooLarge));
    }

    #[test]
    fn stream_formats_outside_the_limits_are_refused() {
        let good = StreamFormat {
            source: MediaSource::Browser,
            display_id: "0".into(),
            codec: VideoCodec::H264,
            codec_string: "avc1.42E01F".into(),
            width: 1280,
            height: 720,
            surface: ShareSurface::Monitor,
        };
        assert_eq!(good.validate(), Ok(()));
        let zero = StreamFormat {
            width: 0,
            ..good.clone()
        };
        assert_eq!(zero.validate(), Err(FormatError::Size));
        let huge = StreamFormat {
            height: MAX_STREAM_DIMENSION + 1,
            ..good.clone()
        };
        assert_eq!(huge.validate(), Err(FormatError::Size));
        let control = StreamFormat {
            display_id: "0\n1".into(),
            ..good.clone()
        };
        assert_eq!(control.validate(), Err(FormatError::Label));
        let long = StreamFormat {
            codec_string: "a".repeat(MAX_MEDIA_LABEL_CHARS + 1),
            ..good
        };
        assert_eq!(long.validate(), Err(FormatError::Label));
    }
}
