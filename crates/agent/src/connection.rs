//! A technician's connection to this computer: the agent's own check of the password,
//! then chat, files both ways and system information over the connection's session, in
//! which the agent is the end-user party.

use std::fmt;
use std::path::{Path, PathBuf};

use lifeline_client::{ApiClient, RealtimeClient, RealtimeEvent, RealtimeOptions};
use lifeline_protocol::{AgentConnection, ConsentKind, EventData, Party};
use uuid::Uuid;

use crate::credentials::Credentials;
use crate::sharing::Sharing;
use crate::{computer, AgentError};

/// What the agent tells the person at the computer: printed in the terminal, and
/// rendered (in the person's language) by the window.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(tag = "kind", content = "detail", rename_all = "camelCase")]
pub enum Notice {
    /// Connected to the service for the session, which lasts `until` (Unix ms).
    Connected {
        technician: String,
        #[ts(type = "number")]
        until: i64,
    },
    Reconnecting {
        reason: String,
    },
    TechnicianConnected {
        technician: String,
    },
    TechnicianLeft {
        technician: String,
    },
    /// Someone tried to connect with a wrong password and was refused.
    WrongPassword {
        technician: String,
    },
    Message {
        from: String,
        text: String,
    },
    FileReceived {
        name: String,
        #[ts(type = "string")]
        path: PathBuf,
    },
    FileSent {
        name: String,
    },
    /// The technician asks to see (or control) this screen; the person answers.
    ConsentAsked {
        #[ts(type = "string")]
        request_id: Uuid,
        kind: lifeline_protocol::ConsentKind,
        technician: String,
        /// Declined by itself when nobody answers within this many seconds.
        answer_within_secs: u32,
    },
    /// Nobody answered the technician's request in time; it was declined.
    ConsentExpired {
        technician: String,
    },
    /// A request was allowed without asking, as the company's rule says: always, or
    /// because nobody was using the computer (`nobody_here`).
    ShownWithoutAsking {
        technician: String,
        kind: lifeline_protocol::ConsentKind,
        nobody_here: bool,
    },
    /// The technician sees this screen now, and controls it when `control`.
    ScreenShared {
        technician: String,
        control: bool,
    },
    /// The technician no longer sees this screen.
    ScreenStopped {
        technician: String,
        by_technician: bool,
    },
    Problem(String),
}

impl fmt::Display for Notice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Notice::Connected { technician, until } => write!(
                f,
                "Connected to {technician} until {}",
                crate::run::local_time(*until)
            ),
            Notice::Reconnecting { reason } => {
                write!(f, "Connection lost ({reason}); reconnecting")
            }
            Notice::TechnicianConnected { technician } => {
                write!(f, "{technician} is connected to this computer now")
            }
            Notice::TechnicianLeft { technician } => {
                write!(f, "{technician} has disconnected")
            }
            Notice::WrongPassword { technician } => write!(
                f,
                "A connection as {technician} was refused: the password was wrong"
            ),
            Notice::Message { from, text } => write!(f, "{from}: {text}"),
            Notice::FileReceived { name, path } => {
                write!(f, "Received the file {name}: saved as {}", path.display())
            }
            Notice::FileSent { name } => write!(f, "Sent the file {name}"),
            Notice::ConsentAsked {
                kind, technician, ..
            } => write!(
                f,
                "{technician} asks to {}: type /allow or /deny",
                match kind {
                    lifeline_protocol::ConsentKind::ViewScreen => "see your screen",
                    lifeline_protocol::ConsentKind::Control => "control your screen",
                }
            ),
            Notice::ConsentExpired { technician } => write!(
                f,
                "Nobody answered {technician}'s request in time, so it was declined"
            ),
            Notice::ShownWithoutAsking {
                technician,
                nobody_here,
                ..
            } => write!(
                f,
                "{technician} was let in without asking: {}",
                if *nobody_here {
                    "nobody was using this computer"
                } else {
                    "the company's setting says so"
                }
            ),
            Notice::ScreenShared {
                technician,
                control,
            } => write!(
                f,
                "{technician} is {} this screen; type /stop to stop",
                if *control { "controlling" } else { "viewing" }
            ),
            Notice::ScreenStopped {
                technician,
                by_technician,
            } => write!(
                f,
                "{technician} no longer sees this screen{}",
                if *by_technician {
                    " (stopped by the technician)"
                } else {
                    ""
                }
            ),
            Notice::Problem(problem) => write!(f, "Problem: {problem}"),
        }
    }
}

