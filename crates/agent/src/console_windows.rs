//! The terminal mode's console on Windows. The agent is a window program there, so it
//! starts without a console: it borrows the one of the terminal it was started from,
//! or opens its own when it has to ask in a terminal (no WebView2 for the window).
//! A program started with its input and output redirected (as the tests do) keeps them.
// Console calls through windows-sys, which has no safe wrappers; they take no pointers.
#![allow(unsafe_code)]

use windows_sys::Win32::System::Console::{
    AllocConsole, AttachConsole, GetStdHandle, ATTACH_PARENT_PROCESS, STD_INPUT_HANDLE,
    STD_OUTPUT_HANDLE,
};

/// Whether input and output go somewhere already.
fn has_standard_handles() -> bool {
    // SAFETY: plain queries of this process's standard handles.
    unsafe {
        [STD_INPUT_HANDLE, STD_OUTPUT_HANDLE].iter().all(|&which| {
            let handle = GetStdHandle(which);
            !handle.is_null() && handle as isize != -1
        })
    }
}

/// Uses the console of the terminal that started this program, if any, so `--help`
/// and `--end` answer there.
pub fn attach_to_parent() {
    if !has_standard_handles() {
        // SAFETY: no pointers; failing only means there is no such console.
        unsafe { AttachConsole(ATTACH_PARENT_PROCESS) };
    }
}

/// Opens a console window for the terminal mode when there is nowhere to type.
pub fn open() {
    if !has_standard_handles() {
        // SAFETY: no pointers; failing leaves the program without a console, as before.
        unsafe { AllocConsole() };
    }
}
