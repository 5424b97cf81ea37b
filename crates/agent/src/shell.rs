//! The agent's window as a thin Tauri shell, generic over the runtime so that tests run
//! it on Tauri's mock runtime. Each command is one call on the [`AgentSession`]; the
//! session's updates go to the page as the [`AGENT_EVENT`]. The only module of this
//! library that knows Tauri.

use std::path::PathBuf;
use std::sync::Arc;

use lifeline_client::ipc::IpcResult;
use tauri::{AppHandle, Emitter, Manager, Runtime, State, WindowEvent};

use crate::session::{AgentSession, AgentSetup};
use crate::view::AgentView;

/// How long an attended copy's window shows that the session is over before it exits.
const ATTENDED_GOODBYE: std::time::Duration = std::time::Duration::from_secs(4);

/// The app event that carries every [`crate::view::AgentUpdate`] to the page.
pub const AGENT_EVENT: &str = "agent";

include!("shell_commands.rs");

type Session<'a> = State<'a, Arc<AgentSession>>;

#[tauri::command]
fn agent_view(session: Session<'_>) -> AgentView {
    session.view()
}

#[tauri::command]
async fn enroll(session: Session<'_>, code: String) -> IpcResult<AgentView> {
    Ok(session.enroll(&code).await?)
}

#[tauri::command]
fn say(session: Session<'_>, text: String) -> IpcResult<()> {
    Ok(session.say(&text)?)
}

#[tauri::command]
fn send_file(session: Session<'_>, path: PathBuf) -> IpcResult<()> {
    Ok(session.send_file(path)?)
}

#[tauri::command]
fn answer_consent(session: Session<'_>, allow: bool) -> IpcResult<()> {
    Ok(session.answer_consent(allow)?)
}

#[tauri::command]
fn stop_sharing(session: Session<'_>) -> IpcResult<()> {
    Ok(session.stop_sharing()?)
}

#[tauri::command]
fn end_session(session: Session<'_>) -> IpcResult<()> {
    Ok(session.end()?)
}

fn runtime_handle() -> tokio::runtime::Handle {
    match tauri::async_runtime::handle() {
        tauri::async_runtime::RuntimeHandle::Tokio(handle) => handle,
    }
}

/// The agent's window on `builder` (Tauri's default builder, or the mock one in tests):
/// the session is made in setup, where the app handle for its updates exists, and a
/// session saved by an earlier run carries on by itself.
pub fn app<R: Runtime>(builder: tauri::Builder<R>, setup: AgentSetup) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_dialog::init())
        .setup(move |app| {
            let handle: AppHandle<R> = app.handle().clone();
            let attended = setup.attended.is_some();
            let session = AgentSession::new(setup, runtime_handle(), move |update| {
                let over = matches!(update.view, AgentView::Ended { .. });
                if let Err(err) = handle.emit(AGENT_EVENT, update) {
                    tracing::warn!(error = %err, "could not update the window");
                }
                if attended && over {
                    // An attended copy keeps nothing: it says goodbye, then exits.
                    let handle = handle.clone();
                    std::thread::spawn(move || {
                        std::thread::sleep(ATTENDED_GOODBYE);
                        handle.exit(0);
                    });
                }
            });
            app.manage(Arc::clone(&session));
            session.resume();
            Ok(())
        })
        .on_window_event(|window, event| {
            // While the session runs the window stays: closing it would cut the
            // technician off for the rest of the 24 hours. End session is the way out.
            // Closing an attended copy leaves its session (the chat goes on in the
            // browser), and it exits once it has left.
            if let WindowEvent::CloseRequested { api, .. } = event {
                let Some(session) = window.try_state::<Arc<AgentSession>>() else {
                    return;
                };
                if session.is_attended() && session.is_running() {
                    api.prevent_close();
                    if let Err(err) = session.end() {
                        tracing::debug!(error = %err, "leaving the session");
                    }
                } else if session.is_running() {
                    api.prevent_close();
                    if let Err(err) = window.minimize() {
                        tracing::debug!(error = %err, "could not minimize the window");
                    }
                }
            }
        })
        .invoke_handler(tauri::generate_handler![
            agent_view,
            enroll,
            say,
            send_file,
            answer_consent,
            stop_sharing,
            end_session
        ])
}
