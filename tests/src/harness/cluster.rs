//! Several nodes as one service: one PostgreSQL schema, a NATS server of their own and a
//! subject prefix no other run uses, one key file.

use lifeline_server::config::ClusterSettings;

use super::{NodeOptions, ServiceProcess};
use crate::database::TestDatabase;
use crate::nats::NatsServer;

/// What the nodes of one service share.
pub struct SharedParts {
    pub database: TestDatabase,
    pub nats: NatsServer,
    pub subject_prefix: String,
}

impl SharedParts {
    /// A fresh PostgreSQL schema (on the server `LIFELINE_TEST_DATABASE_URL` names, or
    /// the local one `scripts/setup` makes) and a NATS server started here.
    pub async fn start() -> anyhow::Result<Self> {
        Ok(Self {
            database: TestDatabase::create_postgres().await?,
            nats: NatsServer::start().await?,
            subject_prefix: format!("test{}", uuid::Uuid::new_v4().simple()),
        })
    }

    /// `[cluster]` for a node in the test's process.
    pub fn settings(&self) -> ClusterSettings {
        ClusterSettings {
            nats_url: self.nats.url.as_str().into(),
            subject_prefix: self.subject_prefix.clone(),
            files_replicas: 1,
        }
    }

    /// The same, as the variables a node process reads.
    pub fn environment(&self) -> [(&'static str, String); 3] {
        [
            ("LIFELINE_DATABASE_URL", self.database.url().to_owned()),
            ("LIFELINE_CLUSTER__NATS_URL", self.nats.url.clone()),
            (
                "LIFELINE_CLUSTER__SUBJECT_PREFIX",
                self.subject_prefix.clone(),
            ),
        ]
    }
}

/// Node processes of one service. A node that is killed keeps its place (port, data
/// directory, options) and can be started again there.
pub struct ProcessCluster {
    pub nodes: Vec<ServiceProcess>,
    pub shared: SharedParts,
}

impl ProcessCluster {
    /// `count` nodes (at least one), each started with `options` and the shared parts;
    /// the others get the first one's key file.
    pub async fn start(count: usize, options: NodeOptions) -> anyhow::Result<Self> {
        let shared = SharedParts::start().await?;
        let mut options = options;
        options.envs(shared.environment());
        let mut nodes: Vec<ServiceProcess> = Vec::with_capacity(count.max(1));
        for _ in 0..count.max(1) {
            let node = ServiceProcess::start_fresh(options.clone()).await?;
            options
                .key_file
                .get_or_insert_with(|| lifeline_server::secrets::key_file(node.data_dir()));
            nodes.push(node);
        }
        Ok(Self { nodes, shared })
    }

    /// SIGKILL to one node.
    pub async fn kill(&mut self, index: usize) -> anyhow::Result<()> {
        self.nodes[index].kill().await
    }

    /// A killed node again, on its port and data directory.
    pub async fn start_again(&mut self, index: usize) -> anyhow::Result<()> {
        self.nodes[index].start_again().await
    }
}
