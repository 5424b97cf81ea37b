//! Windows: the input desktop's name tells the secure desktop ("Winlogon") from the
//! user's ("Default"); the foreground window's process token tells an elevated program.
// Win32 calls through windows-sys, which has no safe wrappers; each block checks its
// handles and closes what it opened.
#![allow(unsafe_code)]

use std::ffi::c_void;

use lifeline_protocol::ControlBlock;
use windows_sys::Win32::Foundation::{CloseHandle, HANDLE};
use windows_sys::Win32::Security::{
    GetTokenInformation, TokenElevation, TOKEN_ELEVATION, TOKEN_QUERY,
};
use windows_sys::Win32::System::StationsAndDesktops::{
    CloseDesktop, GetUserObjectInformationW, OpenInputDesktop, DESKTOP_READOBJECTS, UOI_NAME,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, OpenProcess, OpenProcessToken, PROCESS_QUERY_LIMITED_INFORMATION,
};
use windows_sys::Win32::UI::WindowsAndMessaging::{GetForegroundWindow, GetWindowThreadProcessId};

pub fn blocked() -> Option<ControlBlock> {
    if !on_default_desktop() {
        return Some(ControlBlock::SecureDesktop);
    }
    let foreground_elevated = foreground_process().and_then(|process| {
        let elevated = elevated(process);
        // SAFETY: `process` was opened above and is closed once.
        unsafe { CloseHandle(process) };
        elevated
    });
    let me_elevated = {
        // SAFETY: the pseudo handle of this process needs no closing.
        elevated(unsafe { GetCurrentProcess() })
    };
    (foreground_elevated == Some(true) && me_elevated != Some(true))
        .then_some(ControlBlock::ElevatedWindow)
}

/// Whether input goes to the user's desktop; a desktop this process cannot open is the
/// secure one.
fn on_default_desktop() -> bool {
    // SAFETY: plain calls with owned buffers; the desktop handle is closed once.
    unsafe {
        let desktop = OpenInputDesktop(0, 0, DESKTOP_READOBJECTS);
        if desktop.is_null() {
            return false;
        }
        let mut name = [0u16; 64];
        let mut needed = 0u32;
        let read = GetUserObjectInformationW(
            desktop as HANDLE,
            UOI_NAME,
            name.as_mut_ptr().cast::<c_void>(),
            (name.len() * 2) as u32,
            &mut needed,
        );
        CloseDesktop(desktop);
        if read == 0 {
            return false;
        }
        let len = name.iter().position(|&c| c == 0).unwrap_or(name.len());
        String::from_utf16_lossy(&name[..len]).eq_ignore_ascii_case("Default")
    }
}

/// The process of the window in front, opened for querying.
fn foreground_process() -> Option<HANDLE> {
    // SAFETY: plain calls; a null window or process is checked before use.
    unsafe {
        let window = GetForegroundWindow();
        if window.is_null() {
            return None;
        }
        let mut pid = 0u32;
        GetWindowThreadProcessId(window, &mut pid);
        if pid == 0 {
            return None;
        }
        let process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid);
        (!process.is_null()).then_some(process)
    }
}

/// Whether `process` runs elevated; `None` when its token cannot be read.
fn elevated(process: HANDLE) -> Option<bool> {
    // SAFETY: the token handle is closed once; the buffer is the size given.
    unsafe {
        let mut token: HANDLE = std::ptr::null_mut();
        if OpenProcessToken(process, TOKEN_QUERY, &mut token) == 0 {
            return None;
        }
        let mut elevation = TOKEN_ELEVATION { TokenIsElevated: 0 };
        let mut size = 0u32;
        let read = GetTokenInformation(
            token,
            TokenElevation,
            (&raw mut elevation).cast::<c_void>(),
            std::mem::size_of::<TOKEN_ELEVATION>() as u32,
            &mut size,
        );
        CloseHandle(token);
        (read != 0).then_some(elevation.TokenIsElevated != 0)
    }
}
