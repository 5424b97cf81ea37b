//! A node in the test's own process, on a real socket with a real database (a SQLite
//! file, or PostgreSQL with `LIFELINE_TEST_DATABASE_URL`), with a clock the test moves
//! (the 24-hour jump of ad-hoc sessions) and its state in reach.

use std::sync::Arc;

use lifeline_protocol::NewTechnician;
use lifeline_server::clock::ShiftedClock;
use lifeline_server::{Config, RunningServer};
use tempfile::TempDir;

use super::SharedParts;
use crate::database::TestDatabase;

pub struct InProcessService {
    pub url: String,
    pub clock: ShiftedClock,
    server: Option<RunningServer>,
    /// What the node was started with, for a restart and for further nodes.
    pub config: Config,
    /// The test's own database (SQLite here, or a PostgreSQL schema).
    pub database: TestDatabase,
    /// Kept so the database and files outlive the test body.
    _data: TempDir,
}

impl InProcessService {
    /// Starts on a free loopback port after `configure` has had its say.
    pub async fn start(configure: impl FnOnce(&mut Config)) -> anyhow::Result<Self> {
        let data = tempfile::tempdir()?;
        let database = TestDatabase::create(data.path()).await?;
        Self::start_on(data, database, configure).await
    }

    /// The first node of a cluster on `shared`: PostgreSQL and its NATS.
    pub async fn start_in(
        shared: &SharedParts,
        configure: impl FnOnce(&mut Config),
    ) -> anyhow::Result<Self> {
        let data = tempfile::tempdir()?;
        let settings = shared.settings();
        Self::start_on(data, shared.database.clone(), move |config| {
            config.cluster = Some(settings);
            configure(config);
        })
        .await
    }

    async fn start_on(
        data: TempDir,
        database: TestDatabase,
        configure: impl FnOnce(&mut Config),
    ) -> anyhow::Result<Self> {
        let mut config = Config::for_data_dir(data.path());
        config.database_url = database.url().into();
        config.listen = "127.0.0.1:0".parse()?;
        config.public_url = "http://127.0.0.1:0".parse()?;
        configure(&mut config);
        let clock = ShiftedClock::default();
        let server = run(&mut config, &clock).await?;
        Ok(Self {
            url: server.url(),
            clock,
            server: Some(server),
            config,
            database,
            _data: data,
        })
    }

    pub fn state(&self) -> &lifeline_server::state::AppState {
        &self.running().state
    }

    pub fn running(&self) -> &RunningServer {
        self.server.as_ref().expect("the node runs")
    }

    /// Adds a technician to `company` (created if new), as the CLI does.
    pub async fn add_technician(
        &self,
        company: &str,
        technician: NewTechnician,
    ) -> anyhow::Result<()> {
        let state = self.state();
        lifeline_server::admin::add_technician(&state.store, company, technician, state.now())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    }

    /// Stops the node gracefully and starts it again on the same port and database.
    pub async fn restart(&mut self) -> anyhow::Result<()> {
        let server = self.server.take().expect("the node runs");
        server
            .shutdown()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let server = run(&mut self.config, &self.clock).await?;
        anyhow::ensure!(
            server.url() == self.url,
            "the node came back on {} instead of {}",
            server.url(),
            self.url
        );
        self.server = Some(server);
        Ok(())
    }

    /// A further node of the same service: its own port and data folder (holding a copy
    /// of this node's key file), the same database, cluster and clock. Meaningful with
    /// `[cluster]` set on PostgreSQL. Its configuration is this node's, changed by
    /// `configure`.
    pub async fn another_node(
        &self,
        configure: impl FnOnce(&mut Config),
    ) -> anyhow::Result<(RunningServer, TempDir)> {
        let dir = tempfile::tempdir()?;
        std::fs::copy(
            lifeline_server::secrets::key_file(&self.config.data_dir),
            lifeline_server::secrets::key_file(dir.path()),
        )?;
        let mut config = self.config.clone();
        config.data_dir = dir.path().to_owned();
        config.listen = "127.0.0.1:0".parse()?;
        configure(&mut config);
        Ok((run(&mut config, &self.clock).await?, dir))
    }

    /// Stops the node gracefully, as SIGTERM would.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        let server = self.server.take().expect("the node runs");
        server.shutdown().await.map_err(|e| anyhow::anyhow!("{e}"))
    }
}

async fn run(config: &mut Config, clock: &ShiftedClock) -> anyhow::Result<RunningServer> {
    let listener = lifeline_server::bind(config).await?;
    let state = lifeline_server::build_state(config.clone(), Arc::new(clock.clone())).await?;
    lifeline_server::start(listener, state).await
}
