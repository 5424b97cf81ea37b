//! Starting again after a reboot within the 24 hours: an XDG autostart entry for this
//! user on Linux (`autostart_xdg.rs`), a value under
//! `HKCU\Software\Microsoft\Windows\CurrentVersion\Run` on Windows
//! (`autostart_windows.rs`). Neither needs admin rights.
//!
//! An entry is named by a path: the `.desktop` file on Linux; on Windows the path's
//! text is the name of the `Run` value. Both offer `default_entry_path()`,
//! `install(entry, command)` (the program, then its arguments) and `remove(entry)`,
//! which is quiet when there is nothing to remove.

pub use platform::{default_entry_path, install, remove};

#[cfg(not(windows))]
#[path = "autostart_xdg.rs"]
mod platform;

#[cfg(windows)]
#[path = "autostart_windows.rs"]
mod platform;
