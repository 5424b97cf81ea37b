//! The Lifeline service: REST API under `/api/v1`, one realtime WebSocket per party,
//! the resumable file relay, SMS and email invites, and the end-user join page.
//!
//! It owns persistence (only `store` speaks SQL), authentication and every rule about
//! sessions. It must not hold UI logic beyond the embedded join page, and it never
//! logs tokens, passwords or support-key secrets.

pub mod adhoc;
pub mod admin;
pub mod agent_builds;
pub mod app;
pub mod attended;
pub mod auth;
pub mod backup;
pub mod check_config;
pub mod cli;
pub mod client_ip;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod contact;
pub mod error;
pub mod files;
pub mod invites;
pub mod join;
pub mod language;
pub mod media;
pub mod metrics;
pub mod private_files;
pub mod rate_limit;
pub mod realtime;
pub mod replies;
pub mod secrets;
pub mod sessions;
pub mod socket_close;
pub mod state;
pub mod store;
pub mod throttle;
pub mod tls;

pub use app::{bind, build_state, start, RunningServer};
pub use config::Config;
