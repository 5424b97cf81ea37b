//! The technician's input on its way to the agent: each event is checked against its
//! limits, the live stream's display, the end user's consent to control and a rate,
//! then queued for the sender. Input is relayed, never stored or logged.

use std::time::Instant;

use lifeline_protocol::InputEvent;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::store::SessionRecord;

use super::Relay;

/// Input events a viewer may send per second on average (a pointer at 60 Hz and typing
/// fit well under it), and in one burst.
pub const INPUT_PER_SEC: f64 = 200.0;
pub const INPUT_BURST: f64 = 400.0;

/// One viewer's gate for input.
pub struct InputGate {
    /// The stream for which the control consent was confirmed. Consent to control is
    /// withdrawn only by stopping the stream, so it holds for the stream's life.
    confirmed_for: Option<Uuid>,
    tokens: f64,
    refilled_at: Instant,
}

impl Default for InputGate {
    fn default() -> Self {
        Self {
            confirmed_for: None,
            tokens: INPUT_BURST,
            refilled_at: Instant::now(),
        }
    }
}

impl InputGate {
    /// Lets `event` through to the session's sender, or says why not.
    pub async fn admit(
        &mut self,
        state: &AppState,
        session: &SessionRecord,
        relay: &Relay,
        event: InputEvent,
    ) -> AppResult<()> {
        let now = Instant::now();
        let elapsed = now.duration_since(self.refilled_at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * INPUT_PER_SEC).min(INPUT_BURST);
        self.refilled_at = now;
        let cost = event.cost();
        if self.tokens < cost {
            return Err(AppError::RateLimited {
                retry_after_secs: 1,
            });
        }
        self.tokens -= cost;
        event
            .validate()
            .map_err(|e| AppError::invalid(e.to_string()))?;
        let Some(stream) = relay.stream() else {
            return Err(AppError::ConsentRequired(
                "nothing is shown now: control needs the end user's consent and a live screen",
            ));
        };
        if let Some(display) = event.display_id() {
            if display != stream.format.display_id {
                return Err(AppError::invalid(format!(
                    "the screen shown is display {}, not {display}",
                    stream.format.display_id
                )));
            }
        }
        if self.confirmed_for != Some(stream.stream_id) {
            if !state.store.control_consent_stands(session.id).await? {
                return Err(AppError::ConsentRequired(
                    "the end user allowed a screen view, not control; ask for control first",
                ));
            }
            self.confirmed_for = Some(stream.stream_id);
        }
        if relay.input(event) {
            Ok(())
        } else {
            Err(AppError::RateLimited {
                retry_after_secs: 1,
            })
        }
    }
}
