//! Support for Lifeline's cross-component tests, shared by `tests/e2e` and the desktop
//! app's real-window test: the end user's browser, driven over JSON lines, a WebDriver
//! client for real Tauri windows (also used by `lifeline-bench-desktop`), a real SMTP
//! server that shows what the service sent, a test certificate authority, the real support-session app on a test's
//! "computer", and the one harness that starts the service: in-process, as a process,
//! or as a cluster.
//!
//! Test code only (never published); it may use `anyhow` like the tests it serves.

pub mod agent;
pub mod database;
pub mod harness;
pub mod nats;
pub mod pattern;
pub mod ports;
pub mod puppet;
pub mod smtp;
pub mod tls;
pub mod webdriver;
pub mod wine;
