//! Whether someone uses this computer now: the ad-hoc policy asks the person at the
//! computer before a technician sees it only when someone is there. On X11 the server
//! says how long ago the last key or pointer input was and whether its screen saver
//! (the lock screen's blanking) is on; elsewhere nobody can tell yet, and the person is
//! asked as if present.

use std::time::Duration;

use lifeline_protocol::ControlConfirmation;

/// How long without input before a computer counts as unattended, unless the command
/// line says otherwise.
pub const DEFAULT_AWAY_AFTER: Duration = Duration::from_secs(5 * 60);

/// What the agent can tell about the person at the computer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Input came within the time, and the screen is not blanked.
    Present,
    /// No input for longer, or the screen saver is on.
    Away,
    /// This desktop does not say.
    Unknown,
}

/// Whether the person at the computer must answer a request, under `rule`.
pub fn must_ask(rule: ControlConfirmation, presence: Presence) -> bool {
    match rule {
        ControlConfirmation::Always => true,
        ControlConfirmation::Never => false,
        ControlConfirmation::WhenPresent => presence != Presence::Away,
    }
}

/// The person at the computer now, with `away_after` without input meaning away.
pub fn presence(away_after: Duration) -> Presence {
    #[cfg(target_os = "linux")]
    {
        x11::presence(away_after).unwrap_or(Presence::Unknown)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = away_after;
        Presence::Unknown
    }
}

/// Whether the X screen saver (which screen lockers use) is on now; `None` where the
/// desktop does not say.
#[cfg(target_os = "linux")]
pub fn screen_blanked() -> Option<bool> {
    x11::blanked()
}

#[cfg(target_os = "linux")]
mod x11 {
    use std::time::Duration;

    use x11rb::connection::Connection;
    use x11rb::protocol::screensaver::{self, ConnectionExt, State};

    use super::Presence;

    /// Time since the last input, and whether the screen saver is on.
    fn query() -> Option<(Duration, bool)> {
        let (conn, screen) = x11rb::connect(None).ok()?;
        let root = conn.setup().roots.get(screen)?.root;
        screensaver::query_version(&conn, 1, 1).ok()?.reply().ok()?;
        let info = conn.screensaver_query_info(root).ok()?.reply().ok()?;
        let idle = Duration::from_millis(u64::from(info.ms_since_user_input));
        Some((idle, info.state == u8::from(State::ON)))
    }

    pub fn blanked() -> Option<bool> {
        query().map(|(_, blanked)| blanked)
    }

    pub fn presence(away_after: Duration) -> Option<Presence> {
        let (idle, blanked) = query()?;
        Some(if blanked || idle >= away_after {
            Presence::Away
        } else {
            Presence::Present
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_decides_with_presence_and_an_unknown_person_is_asked() {
        use ControlConfirmation::*;
        use Presence::*;
        assert!(must_ask(Always, Away));
        assert!(!must_ask(Never, Present));
        assert!(must_ask(WhenPresent, Present));
        assert!(must_ask(WhenPresent, Unknown), "unsure means ask");
        assert!(!must_ask(WhenPresent, Away));
    }
}
