//! Screen views: watch a session's screen over a channel (pictures as raw bytes, notes
//! as JSON), report what was decoded, ask for a keyframe, stop viewing.

use lifeline_client::desk::{Desk, ScreenMessage};
use lifeline_client::protocol::{InputEvent, VideoCodec};
use tauri::ipc::{Channel, InvokeResponseBody, IpcResponse};
use uuid::Uuid;

use crate::error::IpcResult;

/// Pictures cross as `ArrayBuffer`s: JSON would triple their size.
fn body(message: ScreenMessage) -> tauri::Result<InvokeResponseBody> {
    match message {
        ScreenMessage::Picture(bytes) => Ok(InvokeResponseBody::Raw(bytes)),
        ScreenMessage::Note(note) => note.body(),
    }
}

pub async fn watch_screen(
    desk: &Desk,
    session_id: Uuid,
    codecs: Vec<VideoCodec>,
    on_message: Channel<InvokeResponseBody>,
) -> IpcResult<()> {
    let sink = move |message| {
        if let Ok(body) = body(message) {
            let _ = on_message.send(body);
        }
    };
    Ok(desk.watch_screen(session_id, codecs, sink).await?)
}

pub async fn screen_decoded(desk: &Desk, session_id: Uuid, seq: u64) -> IpcResult<()> {
    Ok(desk.screen_decoded(session_id, seq)?)
}

pub async fn screen_keyframe(desk: &Desk, session_id: Uuid) -> IpcResult<()> {
    Ok(desk.screen_keyframe(session_id)?)
}

pub async fn close_screen(desk: &Desk, session_id: Uuid) -> IpcResult<()> {
    desk.close_screen(session_id);
    Ok(())
}

pub async fn stop_viewing(desk: &Desk, session_id: Uuid) -> IpcResult<()> {
    Ok(desk.stop_viewing(session_id)?)
}

pub async fn send_input(desk: &Desk, session_id: Uuid, event: InputEvent) -> IpcResult<()> {
    Ok(desk.send_input(session_id, event)?)
}

pub async fn send_clipboard(desk: &Desk, session_id: Uuid) -> IpcResult<()> {
    Ok(desk.send_clipboard(session_id)?)
}

pub async fn type_clipboard(desk: &Desk, session_id: Uuid) -> IpcResult<()> {
    Ok(desk.type_clipboard(session_id)?)
}

pub async fn select_display(desk: &Desk, session_id: Uuid, display_id: String) -> IpcResult<()> {
    Ok(desk.select_display(session_id, &display_id)?)
}
