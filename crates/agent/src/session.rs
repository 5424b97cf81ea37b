//! [`AgentSession`]: the one facade both front ends of the agent use, the window and
//! the terminal. It holds the view of the session, checks what the person asks for
//! against it, enrolls, runs the session loop ([`crate::run`]) in the background and
//! reports every change as an [`AgentUpdate`]. The front ends only forward input and
//! render updates.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use crate::connection::{Notice, Request};
use crate::credentials::{self, Credentials};
use crate::run::{self, Finish, Places};
use crate::view::{AgentUpdate, AgentView};
use crate::AgentError;

/// Why a copy of the agent does not know where to enroll.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoTarget {
    #[error("this copy does not say which session to join: download it again from the link in your email, or pass --server and --session")]
    NotInDownload,
}

/// What a running agent works with, from its command line and its download.
#[derive(Debug, Clone)]
pub struct AgentSetup {
    pub places: Places,
    /// Where files from the technician are saved.
    pub downloads: PathBuf,
    /// Where to enroll (service, session), or why this copy cannot.
    pub target: Result<(String, Uuid), NoTarget>,
    /// The program an autostart entry starts; `None`: no autostart.
    pub autostart_program: Option<PathBuf>,
    /// When the person at the computer counts as away, and how long they have to
    /// answer a technician's request.
    pub asking: crate::run::AskingRule,
    /// Set when this copy is an attended download: it joins that session instead.
    pub attended: Option<crate::attended::AttendedTarget>,
}

type OnUpdate = Box<dyn Fn(AgentUpdate) + Send + Sync>;

const TOO_MANY_CODES: &str = "the security code was wrong too often; ask your technician to prepare a new session and send a new link";

