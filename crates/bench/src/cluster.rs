//! Several `lifeline-server` nodes as one service for the scale-out figures: one
//! PostgreSQL schema of their own (on the server `LIFELINE_TEST_DATABASE_URL` names, or
//! the local one `scripts/setup` makes) and a NATS server started here. One node can
//! run this way too, so one and three nodes are compared on the same database.

use std::path::Path;

use anyhow::Context;
use lifeline_e2e::database::TestDatabase;
use lifeline_e2e::nats::NatsServer;

use crate::server::{NodeSetup, Server};

/// The nodes under measurement, and what they share.
pub struct Nodes {
    pub servers: Vec<Server>,
    _nats: Option<NatsServer>,
    _database: Option<TestDatabase>,
}

impl Nodes {
    /// One node on its own SQLite file.
    pub fn single(server: Server) -> Self {
        Self {
            servers: vec![server],
            _nats: None,
            _database: None,
        }
    }

    /// `count` nodes of `bin` on a fresh PostgreSQL schema and a NATS of their own.
    pub async fn start(bin: &Path, max_upload_bytes: u64, count: usize) -> anyhow::Result<Self> {
        let database = TestDatabase::create_postgres()
            .await
            .context("a PostgreSQL schema for the nodes (run scripts/setup)")?;
        let nats = NatsServer::start().await?;
        let mut node = NodeSetup {
            environment: vec![
                ("LIFELINE_DATABASE_URL".into(), database.url().to_owned()),
                ("LIFELINE_CLUSTER__NATS_URL".into(), nats.url.clone()),
            ],
            key_file: None,
        };
        let mut servers: Vec<Server> = Vec::with_capacity(count);
        for _ in 0..count.max(1) {
            let server = Server::start_node(bin, max_upload_bytes, &node).await?;
            // The others sign and check with the first node's key.
            node.key_file
                .get_or_insert_with(|| lifeline_server::secrets::key_file(&server.data_dir));
            servers.push(server);
        }
        Ok(Self {
            servers,
            _nats: Some(nats),
            _database: Some(database),
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