/// What the person at the computer asks for: chat and files while a technician is
/// connected, and the end of the session at any time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Say(String),
    SendFile(PathBuf),
    /// The person's answer to the technician's latest request to see the screen.
    AnswerConsent {
        request_id: Uuid,
        allow: bool,
    },
    /// Stop sending the screen now.
    StopSharing,
    End,
}

impl Request {
    /// A line typed at the terminal: `/send <path>` sends a file, `/end` ends the
    /// session, anything else is chat.
    pub fn from_line(line: &str) -> Option<Self> {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.trim() == "/end" {
            return Some(Request::End);
        }
        if let Some(path) = line.strip_prefix("/send ") {
            return Some(Request::SendFile(PathBuf::from(path.trim())));
        }
        (!line.trim().is_empty()).then(|| Request::Say(line.to_owned()))
    }
}

/// The agent's side of the password check: its verifier from enrollment and its
/// current single-use challenge.
pub struct Gate {
    adhoc_session_id: Uuid,
    verifier: lifeline_protocol::AdhocVerifier,
    nonce: Option<String>,
}

impl Gate {
    pub fn new(credentials: &Credentials) -> Self {
        Self {
            adhoc_session_id: credentials.session_id,
            verifier: credentials.verifier.clone(),
            nonce: None,
        }
    }

    /// A new challenge, replacing the current one; to be published.
    pub fn renew(&mut self) -> String {
        let nonce = lifeline_adhoc_key::new_nonce();
        self.nonce = Some(nonce.clone());
        nonce
    }

    /// Whether `proof` signs the current challenge with the password's key. The
    /// challenge is used up either way, so a proof cannot be replayed.
    pub fn check(&mut self, nonce: &str, proof: &str) -> bool {
        let current = self.nonce.take();
        current.as_deref() == Some(nonce)
            && lifeline_adhoc_key::verify(&self.verifier, self.adhoc_session_id, nonce, proof)
    }
}

/// An open connection: the agent in the connection's session as its end-user party.
pub struct Connection {
    api: ApiClient,
    pub(crate) realtime: RealtimeClient,
    session_id: Uuid,
    pub technician: String,
    /// The technician's request to see the screen that waits for the person's answer,
    /// and when it was asked.
    asked: Option<(Uuid, ConsentKind, std::time::Instant)>,
    sharing: Option<Sharing>,
    /// When the person at the computer is asked.
    policy: Policy,
}

/// When the person at the computer answers a technician's request: the company's rule,
/// and how long without input means nobody is there.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub confirmation: lifeline_protocol::ControlConfirmation,
    pub away_after: std::time::Duration,
    /// A request nobody answers is declined after this long.
    pub answer_within: std::time::Duration,
}

/// A free path in `dir` for a received file: its bare name, numbered if taken.
fn free_path(dir: &Path, name: &str) -> PathBuf {
    let name = Path::new(name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".to_owned());
    let candidate = dir.join(&name);
    if !candidate.exists() {
        return candidate;
    }
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem.to_owned(), format!(".{ext}")),
        _ => (name.clone(), String::new()),
    };
    (1..)
        .map(|n| dir.join(format!("{stem} ({n}){extension}")))
        .find(|path| !path.exists())
        .unwrap_or(candidate)
}

