//! The desk's chat messages: sent on the realtime connection while it is up, with no
//! request each, and over the messages route when it is down or no answer comes in
//! time. Both ways carry one client id, so the service stores a message once however
//! often it arrives.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use lifeline_protocol::{ApiError, ErrorCode, EventData, SessionEvent};
use tokio::sync::oneshot;
use uuid::Uuid;

use super::{Desk, DeskError};
use crate::ClientError;

/// How long a message sent on the connection may take to come back stored before it
/// goes again over the messages route.
const ANSWER_WITHIN: Duration = Duration::from_secs(5);

type Answer = Result<SessionEvent, ApiError>;

/// Messages sent on the connection whose stored event or refusal has not come yet.
#[derive(Default)]
pub(crate) struct Outbox {
    waiting: Mutex<HashMap<Uuid, oneshot::Sender<Answer>>>,
}

impl Outbox {
    fn expect(&self, client_id: Uuid) -> oneshot::Receiver<Answer> {
        let (answer, answered) = oneshot::channel();
        self.lock().insert(client_id, answer);
        answered
    }

    fn forget(&self, client_id: Uuid) {
        self.lock().remove(&client_id);
    }

    /// An event from the connection: the answer to a message sent on it, if it is one.
    pub(crate) fn stored(&self, event: &SessionEvent) {
        if let EventData::Message { client_id, .. } = &event.data {
            if let Some(waiting) = self.lock().remove(client_id) {
                let _ = waiting.send(Ok(event.clone()));
            }
        }
    }

    /// A message sent on the connection was refused.
    pub(crate) fn refused(&self, client_id: Uuid, error: ApiError) {
        if let Some(waiting) = self.lock().remove(&client_id) {
            let _ = waiting.send(Err(error));
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, oneshot::Sender<Answer>>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Desk {
    /// Sends a chat message and returns it as stored.
    pub async fn send_message(
        &self,
        session_id: Uuid,
        text: &str,
    ) -> Result<SessionEvent, DeskError> {
        if text.trim().is_empty() {
            return Err(DeskError::InvalidInput("the message is empty".into()));
        }
        let api = self.api().await?;
        let client_id = Uuid::new_v4();
        let outbox = &self.shared.outbox;
        let mut answer = None;
        self.with_live(|live| {
            answer = Some(outbox.expect(client_id));
            live.send_message(session_id, client_id, text);
        });
        if let Some(answer) = answer {
            match tokio::time::timeout(ANSWER_WITHIN, answer).await {
                Ok(Ok(Ok(event))) => return Ok(event),
                // Busy or failing for now: the route below tries again.
                Ok(Ok(Err(error)))
                    if matches!(error.code, ErrorCode::RateLimited | ErrorCode::Internal) => {}
                Ok(Ok(Err(error))) => {
                    return Err(ClientError::Api { status: 0, error }.into());
                }
                Ok(Err(_)) | Err(_) => outbox.forget(client_id),
            }
        }
        Ok(api.send_message(session_id, client_id, text).await?)
    }
}
