//! Attended mode: this copy came from a keyed session's join page after the end user
//! allowed control, with the session and a token of its own inside its download. It
//! joins that session without a code, shows the screen with control while the end
//! user's consent stands, and when the session ends, the technician cancels it or the
//! person closes it, it leaves and removes itself. It creates no autostart entry and
//! keeps nothing: chat and files stay in the browser.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lifeline_client::{ApiClient, ClientError};
use lifeline_protocol::{AttendedHello, ErrorCode};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::connection::{Notice, Request};
use crate::run::Finish;
use crate::sharing::Sharing;
use crate::{computer, AgentError};

/// How often the app asks whether control stands. The stream itself carries the urgent
/// news (a stop, the session's end) at once; this only starts it again after a new yes.
const STATUS_INTERVAL: Duration = Duration::from_secs(2);

/// The session an attended download belongs to.
#[derive(Debug, Clone)]
pub struct AttendedTarget {
    pub server: String,
    pub session_id: Uuid,
    pub token: SecretString,
    /// The downloaded program itself, removed at the end (it is this session's alone).
    pub program: Option<PathBuf>,
}

/// Joins the session and runs until it is over for this app; `requests` carries the
/// person's Stop (of the screen) and End (closing the app).
pub async fn run(
    target: &AttendedTarget,
    mut requests: mpsc::UnboundedReceiver<Request>,
    notify: impl Fn(Notice) + Clone + Send + Sync + 'static,
) -> Result<Finish, AgentError> {
    let api = ApiClient::new(&target.server)?;
    api.use_end_user_token(target.token.expose_secret(), target.session_id)
        .await;
    let described = computer::describe();
    let hello = AttendedHello {
        hostname: described.hostname.chars().take(120).collect(),
        os: format!("{} ({})", described.os_version, described.os)
            .chars()
            .take(120)
            .collect(),
    };
    let welcome = match api.attended_join(&hello).await {
        Ok(welcome) => welcome,
        Err(err) => return finish_after(&err).ok_or(AgentError::Client(err)),
    };
    notify(Notice::Connected {
        technician: welcome.technician_name.clone(),
        until: 0,
    });
    let mut sharing: Option<Sharing> = None;
    // After a stream ends, the consent it ran on is spent: wait to see it withdrawn
    // before a new yes can start the screen again.
    let mut spent = false;
    let mut tick = tokio::time::interval(STATUS_INTERVAL);
    let finish = loop {
        tokio::select! {
            request = requests.recv() => match request {
                Some(Request::StopSharing) => {
                    if let Some(running) = sharing.take() {
                        running.stop();
                        spent = true;
                    }
                }
                Some(Request::End) | None => {
                    if let Some(running) = sharing.take() {
                        running.stop();
                    }
                    if let Err(err) = api.attended_leave().await {
                        tracing::debug!(error = %err, "leaving the session");
                    }
                    break Finish::Left;
                }
                Some(_) => {}
            },
            _ = tick.tick() => {
                if sharing.as_ref().is_some_and(|s| !s.is_running()) {
                    sharing = None;
                    spent = true;
                }
                match api.attended_status().await {
                    Ok(status) if !status.control => spent = false,
                    Ok(_) if sharing.is_none() && !spent => {
                        sharing = Some(Sharing::start(
                            api.clone(),
                            target.session_id,
                            None,
                            true,
                            welcome.technician_name.clone(),
                            notify.clone(),
                        ));
                    }
                    Ok(_) => {}
                    Err(err) => {
                        if let Some(finish) = finish_after(&err) {
                            break finish;
                        }
                        tracing::debug!(error = %err, "asking the service; trying again");
                    }
                }
            }
        }
    };
    if let Some(running) = sharing.take() {
        running.stop();
    }
    Ok(finish)
}

/// Whether an error means this app's part is over: the session ended, or its access
/// was cancelled (a revoked token reads as unauthorized).
fn finish_after(err: &ClientError) -> Option<Finish> {
    match err.code() {
        Some(ErrorCode::SessionEnded | ErrorCode::KeyExpired) => Some(Finish::Ended),
        Some(ErrorCode::Unauthorized) => Some(Finish::Cancelled),
        _ => None,
    }
}

/// Removes the downloaded program: it holds this session's token and is of no use after.
pub fn remove_program(program: &Path) -> Result<(), AgentError> {
    crate::removal::remove_file(program)
}
