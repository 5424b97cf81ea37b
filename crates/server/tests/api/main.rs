//! Service integration tests: a real server on a loopback socket with a real SQLite
//! file, driven through `lifeline-client` as technician and end user.

mod abuse;
mod adhoc;
mod adhoc_connect;
mod adhoc_live;
mod adhoc_page;
mod attended;
mod auth;
mod chat;
mod chat_socket;
mod concurrent_writers;
mod control;
mod enrollment;
mod files;
mod helpers;
mod invites;
mod marks;
mod media;
mod media_nodes;
mod media_revocation;
mod metrics;
mod replies;
mod revocation;
mod second_factor;
mod secrets;
mod sessions;
mod shared_files;
mod upgrade;
