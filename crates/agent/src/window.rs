//! The end user's window: the security code, then with whom the session is and until
//! when, whether a technician is connected now, chat and files while one is, and End
//! session at any time. A thin Tauri shell: the library runs the session, the shell
//! keeps the [`AgentView`] and sends every change to the UI as [`AGENT_EVENT`].

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use lifeline_agent::connection::{Notice, Request};
use lifeline_agent::credentials::{self, Credentials};
use lifeline_agent::run::{self, Finish, Places};
use lifeline_agent::view::{AgentUpdate, AgentView};
use lifeline_client::ipc::{IpcError, IpcErrorCode, IpcResult};
use tauri::{AppHandle, Emitter, Manager, State, WindowEvent};
use tokio::sync::mpsc;
use uuid::Uuid;

/// The app event that carries every [`AgentUpdate`] to the UI.
pub const AGENT_EVENT: &str = "agent";

/// What the window works with, from the command line.
pub struct Setup {
    pub places: Places,
    pub downloads: PathBuf,
    /// Where to enroll, or why this copy cannot.
    pub target: Result<(String, Uuid), String>,
    pub autostart_program: Option<PathBuf>,
}

struct Shell {
    setup: Setup,
    view: Mutex<AgentView>,
    /// To the running session; `None` before enrollment and after the end.
    requests: Mutex<Option<mpsc::UnboundedSender<Request>>>,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn emit(app: &AppHandle, view: AgentView, notice: Option<Notice>) {
    if let Err(err) = app.emit(AGENT_EVENT, AgentUpdate { view, notice }) {
        tracing::warn!(error = %err, "could not update the window");
    }
}

fn refused(message: &str) -> IpcError {
    IpcError::new(IpcErrorCode::InvalidInput, message)
}

impl Shell {
    fn view(&self) -> AgentView {
        locked(&self.view).clone()
    }

    fn request(&self, request: Request) -> IpcResult<()> {
        match locked(&self.requests).as_ref() {
            Some(session) if session.send(request).is_ok() => Ok(()),
            _ => Err(refused("there is no session running on this computer")),
        }
    }

    /// Runs the session until it ends, sending every change to the window.
    fn stay_connected(self: &Arc<Self>, app: AppHandle, credentials: Credentials) {
        let (requests, received) = mpsc::unbounded_channel();
        *locked(&self.requests) = Some(requests);
        let view = AgentView::active(&credentials, &self.setup.downloads);
        *locked(&self.view) = view.clone();
        emit(&app, view, None);
        let shell = Arc::clone(self);
        tauri::async_runtime::spawn(async move {
            let notify = {
                let shell = Arc::clone(&shell);
                let app = app.clone();
                move |notice: Notice| {
                    let view = {
                        let mut view = locked(&shell.view);
                        view.apply(&notice);
                        view.clone()
                    };
                    emit(&app, view, Some(notice));
                }
            };
            let setup = &shell.setup;
            let outcome = run::stay_connected(
                &credentials,
                &setup.places,
                &setup.downloads,
                received,
                notify,
            )
            .await;
            locked(&shell.requests).take();
            let ended = match outcome {
                Ok(finish) => AgentView::Ended {
                    finish,
                    problem: None,
                },
                Err(err) => AgentView::Ended {
                    finish: Finish::Ended,
                    problem: Some(err.to_string()),
                },
            };
            *locked(&shell.view) = ended.clone();
            emit(&app, ended, None);
        });
    }
}

#[tauri::command]
fn agent_view(shell: State<'_, Arc<Shell>>) -> AgentView {
    shell.view()
}

#[tauri::command]
async fn enroll(
    app: AppHandle,
    shell: State<'_, Arc<Shell>>,
    code: String,
) -> IpcResult<AgentView> {
    if !matches!(shell.view(), AgentView::Enroll { problem: None }) {
        return Err(refused("this computer is not waiting for a security code"));
    }
    let (server, session) = shell.setup.target.clone().map_err(|p| refused(&p))?;
    let setup = &shell.setup;
    let credentials = run::enroll(
        &server,
        session,
        &code,
        &setup.places,
        setup.autostart_program.as_deref(),
    )
    .await?;
    shell.stay_connected(app, credentials);
    Ok(shell.view())
}

/// Chat needs a technician on the other end; the UI says so before anyone types.
fn technician_connected(shell: &Shell) -> IpcResult<()> {
    match shell.view() {
        AgentView::Active {
            connected_now: Some(_),
            ..
        } => Ok(()),
        _ => Err(refused("no technician is connected now")),
    }
}

#[tauri::command]
fn say(shell: State<'_, Arc<Shell>>, text: String) -> IpcResult<()> {
    if text.trim().is_empty() {
        return Err(refused("the message is empty"));
    }
    technician_connected(&shell)?;
    shell.request(Request::Say(text))
}

#[tauri::command]
fn send_file(shell: State<'_, Arc<Shell>>, path: PathBuf) -> IpcResult<()> {
    if !path.is_file() {
        return Err(IpcError::new(
            IpcErrorCode::File,
            format!("{} is not a file that can be read", path.display()),
        ));
    }
    technician_connected(&shell)?;
    shell.request(Request::SendFile(path))
}

#[tauri::command]
fn end_session(shell: State<'_, Arc<Shell>>) -> IpcResult<()> {
    shell.request(Request::End)
}

/// Opens the window and runs until it is closed after the session is over.
pub fn run(setup: Setup) -> ExitCode {
    // A session saved before (a reboot within the 24 hours) carries on by itself.
    let saved = credentials::load(&setup.places.state_dir);
    let first_view = match (&saved, &setup.target) {
        (Err(err), _) => AgentView::Enroll {
            problem: Some(err.to_string()),
        },
        (Ok(Some(_)), _) | (Ok(None), Ok(_)) => AgentView::Enroll { problem: None },
        (Ok(None), Err(problem)) => AgentView::Enroll {
            problem: Some(problem.clone()),
        },
    };
    let shell = Arc::new(Shell {
        setup,
        view: Mutex::new(first_view),
        requests: Mutex::new(None),
    });
    let started = Arc::clone(&shell);
    let built = tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(Arc::clone(&shell))
        .setup(move |app| {
            if let Ok(Some(saved)) = saved {
                started.stay_connected(app.handle().clone(), saved);
            }
            Ok(())
        })
        .on_window_event(|window, event| {
            // While the session runs the window stays: closing it would cut the
            // technician off for the rest of the 24 hours. End session is the way out.
            if let WindowEvent::CloseRequested { api, .. } = event {
                let running = matches!(
                    window.state::<Arc<Shell>>().view(),
                    AgentView::Active { .. }
                );
                if running {
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
            end_session
        ])
        .build(tauri::generate_context!());
    match built {
        Ok(app) => {
            app.run(|_, _| {});
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: the window could not open: {err}");
            ExitCode::FAILURE
        }
    }
}
