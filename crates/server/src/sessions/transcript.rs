use std::fmt::Write;

use lifeline_protocol::{
    ConsentKind, EventData, Party, ShareFailure, ShareSurface, StopReason, Transcript, UnixMillis,
};
use time::macros::format_description;
use time::OffsetDateTime;

/// A moment as people read it, in UTC.
pub fn timestamp(at: UnixMillis) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(at) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| at.to_string())
}

fn surface_words(surface: ShareSurface) -> &'static str {
    match surface {
        ShareSurface::Monitor => "screen",
        ShareSurface::Window => "window",
        ShareSurface::Browser => "browser tab",
        ShareSurface::Unknown => "screen",
    }
}

fn stop_words(reason: StopReason) -> &'static str {
    match reason {
        StopReason::StoppedSharing => "stopped sharing",
        StopReason::StoppedViewing => "stopped viewing",
        StopReason::SessionEnded => "the session ended",
        StopReason::ConnectionLost => "the connection was lost",
        StopReason::HandedToApp => "handed over to the Lifeline app",
    }
}

fn failure_words(reason: ShareFailure) -> &'static str {
    match reason {
        ShareFailure::PickerCancelled => "the screen picker was closed without a choice",
        ShareFailure::Unsupported => "the browser cannot share a screen",
        ShareFailure::Failed => "the browser refused to share the screen",
    }
}

fn consent_words(kind: ConsentKind) -> &'static str {
    match kind {
        ConsentKind::ViewScreen => "view the screen",
        ConsentKind::Control => "control the screen",
    }
}

/// A plain-text transcript a person can read or file in a ticket.
pub fn to_text(transcript: &Transcript) -> String {
    let session = &transcript.session;
    // Names were cleaned when given; cleaning again covers records from before that.
    let technician = lifeline_protocol::text::clean_label(&session.technician_name);
    let technician = technician.as_str();
    let end_user = session
        .end_user_name
        .as_deref()
        .map(lifeline_protocol::text::clean_label)
        .unwrap_or_else(|| "End user".to_owned());
    let end_user = end_user.as_str();
    let name = |party: Party| match party {
        Party::Technician => technician,
        Party::EndUser => end_user,
    };
    let mut out = String::new();
    let _ = writeln!(out, "Lifeline session transcript");
    let _ = writeln!(out, "Session:     {}", session.id);
    let _ = writeln!(out, "Support key: {}", session.support_key_display);
    let _ = writeln!(out, "Technician:  {technician}");
    let _ = writeln!(out, "End user:    {end_user}");
    let _ = writeln!(out, "Created:     {}", timestamp(session.created_at));
    if let Some(ended) = session.ended_at {
        let _ = writeln!(out, "Ended:       {}", timestamp(ended));
    }
    out.push('\n');
    // Control is a screen from the agent shown while a control consent stands (the
    // rule the service enforces): its start and end read as control.
    let mut control_allowed = false;
    let mut controlled_stream = None;
    for event in &transcript.events {
        match &event.data {
            EventData::ConsentAnswered {
                kind: ConsentKind::Control,
                accepted: true,
                ..
            } => control_allowed = true,
            EventData::ScreenShareStopped { reason, .. } if *reason != StopReason::HandedToApp => {
                control_allowed = false;
            }
            EventData::SessionEnded { .. } => control_allowed = false,
            _ => {}
        }
        let line = match &event.data {
            EventData::ScreenShareStarted {
                stream_id,
                source: lifeline_protocol::MediaSource::Agent,
                width,
                height,
                ..
            } if control_allowed => {
                controlled_stream = Some(*stream_id);
                format!("Remote control started: {technician} sees and controls {end_user}'s screen ({width}×{height})")
            }
            EventData::ScreenShareStopped {
                stream_id,
                by,
                reason,
            } if controlled_stream == Some(*stream_id) => format!(
                "Remote control ended by {} ({})",
                name(*by),
                stop_words(*reason)
            ),
            EventData::EndUserJoined { name: joined } => {
                format!("{} joined", joined.as_deref().unwrap_or("The end user"))
            }
            EventData::Message { from, text, .. } => format!("{}: {text}", name(*from)),
            EventData::FileShared { file } => format!(
                "{} sent the file \"{}\" ({} bytes, SHA-256 {})",
                name(file.from),
                file.name,
                file.size,
                file.sha256
            ),
            EventData::ConsentRequested { kind, .. } => {
                format!("{technician} asked to {}", consent_words(*kind))
            }
            EventData::ConsentAnswered { kind, accepted, .. } => format!(
                "{end_user} {} the request to {}",
                if *accepted { "allowed" } else { "declined" },
                consent_words(*kind)
            ),
            EventData::SessionEnded { by } => format!("Session ended by {}", name(*by)),
            EventData::SystemInfo { info } => format!(
                "{end_user} reported its system: {} {} (kernel {}), {} with {} cores, \
                 {} MiB memory ({} MiB free), up {} min, user {}",
                info.os,
                info.os_version,
                info.kernel_version,
                info.cpu,
                info.cpu_cores,
                info.memory_total_bytes / (1024 * 1024),
                info.memory_available_bytes / (1024 * 1024),
                info.uptime_seconds / 60,
                info.logged_in_user
            ),
            EventData::ScreenShareStarted {
                surface,
                width,
                height,
                ..
            } => format!(
                "Screen view started: {end_user} shares a {} ({width}×{height})",
                surface_words(*surface)
            ),
            EventData::ScreenShareStopped { by, reason, .. } => format!(
                "Screen view stopped by {} ({})",
                name(*by),
                stop_words(*reason)
            ),
            EventData::ScreenShareFailed { reason } => {
                format!("Screen view not possible: {}", failure_words(*reason))
            }
            EventData::AgentDownloaded { platform } => {
                format!("{end_user} downloaded the Lifeline app ({platform})")
            }
            EventData::AgentJoined { hostname, os } => {
                format!("The Lifeline app joined from {hostname} ({os})")
            }
            EventData::AgentLeft {
                by: Party::Technician,
            } => {
                format!("{technician} closed the Lifeline app's access")
            }
            EventData::AgentLeft { by: Party::EndUser } => {
                format!("{end_user} closed the Lifeline app")
            }
            EventData::FilesExpired { count, after_days } => format!(
                "{count} file(s) of this session were deleted, {after_days} days after it ended"
            ),
            // Receipts matter live, not in a record of the conversation.
            EventData::Delivered { .. } | EventData::Read { .. } => continue,
        };
        // Indent continuation lines so a multi-line message cannot forge an entry.
        let line = lifeline_protocol::text::normalize_line_endings(&line).replace('\n', "\n    ");
        let _ = writeln!(out, "[{}] {line}", timestamp(event.at));
    }
    out
}