/// The agent's session on this computer, from the security code to the end.
pub struct AgentSession {
    setup: AgentSetup,
    runtime: tokio::runtime::Handle,
    view: watch::Sender<AgentView>,
    /// To the running session loop; `None` before enrollment and after the end.
    requests: Mutex<Option<mpsc::UnboundedSender<Request>>>,
    /// Credentials saved by an earlier run (a reboot within the 24 hours), until resumed.
    saved: Mutex<Option<Credentials>>,
    /// Enrollment runs that ended with a wrong code. Each let whoever answered test one
    /// guess, so this copy stops after as many as the service allows, whatever the
    /// service says.
    refused_runs: std::sync::atomic::AtomicU32,
    on_update: OnUpdate,
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl AgentSession {
    /// The session as this computer has it: waiting for a code, or saved from an earlier
    /// run (call [`AgentSession::resume`] to carry on). Background work runs on `runtime`;
    /// every change goes to `on_update`.
    pub fn new(
        setup: AgentSetup,
        runtime: tokio::runtime::Handle,
        on_update: impl Fn(AgentUpdate) + Send + Sync + 'static,
    ) -> Arc<Self> {
        if setup.attended.is_some() {
            // An attended copy keeps nothing on this computer and reads nothing saved.
            return Arc::new(Self {
                setup,
                runtime,
                view: watch::Sender::new(AgentView::joining()),
                requests: Mutex::new(None),
                saved: Mutex::new(None),
                refused_runs: Default::default(),
                on_update: Box::new(on_update),
            });
        }
        let saved = credentials::load(&setup.places.state_dir);
        let first_view = match (&saved, &setup.target) {
            (Err(err), _) => AgentView::Enroll {
                problem: Some(err.to_string()),
            },
            (Ok(Some(_)), _) | (Ok(None), Ok(_)) => AgentView::Enroll { problem: None },
            (Ok(None), Err(problem)) => AgentView::Enroll {
                problem: Some(problem.to_string()),
            },
        };
        Arc::new(Self {
            setup,
            runtime,
            view: watch::Sender::new(first_view),
            requests: Mutex::new(None),
            saved: Mutex::new(saved.ok().flatten()),
            refused_runs: Default::default(),
            on_update: Box::new(on_update),
        })
    }

    pub fn view(&self) -> AgentView {
        self.view.borrow().clone()
    }

    /// Whether the session runs: the window must not close then, or the technician
    /// would be cut off for the rest of the 24 hours (End session is the way out).
    pub fn is_running(&self) -> bool {
        matches!(
            *self.view.borrow(),
            AgentView::Active { .. } | AgentView::Attended { .. }
        )
    }

    /// Whether this copy is an attended download: it exits when its session is over.
    pub fn is_attended(&self) -> bool {
        self.setup.attended.is_some()
    }

    /// Carries on with a session saved by an earlier run, or joins the session of an
    /// attended download; false when there is neither.
    pub fn resume(self: &Arc<Self>) -> bool {
        if let Some(target) = self.setup.attended.clone() {
            if locked(&self.requests).is_none() && matches!(self.view(), AgentView::Attended { .. })
            {
                self.attend(target);
            }
            return true;
        }
        match locked(&self.saved).take() {
            Some(saved) => {
                self.stay_connected(saved);
                true
            }
            None => false,
        }
    }

    /// Enrolls with the security code the technician read out, then stays connected.
    pub async fn enroll(self: &Arc<Self>, code: &str) -> Result<AgentView, AgentError> {
        if !matches!(self.view(), AgentView::Enroll { problem: None }) {
            return Err(AgentError::NotWaitingForCode);
        }
        let (server, session) = self
            .setup
            .target
            .clone()
            .map_err(AgentError::CannotEnroll)?;
        let code = code.trim();
        if code.is_empty() || code.len() > MAX_CODE_LEN {
            return Err(AgentError::InvalidCode);
        }
        let setup = &self.setup;
        let enrolled = run::enroll(
            &server,
            session,
            code,
            &setup.places,
            setup.autostart_program.as_deref(),
            |started| {
                self.publish(
                    AgentView::Waiting {
                        technician: started.technician_name.clone(),
                        attempts_left: started.attempts_left,
                    },
                    None,
                );
            },
        )
        .await;
        match enrolled {
            Ok(credentials) => {
                self.stay_connected(credentials);
                Ok(self.view())
            }
            Err(err) => {
                use std::sync::atomic::Ordering;
                let refused = if err.is_wrong_code() {
                    self.refused_runs.fetch_add(1, Ordering::SeqCst) + 1
                } else {
                    self.refused_runs.load(Ordering::SeqCst)
                };
                if refused >= lifeline_protocol::MAX_CODE_ATTEMPTS {
                    self.publish(
                        AgentView::Enroll {
                            problem: Some(TOO_MANY_CODES.to_owned()),
                        },
                        None,
                    );
                } else if matches!(self.view(), AgentView::Waiting { .. }) {
                    // Back to the code, whatever went wrong: the person may type it again.
                    self.publish(AgentView::Enroll { problem: None }, None);
                }
                Err(err)
            }
        }
    }

    /// A chat message to the connected technician.
    pub fn say(&self, text: &str) -> Result<(), AgentError> {
        if text.trim().is_empty() {
            return Err(AgentError::EmptyMessage);
        }
        if text.chars().count() > lifeline_protocol::MAX_MESSAGE_CHARS {
            return Err(AgentError::MessageTooLong(
                lifeline_protocol::MAX_MESSAGE_CHARS,
            ));
        }
        self.technician_connected()?;
        self.request(Request::Say(text.to_owned()))
    }

    /// A file to the connected technician.
    pub fn send_file(&self, path: PathBuf) -> Result<(), AgentError> {
        if !path.is_file() {
            return Err(AgentError::NotAFile(path));
        }
        self.technician_connected()?;
        self.request(Request::SendFile(path))
    }

    /// The person's answer to the technician's request waiting in the view.
    pub fn answer_consent(&self, allow: bool) -> Result<(), AgentError> {
        let asking = match &*self.view.borrow() {
            AgentView::Active {
                asking: Some(asking),
                ..
            } => asking.clone(),
            _ => return Err(AgentError::NothingAsked),
        };
        self.request(Request::AnswerConsent {
            request_id: asking.request_id,
            allow,
        })?;
        self.view.send_modify(AgentView::answered);
        let view = self.view();
        (self.on_update)(AgentUpdate { view, notice: None });
        Ok(())
    }

    /// Stops showing the screen to the technician, at once.
    pub fn stop_sharing(&self) -> Result<(), AgentError> {
        match &*self.view.borrow() {
            AgentView::Active {
                screen_shared: true,
                ..
            }
            | AgentView::Attended {
                screen_shared: true,
                ..
            } => {}
            _ => return Err(AgentError::NotSharing),
        }
        self.request(Request::StopSharing)
    }

    /// Ends the session at once: at the service, and everything the agent created here.
    /// An attended copy leaves its session (which goes on in the browser) and removes
    /// itself.
    pub fn end(&self) -> Result<(), AgentError> {
        self.request(Request::End)
    }

    /// Waits until the session is over, and says how it ended.
    pub async fn ended(&self) -> AgentView {
        let mut view = self.view.subscribe();
        let ended = match view
            .wait_for(|view| matches!(view, AgentView::Ended { .. }))
            .await
        {
            Ok(ended) => ended.clone(),
            Err(_) => self.view(),
        };
        ended
    }

    fn technician_connected(&self) -> Result<(), AgentError> {
        match &*self.view.borrow() {
            AgentView::Active {
                connected_now: Some(_),
                ..
            } => Ok(()),
            _ => Err(AgentError::NoTechnician),
        }
    }

    fn request(&self, request: Request) -> Result<(), AgentError> {
        match locked(&self.requests).as_ref() {
            Some(session) if session.send(request).is_ok() => Ok(()),
            _ => Err(AgentError::NoSession),
        }
    }

    fn publish(&self, view: AgentView, notice: Option<Notice>) {
        self.view.send_replace(view.clone());
        (self.on_update)(AgentUpdate { view, notice });
    }

    /// Follows a notice of the running session, and reports it with the view it made.
    fn note(&self, notice: Notice) {
        let mut view = None;
        self.view.send_modify(|current| {
            current.apply(&notice);
            view = Some(current.clone());
        });
        if let Some(view) = view {
            (self.on_update)(AgentUpdate {
                view,
                notice: Some(notice),
            });
        }
    }

    /// Runs the session loop in the background until the session ends.
    fn stay_connected(self: &Arc<Self>, credentials: Credentials) {
        let (requests, received) = mpsc::unbounded_channel();
        *locked(&self.requests) = Some(requests);
        self.publish(AgentView::active(&credentials, &self.setup.downloads), None);
        let session = Arc::clone(self);
        self.runtime.spawn(async move {
            let notify = {
                let session = Arc::clone(&session);
                move |notice: Notice| session.note(notice)
            };
            let setup = &session.setup;
            let outcome = run::stay_connected(
                &credentials,
                &setup.places,
                &setup.downloads,
                setup.asking,
                received,
                notify,
            )
            .await;
            locked(&session.requests).take();
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
            session.publish(ended, None);
        });
    }
}

impl AgentSession {
    /// Runs an attended download's session in the background until it is over, then
    /// removes the downloaded program.
    fn attend(self: &Arc<Self>, target: crate::attended::AttendedTarget) {
        let (requests, received) = mpsc::unbounded_channel();
        *locked(&self.requests) = Some(requests);
        let session = Arc::clone(self);
        self.runtime.spawn(async move {
            let notify = {
                let session = Arc::clone(&session);
                move |notice: Notice| session.note(notice)
            };
            let outcome = crate::attended::run(&target, received, notify).await;
            locked(&session.requests).take();
            let removed = match &target.program {
                Some(program) => crate::attended::remove_program(program),
                None => Ok(()),
            }
            .and(match &session.setup.places.installed_copy {
                Some(dir) => crate::removal::remove_folder(dir),
                None => Ok(()),
            });
            let ended = match (outcome, removed) {
                (Ok(finish), Ok(())) => AgentView::Ended {
                    finish,
                    problem: None,
                },
                (Ok(finish), Err(err)) => AgentView::Ended {
                    finish,
                    problem: Some(err.to_string()),
                },
                (Err(err), _) => AgentView::Ended {
                    finish: Finish::Refused,
                    problem: Some(err.to_string()),
                },
            };
            session.publish(ended, None);
        });
    }
}

/// Security codes are short; anything longer is not one (and is not sent anywhere).
const MAX_CODE_LEN: usize = 64;
