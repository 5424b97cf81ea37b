//! Enrolling, staying connected, and cleaning up at the end.

use std::path::{Path, PathBuf};

use lifeline_client::{ApiClient, ClientError, RealtimeClient, RealtimeEvent, RealtimeOptions};
use lifeline_protocol::{AdhocStatus, ConnectVerdict, ErrorCode, VerdictRecorded};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::connection::{Connection, Gate, Notice, Policy, Request};
use crate::credentials::{self, Credentials};
use crate::{autostart, computer, AgentError};

/// Where the agent keeps what it creates; everything here is removed at the end.
#[derive(Debug, Clone)]
pub struct Places {
    pub state_dir: PathBuf,
    /// The `.desktop` file on Linux, the `Run` value's name on Windows.
    pub autostart_entry: PathBuf,
    /// The folder the Windows download installed this copy into, removed at the end
    /// too; `None` when this copy runs where the user put it.
    pub installed_copy: Option<PathBuf>,
}

/// When the person at the computer is asked, and for how long.
#[derive(Debug, Clone, Copy)]
pub struct AskingRule {
    /// Without input for this long, the computer counts as unattended.
    pub away_after: std::time::Duration,
    /// A request nobody answers is declined after this long.
    pub answer_within: std::time::Duration,
}

/// Why the agent stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub enum Finish {
    Ended,
    Expired,
    /// The service no longer accepts this agent (ended while it was away).
    Refused,
    /// Attended: the person closed the app.
    Left,
    /// Attended: the technician closed the app's access.
    Cancelled,
}

/// Enrolls with the code and saves the credentials; a wrong code saves nothing.
/// `waiting` is told when the technician's app must answer.
pub async fn enroll(
    server: &str,
    session_id: Uuid,
    code: &str,
    places: &Places,
    autostart_program: Option<&Path>,
    waiting: impl FnOnce(&lifeline_protocol::EnrollmentStarted),
) -> Result<Credentials, AgentError> {
    let api = ApiClient::new(server)?;
    let (activated, verifier) = api
        .enroll_adhoc(session_id, code, computer::describe(), waiting)
        .await?;
    let credentials = Credentials {
        server: server.trim_end_matches('/').to_owned(),
        session_id: activated.session_id,
        agent_token: activated.agent_token,
        verifier,
        technician_name: activated.technician_name,
        expires_at: activated.expires_at,
    };
    credentials::save(&places.state_dir, &credentials)?;
    if let Some(program) = autostart_program {
        let mut command = vec![
            program.as_os_str(),
            "--state-dir".as_ref(),
            places.state_dir.as_os_str(),
        ];
        if places.installed_copy.is_some() {
            command.push("--installed".as_ref());
        }
        autostart::install(&places.autostart_entry, &command)?;
    }
    Ok(credentials)
}

/// Removes everything the agent created: its credentials, its state, its autostart
/// entry and the copy the Windows download installed. (The program the user
/// downloaded is theirs to keep or delete.)
pub fn clean_up(places: &Places) -> Result<(), AgentError> {
    autostart::remove(&places.autostart_entry)?;
    credentials::remove(&places.state_dir)?;
    match &places.installed_copy {
        Some(dir) => crate::removal::remove_folder(dir),
        None => Ok(()),
    }
}

pub(crate) fn api_for(credentials: &Credentials) -> Result<ApiClient, AgentError> {
    Ok(ApiClient::new(&credentials.server)?)
}

/// Tells the service the person at the computer ends the session.
async fn end_at_service(api: &ApiClient) -> Result<(), ClientError> {
    match api.agent_end().await {
        Ok(_) => Ok(()),
        // Already over: nothing left to end, only to clean up.
        Err(ClientError::Api { error, .. })
            if matches!(
                error.code,
                ErrorCode::SessionEnded | ErrorCode::Unauthorized
            ) =>
        {
            Ok(())
        }
        Err(err) => Err(err),
    }
}

/// The person at the computer ends the session now (from the terminal, while no agent
/// is running).
pub async fn end_now(credentials: &Credentials, places: &Places) -> Result<(), AgentError> {
    let api = api_for(credentials)?;
    api.use_end_user_token(&credentials.agent_token, credentials.session_id)
        .await;
    end_at_service(&api).await?;
    clean_up(places)
}

