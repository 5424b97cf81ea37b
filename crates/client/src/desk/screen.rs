//! Screen views at the desk: one media viewer per session that watches, whose pictures
//! go to the caller's sink as they arrive (the app forwards them to its UI, which
//! decodes them). The desk routes acknowledgements, keyframe requests and Stop viewing
//! to the right viewer; it never decodes or keeps a picture.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use lifeline_protocol::{encode_chunk, MediaRole, Party, StopReason, StreamInfo, VideoCodec};
use serde::Serialize;
use uuid::Uuid;

use super::{Desk, DeskError};
use crate::ipc::IpcError;
use crate::{MediaControl, MediaEvent, MediaSocket};

/// What a screen view tells the UI besides the pictures.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ScreenNote {
    /// A stream is live or changed format; pictures follow, a keyframe first.
    Stream { stream: StreamInfo },
    /// The stream stopped: `by` whom and why. The view is over.
    Stopped { by: Party, reason: StopReason },
    /// The service refused the view or closed it (e.g. it stalled).
    Refused { error: IpcError },
    /// The connection closed without a stop.
    Closed,
    /// The controlled computer's clipboard changed; the UI copies it here when the
    /// technician asks, or at once when clipboard sharing is automatic.
    Clipboard { text: String },
    /// What the computer's app cannot reach now (`None`: everything again).
    Blocked {
        block: Option<lifeline_protocol::ControlBlock>,
    },
    /// The displays the computer offers; the UI lists them when there are several.
    Displays {
        displays: Vec<lifeline_protocol::DisplayChoice>,
    },
}

/// One message for the UI: a note, or one picture framed as on the media socket
/// (`u16` header length, the JSON header, the codec's bytes).
#[derive(Debug, Clone, PartialEq)]
pub enum ScreenMessage {
    Note(ScreenNote),
    Picture(Vec<u8>),
}

/// The viewers open at the desk, by session.
#[derive(Default)]
pub(crate) struct Screens {
    viewers: Mutex<HashMap<Uuid, MediaControl>>,
}

impl Screens {
    fn get(&self, session_id: Uuid) -> Option<MediaControl> {
        let viewers = self.viewers.lock().unwrap_or_else(PoisonError::into_inner);
        viewers.get(&session_id).cloned()
    }
}

fn message_of(event: MediaEvent) -> Option<ScreenMessage> {
    Some(match event {
        MediaEvent::Stream(stream) => ScreenMessage::Note(ScreenNote::Stream { stream }),
        MediaEvent::Chunk { header, data } => ScreenMessage::Picture(encode_chunk(&header, &data)),
        MediaEvent::Stopped { by, reason, .. } => {
            ScreenMessage::Note(ScreenNote::Stopped { by, reason })
        }
        MediaEvent::Refused(error) => ScreenMessage::Note(ScreenNote::Refused {
            error: IpcError::from(crate::ClientError::Api { status: 0, error }),
        }),
        MediaEvent::Closed => ScreenMessage::Note(ScreenNote::Closed),
        MediaEvent::Clipboard(text) => ScreenMessage::Note(ScreenNote::Clipboard { text }),
        MediaEvent::Displays(displays) => ScreenMessage::Note(ScreenNote::Displays { displays }),
        MediaEvent::Blocked(block) => ScreenMessage::Note(ScreenNote::Blocked { block }),
        // A viewer is not told about acks, keyframes, viewers or input.
        MediaEvent::Ack(_)
        | MediaEvent::KeyframeNeeded
        | MediaEvent::Viewers { .. }
        | MediaEvent::Input(_)
        | MediaEvent::SelectDisplay(_) => return None,
    })
}

