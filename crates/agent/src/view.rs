//! What the agent's window shows, as data: the window renders an [`AgentView`] and the
//! [`Notice`]s that change it, and holds no logic of its own.

use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

use crate::connection::Notice;
use crate::credentials::Credentials;
use crate::run::Finish;

/// The window's whole state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "phase", rename_all = "camelCase")]
pub enum AgentView {
    /// Waiting for the security code; `problem` says why this copy cannot enroll (it
    /// does not know its session).
    #[serde(rename_all = "camelCase")]
    Enroll { problem: Option<String> },
    /// The code was typed; the technician's Lifeline app must now answer (it hands over
    /// the password's verifier under a key only the right code gives). `attempts_left`
    /// counts the codes that may still be tried after this one.
    #[serde(rename_all = "camelCase")]
    Waiting {
        technician: String,
        attempts_left: u32,
    },
    /// Enrolled: with whom and until when (Unix ms), whether the service is reachable
    /// now, and which technician is connected to this computer now, if any.
    #[serde(rename_all = "camelCase")]
    Active {
        technician: String,
        #[ts(type = "number")]
        until: i64,
        online: bool,
        connected_now: Option<String>,
        downloads: String,
        /// The technician's request to see (or control) the screen, waiting for an answer.
        asking: Option<ConsentAsk>,
        /// Whether the connected technician sees this screen now.
        screen_shared: bool,
        /// Whether the connected technician controls this screen now.
        controlled: bool,
    },
    /// An attended download in its session: `technician` once joined, and whether they
    /// see and control this screen now.
    #[serde(rename_all = "camelCase")]
    Attended {
        technician: Option<String>,
        screen_shared: bool,
        controlled: bool,
    },
    /// Over, and everything the agent created is gone; `problem` if cleaning up failed.
    #[serde(rename_all = "camelCase")]
    Ended {
        finish: Finish,
        problem: Option<String>,
    },
}

impl AgentView {
    /// Enrolled and about to connect.
    pub fn active(credentials: &Credentials, downloads: &Path) -> Self {
        AgentView::Active {
            technician: credentials.technician_name.clone(),
            until: credentials.expires_at,
            online: false,
            connected_now: None,
            downloads: for_people(downloads, dirs::home_dir()),
            asking: None,
            screen_shared: false,
            controlled: false,
        }
    }

    /// An attended download, joining its session.
    pub fn joining() -> Self {
        AgentView::Attended {
            technician: None,
            screen_shared: false,
            controlled: false,
        }
    }

    /// Follows what a notice says about the connection.
    pub fn apply(&mut self, notice: &Notice) {
        if let AgentView::Attended {
            technician,
            screen_shared,
            controlled,
        } = self
        {
            match notice {
                Notice::Connected {
                    technician: who, ..
                } => *technician = Some(who.clone()),
                Notice::ScreenShared { control, .. } => {
                    *screen_shared = true;
                    *controlled = *control;
                }
                Notice::ScreenStopped { .. } => {
                    *screen_shared = false;
                    *controlled = false;
                }
                _ => {}
            }
            return;
        }
        let AgentView::Active {
            online,
            connected_now,
            asking,
            screen_shared,
            controlled,
            ..
        } = self
        else {
            return;
        };
        match notice {
            Notice::Connected { .. } => *online = true,
            Notice::Reconnecting { .. } => {
                *online = false;
                *connected_now = None;
                *asking = None;
                *screen_shared = false;
                *controlled = false;
            }
            Notice::TechnicianConnected { technician } => *connected_now = Some(technician.clone()),
            Notice::TechnicianLeft { .. } => {
                *connected_now = None;
                *asking = None;
                *screen_shared = false;
                *controlled = false;
            }
            Notice::ConsentAsked {
                request_id,
                kind,
                answer_within_secs,
                ..
            } => {
                *asking = Some(ConsentAsk {
                    request_id: *request_id,
                    kind: *kind,
                    expires_at: now_ms() + i64::from(*answer_within_secs) * 1000,
                })
            }
            Notice::ConsentExpired { .. } => *asking = None,
            Notice::ScreenShared { control, .. } => {
                *screen_shared = true;
                *controlled = *control;
            }
            Notice::ScreenStopped { .. } => {
                *screen_shared = false;
                *controlled = false;
            }
            _ => {}
        }
    }