/// Stays connected until the session ends or expires, answering technicians who
/// connect, reporting to `notify` and taking the person's `requests`; then cleans up.
pub async fn stay_connected(
    credentials: &Credentials,
    places: &Places,
    downloads: &Path,
    asking: AskingRule,
    requests: mpsc::UnboundedReceiver<Request>,
    notify: impl Fn(Notice) + Clone + Send + Sync + 'static,
) -> Result<Finish, AgentError> {
    let api = api_for(credentials)?;
    api.use_end_user_token(&credentials.agent_token, credentials.session_id)
        .await;
    let options = RealtimeOptions {
        auto_delivered: false,
        ..RealtimeOptions::default()
    };
    let mut gate = Gate::new(credentials);
    // The first challenge goes out before the connection: the service lists the
    // computer online as soon as it connects, and a technician who connects right then
    // must find a challenge waiting.
    if let Err(err) = api.agent_publish_challenge(&gate.renew()).await {
        notify(Notice::Problem(format!("publishing the challenge: {err}")));
    }
    let mut reconnecting = false;
    let mut realtime = RealtimeClient::connect(api.clone(), options);
    let mut connection: Option<Connection> = None;
    // `None` once nobody types any more (stdin closed), so that branch stops firing.
    let mut requests = Some(requests);
    // Unanswered requests are looked at once a second.
    let mut expiry = tokio::time::interval(std::time::Duration::from_secs(1));
    let finish = loop {
        tokio::select! {
            _ = expiry.tick() => {
                if let Some(open) = connection.as_mut() {
                    open.expire_unanswered(&notify);
                }
            }
            event = realtime.next() => {
                let Some(event) = event else { break Finish::Refused };
                match event {
                    RealtimeEvent::Connected { .. } => {
                        notify(Notice::Connected {
                            technician: credentials.technician_name.clone(),
                            until: credentials.expires_at,
                        });
                        // A fresh challenge after each reconnect: the one before may have
                        // been used while this agent was away.
                        if reconnecting {
                            if let Err(err) = api.agent_publish_challenge(&gate.renew()).await {
                                notify(Notice::Problem(format!("publishing the challenge: {err}")));
                            }
                        }
                        reconnecting = true;
                    }
                    RealtimeEvent::Disconnected { reason } => notify(Notice::Reconnecting { reason }),
                    RealtimeEvent::Adhoc(session) if session.status == AdhocStatus::Ended => {
                        break Finish::Ended
                    }
                    RealtimeEvent::Adhoc(session) if session.status == AdhocStatus::Expired => {
                        break Finish::Expired
                    }
                    RealtimeEvent::ConnectRequested { connection_id, technician_name, nonce, proof, control_confirmation } => {
                        let policy = Policy {
                            confirmation: control_confirmation,
                            away_after: asking.away_after,
                            answer_within: asking.answer_within,
                        };
                        let accepted = gate.check(&nonce, &proof);
                        let verdict = ConnectVerdict { accepted, next_nonce: gate.renew() };
                        match api.agent_verdict(connection_id, &verdict).await {
                            Ok(VerdictRecorded { connection: Some(ticket) }) if accepted => {
                                if let Some(old) = connection.take() {
                                    old.close().await;
                                }
                                match Connection::open(credentials, ticket, technician_name, policy, &notify).await {
                                    Ok(opened) => connection = Some(opened),
                                    Err(err) => notify(Notice::Problem(format!("opening the connection: {err}"))),
                                }
                            }
                            Ok(_) if !accepted => notify(Notice::WrongPassword { technician: technician_name }),
                            Ok(_) => {}
                            Err(err) => notify(Notice::Problem(format!("answering the technician: {err}"))),
                        }
                    }
                    RealtimeEvent::Rejected(_) => break Finish::Refused,
                    _ => {}
                }
            }
            event = next_connection_event(&mut connection) => {
                let still_open = match (connection.as_mut(), event) {
                    (Some(open), Some(event)) => open.handle(event, downloads, &notify),
                    _ => false,
                };
                if !still_open {
                    if let Some(closed) = connection.take() {
                        notify(Notice::TechnicianLeft { technician: closed.technician.clone() });
                        closed.close().await;
                    }
                }
            }
            request = next_request(&mut requests) => match (request, connection.as_mut()) {
                (Some(Request::End), _) => {
                    // The person's wish wins: without the service the credentials still
                    // go, so nobody can connect again, and the session expires there.
                    if let Err(err) = end_at_service(&api).await {
                        notify(Notice::Problem(format!("telling the service the session ended: {err}")));
                    }
                    break Finish::Ended;
                }
                (Some(request), Some(open)) => open.perform(request, &notify),
                (Some(_), None) => notify(Notice::Problem("no technician is connected now".into())),
                (None, _) => requests = None,
            },
        }
    };
    if let Some(open) = connection.take() {
        open.close().await;
    }
    realtime.close();
    clean_up(places)?;
    Ok(finish)
}

async fn next_request(requests: &mut Option<mpsc::UnboundedReceiver<Request>>) -> Option<Request> {
    match requests {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
    }
}

async fn next_connection_event(connection: &mut Option<Connection>) -> Option<RealtimeEvent> {
    match connection {
        Some(open) => open.realtime.next().await,
        None => std::future::pending().await,
    }
}

/// A UTC time for people, e.g. `2026-11-24 09:15 UTC`.
pub fn local_time(unix_ms: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(unix_ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| unix_ms.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_read_as_calendar_dates() {
        assert_eq!(super::local_time(0), "1970-01-01 00:00 UTC");
        assert_eq!(super::local_time(1_795_410_322_726), "2026-11-23 05:05 UTC");
    }
}
