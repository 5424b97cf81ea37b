//! Several `lifeline-server` nodes as one service for the scale-out figures: one
//! PostgreSQL schema of their own (on the server `LIFELINE_TEST_DATABASE_URL` names, or
//! the local one `scripts/setup` makes) and a NATS server started here. One node can
//! run this way too, so one and three nodes are compared on the same database.

use std::path::Path;

use anyhow::Context;
use lifeline_e2e::harness::{ProcessCluster, SharedParts};

use crate::server::{node_options, Server};

/// The nodes under measurement, and what they share.
pub struct Nodes {
    pub servers: Vec<Server>,
    _shared: Option<SharedParts>,
}

impl Nodes {
    /// One node on its own SQLite file.
    pub fn single(server: Server) -> Self {
        Self {
            servers: vec![server],
            _shared: None,
        }
    }

    /// `count` nodes of `bin` from the test harness: a fresh PostgreSQL schema and a
    /// NATS of their own.
    pub async fn start(bin: &Path, max_upload_bytes: u64, count: usize) -> anyhow::Result<Self> {
        let ProcessCluster { nodes, shared } =
            ProcessCluster::start(count, node_options(bin, max_upload_bytes)?)
                .await
                .context("the nodes on PostgreSQL and NATS (run scripts/setup)")?;
        Ok(Self {
            servers: nodes.into_iter().map(Server::of).collect(),
            _shared: Some(shared),
        })
    }
}

/// CPU seconds used so far by the parts nodes share: every PostgreSQL and NATS server
/// process on this machine (nothing else should use them while the bench runs).
pub fn shared_cpu_secs() -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|name| matches!(name.trim(), "postgres" | "nats-server"))
        })
        .filter_map(|pid| crate::server::cpu_secs_of_pid(pid).ok())
        .sum()
}
