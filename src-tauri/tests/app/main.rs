//! The desktop shell's tests: the commands on Tauri's mock runtime against a real
//! `lifeline-server` process, the generated TypeScript types being fresh, and (ignored
//! unless run by `src-tauri/e2e/run`) the real window over WebDriver.

mod accessibility_window;
mod adhoc_window;
mod agent_screen;
mod agent_shell;
mod agent_window;
mod attended;
mod bindings;
mod commands;
mod console_window;
mod enrollment;
mod handover;
mod in_window;
mod invite_qr_window;
mod notifications;
mod replies_window;
mod screen_window;
mod support;
mod transfers;
mod window;