impl Connection {
    /// Joins the connection's session and describes this computer to the technician.
    pub async fn open(
        credentials: &Credentials,
        ticket: AgentConnection,
        technician: String,
        policy: Policy,
        notify: &(impl Fn(Notice) + Clone + Send + Sync + 'static),
    ) -> Result<Self, AgentError> {
        let api = crate::run::api_for(credentials)?;
        api.use_end_user_token(&ticket.end_user_token, ticket.session_id)
            .await;
        let info = tokio::task::spawn_blocking(computer::system_info)
            .await
            .map_err(|e| AgentError::Usage(format!("reading system information: {e}")))?;
        api.post_system_info(ticket.session_id, &info).await?;
        let realtime = RealtimeClient::connect(api.clone(), RealtimeOptions::default());
        notify(Notice::TechnicianConnected {
            technician: technician.clone(),
        });
        Ok(Self {
            api,
            realtime,
            session_id: ticket.session_id,
            technician,
            asked: None,
            sharing: None,
            policy,
        })
    }

    /// Acts on an event of the connection; false once it is over.
    pub fn handle(
        &mut self,
        event: RealtimeEvent,
        downloads: &Path,
        notify: &(impl Fn(Notice) + Clone + Send + Sync + 'static),
    ) -> bool {
        let event = match event {
            RealtimeEvent::Event(event) => event,
            RealtimeEvent::Rejected(_) => return false,
            _ => return true,
        };
        match event.data {
            EventData::Message {
                from: Party::Technician,
                text,
                ..
            } => {
                notify(Notice::Message {
                    from: self.technician.clone(),
                    text,
                });
                self.realtime.read(self.session_id, event.seq);
            }
            EventData::FileShared { file } if file.from == Party::Technician => {
                let api = self.api.clone();
                let notify = notify.clone();
                let dest = free_path(downloads, &file.name);
                tokio::spawn(async move {
                    let result =
                        match tokio::fs::create_dir_all(dest.parent().unwrap_or(&dest)).await {
                            Ok(()) => api.download_file(&file, &dest, |_| {}).await,
                            Err(err) => Err(err.into()),
                        };
                    notify(match result {
                        Ok(()) => Notice::FileReceived {
                            name: file.name.clone(),
                            path: dest,
                        },
                        Err(err) => Notice::Problem(format!("receiving {}: {err}", file.name)),
                    });
                });
            }
            EventData::ConsentRequested { request_id, kind } => {
                // A newer request replaces one not answered yet.
                self.asked = Some((request_id, kind, std::time::Instant::now()));
                let presence = crate::presence::presence(self.policy.away_after);
                if crate::presence::must_ask(self.policy.confirmation, presence) {
                    notify(Notice::ConsentAsked {
                        request_id,
                        kind,
                        technician: self.technician.clone(),
                        answer_within_secs: u32::try_from(self.policy.answer_within.as_secs())
                            .unwrap_or(u32::MAX),
                    });
                } else {
                    self.allow_without_asking(request_id, kind, presence, notify);
                }
            }
            EventData::SessionEnded { .. } => return false,
            _ => {}
        }
        true
    }

    /// The rule lets the technician in without the person's answer: the screen is shown,
    /// and both sides read why (the window here, the chat there).
    fn allow_without_asking(
        &mut self,
        request_id: Uuid,
        kind: ConsentKind,
        presence: crate::presence::Presence,
        notify: &(impl Fn(Notice) + Clone + Send + Sync + 'static),
    ) {
        let nobody_here = presence == crate::presence::Presence::Away;
        notify(Notice::ShownWithoutAsking {
            technician: self.technician.clone(),
            kind,
            nobody_here,
        });
        let why = if nobody_here {
            "Nobody is using this computer now, so it is shown without asking, as your company's setting allows."
        } else {
            "Your company's setting lets you in without asking the person at this computer."
        };
        let api = self.api.clone();
        let session_id = self.session_id;
        tokio::spawn(async move {
            if let Err(err) = api.send_message(session_id, Uuid::new_v4(), why).await {
                tracing::debug!(error = %err, "telling the technician");
            }
        });
        self.perform(
            Request::AnswerConsent {
                request_id,
                allow: true,
            },
            notify,
        );
    }

    /// Declines a request nobody answered in time, and tells both sides.
    pub fn expire_unanswered(
        &mut self,
        notify: &(impl Fn(Notice) + Clone + Send + Sync + 'static),
    ) {
        let Some((request_id, _, asked_at)) = self.asked else {
            return;
        };
        if asked_at.elapsed() < self.policy.answer_within {
            return;
        }
        self.asked = None;
        notify(Notice::ConsentExpired {
            technician: self.technician.clone(),
        });
        let api = self.api.clone();
        let session_id = self.session_id;
        tokio::spawn(async move {
            if let Err(err) = api.answer_consent(session_id, request_id, false).await {
                tracing::debug!(error = %err, "declining an unanswered request");
            }
            let text = "Nobody answered at the computer in time, so the request was declined.";
            if let Err(err) = api.send_message(session_id, Uuid::new_v4(), text).await {
                tracing::debug!(error = %err, "telling the technician");
            }
        });
    }

    /// Carries out what the person asked for, in the background.
    pub fn perform(
        &mut self,
        request: Request,
        notify: &(impl Fn(Notice) + Clone + Send + Sync + 'static),
    ) {
        let api = self.api.clone();
        let session_id = self.session_id;
        match request {
            Request::AnswerConsent { request_id, allow } => {
                let Some((_, kind, _)) = self.asked.filter(|(id, _, _)| *id == request_id) else {
                    notify(Notice::Problem("that request was already answered".into()));
                    return;
                };
                self.asked = None;
                if allow {
                    if let Some(old) = self.sharing.take() {
                        old.stop();
                    }
                    self.sharing = Some(Sharing::start(
                        api,
                        session_id,
                        Some(request_id),
                        kind == ConsentKind::Control,
                        self.technician.clone(),
                        notify.clone(),
                    ));
                    return;
                }
                let report = notify.clone();
                tokio::spawn(async move {
                    if let Err(err) = api.answer_consent(session_id, request_id, false).await {
                        report(Notice::Problem(format!("answering the request: {err}")));
                    }
                });
            }
            Request::StopSharing => match self.sharing.take() {
                Some(sharing) if sharing.is_running() => sharing.stop(),
                _ => notify(Notice::Problem("the screen is not being shown".into())),
            },
            Request::Say(text) => {
                let notify = notify.clone();
                tokio::spawn(async move {
                    if let Err(err) = api.send_message(session_id, Uuid::new_v4(), &text).await {
                        notify(Notice::Problem(format!("sending the message: {err}")));
                    }
                });
            }
            Request::SendFile(path) => {
                let notify = notify.clone();
                tokio::spawn(async move {
                    match api.upload_file(session_id, &path, |_| {}).await {
                        Ok(file) => notify(Notice::FileSent { name: file.name }),
                        Err(err) => notify(Notice::Problem(format!(
                            "sending {}: {err}",
                            path.display()
                        ))),
                    }
                });
            }
            // The session's loop ends the session itself, before any connection.
            Request::End => {}
        }
    }

    /// Ends the connection's session (if the technician has not) and disconnects.
    pub async fn close(mut self) {
        if let Some(sharing) = self.sharing.take() {
            sharing.stop();
        }
        match self.api.end_session(self.session_id).await {
            Ok(_) => {}
            Err(err) if err.code() == Some(lifeline_protocol::ErrorCode::SessionEnded) => {}
            Err(err) => tracing::debug!(error = %err, "ending the connection's session"),
        }
        self.realtime.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_lines_become_chat_or_files() {
        assert_eq!(
            Request::from_line("hello there\n"),
            Some(Request::Say("hello there".into()))
        );
        assert_eq!(
            Request::from_line("/send notes/report.txt"),
            Some(Request::SendFile(PathBuf::from("notes/report.txt")))
        );
        assert_eq!(Request::from_line("/end\n"), Some(Request::End));
        assert_eq!(Request::from_line("   \n"), None);
    }

    #[test]
    fn received_files_never_overwrite_and_never_leave_the_folder() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(
            free_path(dir.path(), "../../etc/passwd"),
            dir.path().join("passwd")
        );
        std::fs::write(dir.path().join("log.txt"), "x").expect("write");
        assert_eq!(
            free_path(dir.path(), "log.txt"),
            dir.path().join("log (1).txt")
        );
    }
}
