//! The service in the test's own process, on a real socket with a real database (a
//! SQLite file, or PostgreSQL with `LIFELINE_TEST_DATABASE_URL`), with a clock the test
//! moves (the 24-hour jump of ad-hoc sessions).

use std::sync::Arc;

use lifeline_protocol::NewTechnician;
use lifeline_server::clock::ShiftedClock;
use lifeline_server::{Config, RunningServer};

use crate::database::TestDatabase;

pub struct InProcessService {
    pub url: String,
    pub clock: ShiftedClock,
    pub server: RunningServer,
    _database: TestDatabase,
    _data: tempfile::TempDir,
}

impl InProcessService {
    /// Starts on a free loopback port after `configure` has had its say.
    pub async fn start(configure: impl FnOnce(&mut Config)) -> anyhow::Result<Self> {
        let data = tempfile::tempdir()?;
        let database = TestDatabase::create(data.path()).await?;
        let mut config = Config::for_data_dir(data.path());
        config.database_url = database.url().into();
        config.listen = "127.0.0.1:0".parse()?;
        config.public_url = "http://127.0.0.1:0".parse()?;
        configure(&mut config);
        let clock = ShiftedClock::default();
        let listener = lifeline_server::bind(&mut config).await?;
        let state = lifeline_server::build_state(config, Arc::new(clock.clone())).await?;
        let server = lifeline_server::start(listener, state).await?;
        Ok(Self {
            url: server.url(),
            clock,
            server,
            _database: database,
            _data: data,
        })
    }

    /// Adds a technician to `company` (created if new), as the CLI does.
    pub async fn add_technician(
        &self,
        company: &str,
        technician: NewTechnician,
    ) -> anyhow::Result<()> {
        let state = &self.server.state;
        lifeline_server::admin::add_technician(&state.store, company, technician, state.now())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    }

    /// Stops the service gracefully, as SIGTERM would.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.server
            .shutdown()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
    }
}
