//! What a user-level agent cannot reach on its computer now: a locked screen (only the
//! person at the computer unlocks it), Windows' secure desktop (UAC prompts,
//! Ctrl+Alt+Del and the sign-in screen) and windows of programs that run as
//! administrator (they ignore input from programs that do not). The sending loop asks
//! while the technician controls the computer and tells the technician in plain words.

use lifeline_protocol::ControlBlock;

/// What cannot be reached now, if anything.
pub fn blocked() -> Option<ControlBlock> {
    #[cfg(target_os = "linux")]
    {
        crate::presence::screen_blanked()
            .unwrap_or(false)
            .then_some(ControlBlock::ScreenLocked)
    }
    #[cfg(windows)]
    {
        windows::blocked()
    }
    #[cfg(not(any(target_os = "linux", windows)))]
    {
        None
    }
}

#[cfg(windows)]
#[path = "reach_windows.rs"]
mod windows;
