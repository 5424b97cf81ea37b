//! The screen sent to a connected technician: started once the person at the computer
//! (or the policy for an unattended computer) allowed it, stopped by the person's Stop,
//! the technician, or the connection's end. The capture and encoding live in
//! [`crate::screen`]; this module only runs them for a connection and reports.

use lifeline_client::{ApiClient, MediaSocket};
use lifeline_protocol::{MediaRole, Party};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::connection::Notice;
use crate::control::Injector;
use crate::screen::{send_screen, StreamEnd};

/// A screen being sent to the connection's viewers.
pub struct Sharing {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Sharing {
    /// Records the person's yes to `answer` (when the yes was given here rather than on
    /// the join page), then opens the session's media socket as its sender and sends the
    /// primary display until the stream stops; reports start and end to `notify`.
    pub fn start(
        api: ApiClient,
        session_id: Uuid,
        answer: Option<Uuid>,
        control: bool,
        technician: String,
        notify: impl Fn(Notice) + Send + Sync + 'static,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            if let Some(request_id) = answer {
                if let Err(err) = api.answer_consent(session_id, request_id, true).await {
                    notify(Notice::Problem(format!("answering the request: {err}")));
                    return;
                }
            }
            let socket =
                match MediaSocket::connect(&api, session_id, MediaRole::Sender, vec![]).await {
                    Ok(socket) => socket,
                    Err(err) => {
                        notify(Notice::Problem(format!("sending the screen: {err}")));
                        return;
                    }
                };
            let injector = if control {
                match Injector::start() {
                    Ok(injector) => Some(injector),
                    Err(err) => {
                        // The technician reads why in the chat; the screen is still shown.
                        let text =
                            format!("Remote control is not available on this computer: {err}");
                        if let Err(sent) = api.send_message(session_id, Uuid::new_v4(), &text).await
                        {
                            tracing::debug!(error = %sent, "telling the technician");
                        }
                        notify(Notice::Problem(err.to_string()));
                        None
                    }
                }
            } else {
                None
            };
            notify(Notice::ScreenShared {
                technician: technician.clone(),
                control: injector.is_some(),
            });
            let by_technician = match send_screen(socket, None, injector, stopped).await {
                Ok(StreamEnd::Stopped { by, .. }) => by == Party::Technician,
                Ok(StreamEnd::StoppedHere | StreamEnd::Closed) => false,
                Err(err) => {
                    notify(Notice::Problem(format!("sending the screen: {err}")));
                    false
                }
            };
            notify(Notice::ScreenStopped {
                technician,
                by_technician,
            });
        });
        Self { stop, task }
    }

    pub fn is_running(&self) -> bool {
        !self.task.is_finished()
    }

    /// Stops sending at once; the service tells the technician.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }
}

impl Drop for Sharing {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}
