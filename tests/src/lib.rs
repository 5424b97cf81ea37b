//! Support for Lifeline's cross-component tests, shared by `tests/e2e` and the desktop
//! app's real-window test: the end user's browser, driven over JSON lines, and a
//! WebDriver client for real Tauri windows (also used by `lifeline-bench-desktop`).
//!
//! Test code only (never published); it may use `anyhow` like the tests it serves.

pub mod puppet;
pub mod webdriver;