impl Desk {
    /// Starts watching the session's screen: the viewer waits for the end user's stream
    /// and hands each note and picture to `sink` until the stream stops. `codecs` are
    /// those the UI's decoder reads, best first. Watching again replaces the old view.
    pub async fn watch_screen(
        &self,
        session_id: Uuid,
        codecs: Vec<VideoCodec>,
        sink: impl Fn(ScreenMessage) + Send + Sync + 'static,
    ) -> Result<(), DeskError> {
        let api = self.api().await?;
        let mut socket = MediaSocket::connect(&api, session_id, MediaRole::Viewer, codecs).await?;
        let screens = Arc::clone(&self.screens);
        let control = socket.control();
        let replaced = screens
            .viewers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(session_id, control.clone());
        if let Some(old) = replaced {
            let _ = old.stop_socket();
        }
        tokio::spawn(async move {
            while let Some(event) = socket.next().await {
                let over = matches!(event, MediaEvent::Stopped { .. } | MediaEvent::Closed);
                if let Some(message) = message_of(event) {
                    sink(message);
                }
                if over {
                    break;
                }
            }
            let mut viewers = screens
                .viewers
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if viewers
                .get(&session_id)
                .is_some_and(|current| current.same_socket(&control))
            {
                viewers.remove(&session_id);
            }
        });
        Ok(())
    }

    fn viewer(&self, session_id: Uuid) -> Result<MediaControl, DeskError> {
        self.screens.get(session_id).ok_or_else(|| {
            DeskError::InvalidInput("this session's screen is not being viewed".into())
        })
    }

    /// The UI decoded and drew everything up to `seq`.
    pub fn screen_decoded(&self, session_id: Uuid, seq: u64) -> Result<(), DeskError> {
        Ok(self.viewer(session_id)?.ack(seq)?)
    }

    /// The UI's decoder needs a keyframe.
    pub fn screen_keyframe(&self, session_id: Uuid) -> Result<(), DeskError> {
        Ok(self.viewer(session_id)?.request_keyframe()?)
    }

    /// The UI no longer shows this session's screen (its tab went to the back): the
    /// view closes and the stream goes on unwatched; watching again resumes at a
    /// keyframe.
    pub fn close_screen(&self, session_id: Uuid) {
        let removed = self
            .screens
            .viewers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&session_id);
        if let Some(viewer) = removed {
            let _ = viewer.stop_socket();
        }
    }

    /// Stop viewing: the stream ends on both sides; the technician can ask again.
    pub fn stop_viewing(&self, session_id: Uuid) -> Result<(), DeskError> {
        Ok(self.viewer(session_id)?.stop()?)
    }

    /// Shows another of the computer's displays.
    pub fn select_display(&self, session_id: Uuid, display_id: &str) -> Result<(), DeskError> {
        if display_id.chars().count() > lifeline_protocol::MAX_MEDIA_LABEL_CHARS {
            return Err(DeskError::InvalidInput("that is not a display id".into()));
        }
        Ok(self.viewer(session_id)?.select_display(display_id)?)
    }

    /// Puts the technician's clipboard on the controlled computer's clipboard. The text
    /// goes from this computer's clipboard to the service without passing the UI.
    pub fn send_clipboard(&self, session_id: Uuid) -> Result<(), DeskError> {
        let text = self.os.clipboard.text()?;
        self.send_input(
            session_id,
            lifeline_protocol::InputEvent::Clipboard { text },
        )
    }

    /// Types the technician's clipboard on the controlled computer, key by key, for
    /// fields that refuse a paste.
    pub fn type_clipboard(&self, session_id: Uuid) -> Result<(), DeskError> {
        let text = self.os.clipboard.text()?;
        if text.is_empty() {
            return Err(DeskError::InvalidInput(
                "your clipboard holds no text to type".into(),
            ));
        }
        self.send_input(session_id, lifeline_protocol::InputEvent::Text { text })
    }

    /// The technician's pointer or keyboard on the viewed screen. The limits are checked
    /// here first, so a bad event fails at once with its reason; the service checks the
    /// consent to control and answers a refusal as a note on the view.
    pub fn send_input(
        &self,
        session_id: Uuid,
        event: lifeline_protocol::InputEvent,
    ) -> Result<(), DeskError> {
        event
            .validate()
            .map_err(|e| DeskError::InvalidInput(e.to_string()))?;
        Ok(self.viewer(session_id)?.send_input(event)?)
    }
}
