//! The database a test's service runs on: a SQLite file in the test's folder, or, when
//! `LIFELINE_TEST_DATABASE_URL` names a PostgreSQL server, a schema of its own there,
//! dropped when the test ends. Tests never share rows, so they can run in parallel on
//! one server.

use std::path::Path;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Executor};

/// The variable naming the PostgreSQL server the service tests run on.
pub const DATABASE_URL_VARIABLE: &str = "LIFELINE_TEST_DATABASE_URL";

/// The role and database `scripts/setup` makes on the local PostgreSQL server, for
/// tests that need PostgreSQL whatever the variable says (the cluster).
pub const LOCAL_POSTGRES: &str =
    "postgres://lifeline_test:lifeline_test@127.0.0.1:5432/lifeline_test";

struct Postgres {
    server: PgConnectOptions,
    server_url: String,
    schema: String,
}

/// Clones are the same database (the nodes of one cluster); a PostgreSQL schema is
/// dropped with the last of them.
#[derive(Clone)]
pub struct TestDatabase {
    url: String,
    /// The PostgreSQL server (its options and URL) and the schema to drop, when the
    /// test runs there.
    postgres: Option<std::sync::Arc<Postgres>>,
}

impl TestDatabase {
    /// A fresh, empty database for one test. Its SQLite file goes into `dir`.
    pub async fn create(dir: &Path) -> anyhow::Result<Self> {
        match std::env::var(DATABASE_URL_VARIABLE) {
            Ok(server) if !server.is_empty() => Self::postgres(&server).await,
            _ => Ok(Self::sqlite(dir)),
        }
    }

    /// A fresh schema on the PostgreSQL server the variable names, or the local one.
    pub async fn create_postgres() -> anyhow::Result<Self> {
        let server = std::env::var(DATABASE_URL_VARIABLE)
            .ok()
            .filter(|url| !url.is_empty())
            .unwrap_or_else(|| LOCAL_POSTGRES.to_owned());
        Self::postgres(&server).await
    }

    pub fn sqlite(dir: &Path) -> Self {
        Self {
            url: format!("sqlite://{}", dir.join("lifeline.db").display()),
            postgres: None,
        }
    }

    /// A new schema on the server `server_url` names; the service's URL selects it
    /// through `search_path`, so its tables and migrations land there.
    pub async fn postgres(server_url: &str) -> anyhow::Result<Self> {
        let options: PgConnectOptions = server_url.parse()?;
        let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = options.connect().await?;
        admin
            .execute(format!("CREATE SCHEMA {schema}").as_str())
            .await?;
        let separator = if server_url.contains('?') { '&' } else { '?' };
        Ok(Self {
            url: format!("{server_url}{separator}options=-c%20search_path%3D{schema}"),
            postgres: Some(std::sync::Arc::new(Postgres {
                server: options,
                server_url: server_url.to_owned(),
                schema,
            })),
        })
    }

    /// The URL to give the service.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }

    /// A pool on this database, for a test that reads stored rows beside the service.
    pub async fn inspect(&self) -> anyhow::Result<sqlx::AnyPool> {
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&self.url)
            .await?;
        Ok(pool)
    }

    /// Everything stored, as text: the SQLite file's bytes, or `pg_dump`'s output of the
    /// schema. For tests that prove a secret is stored nowhere.
    pub async fn dump(&self) -> anyhow::Result<Vec<u8>> {
        match &self.postgres {
            None => {
                let path = self.url.trim_start_matches("sqlite://");
                Ok(std::fs::read(path)?)
            }
            Some(postgres) => {
                let output = tokio::process::Command::new("pg_dump")
                    .args(["--data-only", "--schema", &postgres.schema])
                    .args(["--dbname", &postgres.server_url])
                    .output()
                    .await?;
                anyhow::ensure!(output.status.success(), "pg_dump failed");
                Ok(output.stdout)
            }
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let (server, schema) = (self.server.clone(), std::mem::take(&mut self.schema));
        // Drop runs inside the test's runtime, which can't be blocked on; a thread with
        // its own runtime drops the schema and is waited for, so no schema outlives its
        // test.
        let statement = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let pool = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(server)
                    .await?;
                pool.execute(statement.as_str()).await?;
                anyhow::Ok(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("the test schema {schema} could not be dropped");
        }
    }
}