    /// The person answered the request waiting in the window.
    pub fn answered(&mut self) {
        if let AgentView::Active { asking, .. } = self {
            *asking = None;
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// A folder as people write it: `~/Downloads` rather than the full path of the home.
fn for_people(path: &Path, home: Option<PathBuf>) -> String {
    match home
        .as_deref()
        .and_then(|home| path.strip_prefix(home).ok())
    {
        Some(inside) if inside.as_os_str().is_empty() => "~".to_owned(),
        Some(inside) => format!("~/{}", inside.display()),
        None => path.display().to_string(),
    }
}

/// A request of the technician's that the person at the computer answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ConsentAsk {
    #[ts(type = "string")]
    pub request_id: uuid::Uuid,
    pub kind: lifeline_protocol::ConsentKind,
    /// When it is declined by itself (Unix ms), for the window's countdown.
    #[ts(type = "number")]
    pub expires_at: i64,
}

/// One change for the window: the view as it is now, and the notice that changed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct AgentUpdate {
    pub view: AgentView,
    pub notice: Option<Notice>,
}

impl From<crate::AgentError> for lifeline_client::ipc::IpcError {
    fn from(err: crate::AgentError) -> Self {
        use lifeline_client::ipc::{IpcError, IpcErrorCode};
        match err {
            crate::AgentError::Client(err) => err.into(),
            crate::AgentError::Io { .. }
            | crate::AgentError::Corrupt(_)
            | crate::AgentError::NoHome => IpcError::new(IpcErrorCode::File, err.to_string()),
            // The window tells a wrong code by this code, whoever found it wrong.
            crate::AgentError::InvalidCode => IpcError::new(
                IpcErrorCode::Service(lifeline_protocol::ErrorCode::CodeInvalid),
                err.to_string(),
            ),
            crate::AgentError::NotAFile(_) => IpcError::new(IpcErrorCode::File, err.to_string()),
            crate::AgentError::Usage(_)
            | crate::AgentError::NotWaitingForCode
            | crate::AgentError::CannotEnroll(_)
            | crate::AgentError::NoSession
            | crate::AgentError::NoTechnician
            | crate::AgentError::EmptyMessage
            | crate::AgentError::MessageTooLong(_)
            | crate::AgentError::NothingAsked
            | crate::AgentError::NotSharing => {
                IpcError::new(IpcErrorCode::InvalidInput, err.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn active() -> AgentView {
        AgentView::Active {
            technician: "Tina Tech".into(),
            until: 1_795_410_322_726,
            online: false,
            connected_now: None,
            downloads: "/home/erika/Downloads".into(),
            asking: None,
            screen_shared: false,
            controlled: false,
        }
    }

    #[test]
    fn notices_move_the_view_between_online_connected_and_offline() {
        let mut view = active();
        view.apply(&Notice::Connected {
            technician: "Tina Tech".into(),
            until: 0,
        });
        view.apply(&Notice::TechnicianConnected {
            technician: "Tina Tech".into(),
        });
        assert!(matches!(
            &view,
            AgentView::Active { online: true, connected_now: Some(who), .. } if who == "Tina Tech"
        ));
        view.apply(&Notice::Reconnecting {
            reason: "network".into(),
        });
        assert!(
            matches!(
                view,
                AgentView::Active {
                    online: false,
                    connected_now: None,
                    ..
                }
            ),
            "nobody is connected while the service is out of reach"
        );
        let mut ended = AgentView::Ended {
            finish: Finish::Ended,
            problem: None,
        };
        ended.apply(&Notice::Connected {
            technician: "Tina Tech".into(),
            until: 0,
        });
        assert_eq!(
            ended,
            AgentView::Ended {
                finish: Finish::Ended,
                problem: None
            },
            "an ended session stays ended"
        );
    }

    #[test]
    fn folders_in_the_home_read_from_the_tilde() {
        let home = Some(PathBuf::from("/home/erika"));
        assert_eq!(
            for_people(Path::new("/home/erika/Downloads"), home.clone()),
            "~/Downloads"
        );
        assert_eq!(for_people(Path::new("/home/erika"), home.clone()), "~");
        assert_eq!(
            for_people(Path::new("/home/erikas-files"), home),
            "/home/erikas-files"
        );
        assert_eq!(for_people(Path::new("/srv/in"), None), "/srv/in");
    }

    #[test]
    fn the_window_gets_tagged_camel_case_json() -> Result<(), serde_json::Error> {
        let update = AgentUpdate {
            view: active(),
            notice: Some(Notice::WrongPassword {
                technician: "Tina Tech".into(),
            }),
        };
        assert_eq!(
            serde_json::to_value(&update)?,
            serde_json::json!({
                "view": {"phase": "active", "technician": "Tina Tech", "until": 1_795_410_322_726_i64,
                         "online": false, "connectedNow": null, "downloads": "/home/erika/Downloads",
                         "asking": null, "screenShared": false, "controlled": false},
                "notice": {"kind": "wrongPassword", "detail": {"technician": "Tina Tech"}}
            })
        );
        Ok(())
    }
}
