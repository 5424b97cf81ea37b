use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{AdhocSessionSummary, ApiError, Party, Secret, SessionEvent};

/// Where a client stands in one session: it has seen every event up to `seq`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Cursor {
    pub session_id: Uuid,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: u64,
}

/// Frames a client sends on its one WebSocket. The first must be `hello`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// Authenticates the connection and resumes: the service sends every stored event
    /// after each cursor (after 0 for a session not named), then live events.
    Hello {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        token: Secret,
        #[serde(default)]
        cursors: Vec<Cursor>,
    },
    Typing {
        session_id: Uuid,
        typing: bool,
    },
    /// Everything up to `up_to_seq` has arrived at this client.
    Delivered {
        session_id: Uuid,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        up_to_seq: u64,
    },
    /// Everything up to `up_to_seq` has been shown to the person.
    Read {
        session_id: Uuid,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        up_to_seq: u64,
    },
    /// A technician's fresh access token: the connection lasts until it expires instead
    /// of the one it was opened with (which closes it, with 4401, when it expires).
    Renew {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        token: Secret,
    },
    /// A chat message, as `POST /api/v1/sessions/{id}/messages` sends it, without a
    /// request of its own. The stored message comes back on this socket as an `event`
    /// with the same `client_id` (a resend of a stored one is stored once, and its event
    /// was or will be sent here once); a refused one as `send_failed`.
    Send {
        session_id: Uuid,
        client_id: Uuid,
        text: String,
    },
}

/// Frames the service sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    /// The hello was accepted; replayed events follow.
    Welcome { party: Party },
    /// A stored session event, in `seq` order per session.
    Event { event: SessionEvent },
    /// Not stored: the other party is typing or stopped.
    Typing {
        session_id: Uuid,
        from: Party,
        typing: bool,
    },
    /// Not stored: the other party's connection came or went.
    Presence {
        session_id: Uuid,
        party: Party,
        online: bool,
    },
    /// To the technician: one of their ad-hoc sessions changed (activated, ended,
    /// expired). Not stored; `GET /api/v1/adhoc` has the current state.
    Adhoc { session: AdhocSessionSummary },
    /// To the agent: a technician asks to connect. The agent checks `proof` against its
    /// verifier and its current challenge `nonce`, and answers at
    /// `/api/v1/agent/connections/{connection_id}`.
    ConnectRequested {
        connection_id: Uuid,
        technician_name: String,
        nonce: String,
        proof: String,
        /// The company's rule for asking the person at the computer (an older service
        /// that does not say means: ask when someone uses it).
        #[serde(default)]
        control_confirmation: crate::ControlConfirmation,
    },
    /// A frame was refused. After a refused hello the service closes the socket.
    Error { error: ApiError },
    /// A `send` was refused and nothing was stored: `error.code` says why, as the
    /// messages route would (`invalid_input`, `not_found`, `session_ended`), or
    /// `rate_limited` while too many of this socket's sends are still being stored.
    SendFailed {
        session_id: Uuid,
        client_id: Uuid,
        error: ApiError,
    },
}
