//! Support for Lifeline's cross-component tests, shared by `tests/e2e` and the desktop
//! app's real-window test: the end user's browser, driven over JSON lines.
//!
//! Test code only (never published); it may use `anyhow` like the tests it serves.

pub mod puppet;
