use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{
    ConsentKind, FileInfo, MediaSource, ShareFailure, ShareSurface, StopReason, SystemInfo,
    UnixMillis,
};

/// Who did something in a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Technician,
    EndUser,
}

impl Party {
    pub fn other(self) -> Self {
        match self {
            Party::Technician => Party::EndUser,
            Party::EndUser => Party::Technician,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Party::Technician => "technician",
            Party::EndUser => "end_user",
        }
    }
}

/// One stored event of a session. `seq` increases by one per event within a session,
/// so a client that saw `seq` n asks for everything after n and misses nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SessionEvent {
    pub session_id: Uuid,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seq: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: UnixMillis,
    pub data: EventData,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventData {
    /// The key was consumed and the end user is in.
    EndUserJoined {
        name: Option<String>,
    },
    Message {
        from: Party,
        client_id: Uuid,
        text: String,
    },
    /// A file finished uploading and passed its checksum.
    FileShared {
        file: FileInfo,
    },
    /// `by` has received every event up to `up_to_seq`.
    Delivered {
        by: Party,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        up_to_seq: u64,
    },
    /// `by` has seen every event up to `up_to_seq`.
    Read {
        by: Party,
        #[cfg_attr(feature = "ts", ts(type = "number"))]
        up_to_seq: u64,
    },
    ConsentRequested {
        request_id: Uuid,
        kind: ConsentKind,
    },
    ConsentAnswered {
        request_id: Uuid,
        kind: ConsentKind,
        accepted: bool,
    },
    SessionEnded {
        by: Party,
    },
    /// The support-session app of an ad-hoc connection describes its computer.
    SystemInfo {
        info: SystemInfo,
    },
    /// The end user's screen became visible to the technician. The pictures themselves
    /// are relayed, never stored.
    ScreenShareStarted {
        stream_id: Uuid,
        source: MediaSource,
        surface: ShareSurface,
        width: u32,
        height: u32,
    },
    /// The screen is no longer visible: `by` stopped it, or it stopped for `reason`.
    ScreenShareStopped {
        stream_id: Uuid,
        by: Party,
        reason: StopReason,
    },
    /// The end user allowed a screen view, but their side could not share.
    ScreenShareFailed {
        reason: ShareFailure,
    },
    /// The end user downloaded the attended app (for `platform`) to hand over control.
    AgentDownloaded {
        platform: String,
    },
    /// The attended app runs on the end user's computer and joined the session.
    AgentJoined {
        hostname: String,
        os: String,
    },
    /// The attended app left: closed at the computer (`end_user`), or the technician
    /// cancelled it (`technician`). Its access ends with it.
    AgentLeft {
        by: Party,
    },
    /// The session's files were deleted by the retention rule, `after_days` after the
    /// session ended; their records stay, their bytes are gone.
    FilesExpired {
        count: u32,
        after_days: u32,
    },
}
