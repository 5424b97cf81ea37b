//! Storage: the only module that speaks SQL. It has its own record types, and two
//! backends behind one `Store`: SQLite (one node, the default) and PostgreSQL (one or
//! several nodes). The backend follows from the database URL; handlers never see it.
//!
//! Each method's body is written once in SQL both engines accept (`$n` parameters,
//! `TRUE`/`FALSE`, `IS NOT DISTINCT FROM`) and compiled once per backend by
//! `on_pool!`, so each driver checks its own types. Where the dialects differ (JSON,
//! the event counter) the body asks which backend it runs on.
//!
//! Rule for writes that touch several rows: a transaction starts with a write, so
//! SQLite takes its write lock at once and never fails a later lock upgrade, and
//! PostgreSQL holds the written row's lock until the end.

mod adhoc;
mod attended;
mod checkpoints;
mod computers;
mod connections;
mod event_writer;
mod events;
mod failed_attempts;
mod files;
mod hot_reads;
mod leases;
mod outbox;
mod rate_limits;
mod replies;
mod second_factor;
mod sessions;
mod states;
mod technicians;
mod tokens;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, SqliteConnection, SqlitePool};

pub use adhoc::{Activation, AdhocRecord, Enrollment, NewAdhoc, PrepareOutcome};
pub use attended::AttendedRecord;
pub use computers::{ComputerRecord, GroupRecord};
pub use connections::{ConnectionRecord, NewConnectionSession};
pub use event_writer::QueuedAppend;
pub use events::{AppendOutcome, ConsentState};
pub use failed_attempts::Failures;
pub use files::{DueFile, FilePart, FileRecord};
pub use outbox::{NewOutboxEntry, OutboxRecord};
pub use replies::{ReplyContent, ReplyRecord};
pub use sessions::{JoinedSession, NewSession, SessionRecord};
pub use states::{AdhocState, ConnectionState, OutboxChannel, SessionState, StoredParty};
pub use technicians::{NewTechnicianRecord, TechnicianRecord};
pub use tokens::{NewToken, SignInStanding, TokenKind, TokenRecord};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migrating the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored data is not readable: {0}")]
    Corrupt(String),
    /// The URL's scheme names no backend; only the scheme is kept, as the rest may
    /// hold a password.
    #[error("unsupported database URL scheme {0:?}: use sqlite://<path> or postgres://<host>/<database>")]
    UnsupportedUrl(String),
    #[error("{0} works only on SQLite")]
    SqliteOnly(&'static str),
    /// A task that stores events or answers look-ups in groups is gone: the service is
    /// shutting down.
    #[error("the store's background task has stopped")]
    TaskStopped,
}

impl StoreError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Which engine a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend a database URL names, by its scheme (as atuin chooses its store).
    pub fn of_url(database_url: &str) -> StoreResult<Self> {
        let scheme = database_url.split(':').next().unwrap_or_default();
        match scheme {
            "sqlite" => Ok(Self::Sqlite),
            "postgres" | "postgresql" => Ok(Self::Postgres),
            _ => Err(StoreError::UnsupportedUrl(scheme.to_owned())),
        }
    }
}

impl Backend {
    /// SQL reading one top-level field of a JSON text column as text.
    pub(crate) fn json_text(self, column: &str, field: &str) -> String {
        match self {
            Backend::Sqlite => format!("json_extract({column}, '$.{field}')"),
            Backend::Postgres => format!("({column}::jsonb ->> '{field}')"),
        }
    }

    /// SQL that holds when a top-level field of a JSON text column is `true`.
    pub(crate) fn json_true(self, column: &str, field: &str) -> String {
        match self {
            Backend::Sqlite => format!("json_extract({column}, '$.{field}') = 1"),
            Backend::Postgres => format!("({column}::jsonb ->> '{field}') = 'true'"),
        }
    }
}

#[derive(Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A connection of either backend inside a running transaction, for the steps several
/// methods share.
pub(crate) enum Conn<'c> {
    Sqlite(&'c mut SqliteConnection),
    Postgres(&'c mut PgConnection),
}

impl<'c> From<&'c mut SqliteConnection> for Conn<'c> {
    fn from(conn: &'c mut SqliteConnection) -> Self {
        Conn::Sqlite(conn)
    }
}

impl<'c> From<&'c mut PgConnection> for Conn<'c> {
    fn from(conn: &'c mut PgConnection) -> Self {
        Conn::Postgres(conn)
    }
}

/// Runs `$body` with `$pool` bound to the backend's own pool. The body is compiled once
/// per backend, so the same SQL text is type-checked against each driver. It is
/// written like a closure so rustfmt formats it, but it is not one: `return` and `?`
/// leave the enclosing method.
macro_rules! on_pool {
    (pool: $pool_of:expr, |$pool:ident| $body:expr) => {
        match $pool_of {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.pool {
            $crate::store::Pool::Sqlite($pool) => $body,
            $crate::store::Pool::Postgres($pool) => $body,
        }
    };
}

/// [`on_pool!`] for a [`Conn`].
macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::store::Conn::Sqlite($c) => $body,
            $crate::store::Conn::Postgres($c) => $body,
        }
    };
}

pub(crate) use {on_conn, on_pool};

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    /// Where events appended outside a transaction queue for a group commit.
    events: event_writer::EventWriter,
    /// On SQLite, where the look-ups every request makes queue to be answered in groups.
    hot_reads: Option<hot_reads::HotReads>,
    /// On SQLite, the task that checkpoints the WAL.
    _checkpoints: Option<checkpoints::Checkpoints>,
}

impl Store {
    /// Opens the database the URL names and runs its backend's pending migrations. A
    /// SQLite file is created if needed; a PostgreSQL database must exist.
    pub async fn connect(database_url: &str) -> StoreResult<Self> {
        let (pool, events, hot_reads, checkpoints) = match Backend::of_url(database_url)? {
            Backend::Sqlite => {
                let options = sqlite_options(database_url)?;
                let pool = Pool::Sqlite(connect_sqlite(options.clone()).await?);
                let events = event_writer::EventWriter::start_sqlite(&options).await?;
                let hot_reads = hot_reads::HotReads::start(&options).await?;
                let checkpoints = checkpoints::Checkpoints::start(&options).await?;
                (pool, events, Some(hot_reads), Some(checkpoints))
            }
            Backend::Postgres => {
                let pool = Pool::Postgres(connect_postgres(database_url).await?);
                let events = event_writer::EventWriter::start_postgres(&pool);
                (pool, events, None, None)
            }
        };
        Ok(Self {
            pool,
            events,
            hot_reads,
            _checkpoints: checkpoints,
        })
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// SQLite's own check of the whole file: `ok`, or what is wrong.
    pub async fn integrity_check(&self) -> StoreResult<String> {
        match &self.pool {
            Pool::Sqlite(pool) => Ok(sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(pool)
                .await?),
            Pool::Postgres(_) => Err(StoreError::SqliteOnly("the integrity check")),
        }
    }

    pub async fn close(&self) {
        on_pool!(self, |pool| pool.close().await)
    }

    /// A named setting of the installation.
    pub async fn setting(&self, name: &str) -> StoreResult<Option<String>> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query_scalar("SELECT value FROM settings WHERE name = $1")
                    .bind(name)
                    .fetch_optional(pool)
                    .await?,
            )
        })
    }

    /// Writes a setting as an older version would have; for upgrade tests.
    pub async fn insert_legacy_setting(&self, name: &str, value: &str) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("INSERT INTO settings (name, value) VALUES ($1, $2)")
                .bind(name)
                .bind(value)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn delete_setting(&self, name: &str) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM settings WHERE name = $1")
                .bind(name)
                .execute(pool)
                .await?;
            Ok(())
        })
    }
}

fn sqlite_options(database_url: &str) -> StoreResult<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str(database_url)?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // WAL + NORMAL survives a killed process; only an OS crash may lose the
        // last commits, which the clients then resend by client id.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        // What is deleted or overwritten is zeroed, so a copy of the file does not
        // keep it in free pages (a spent token's hash, a verifier's public key).
        .pragma("secure_delete", "on")
        // No commit checkpoints; `checkpoints` does, off the write path.
        .pragma("wal_autocheckpoint", "0")
        .busy_timeout(Duration::from_secs(10)))
}

async fn connect_sqlite(options: SqliteConnectOptions) -> StoreResult<SqlitePool> {
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        // A file's connection does not break while it idles, and a ping per acquire
        // would double the hand-offs to sqlx's worker thread that every query costs.
        .test_before_acquire(false)
        .connect_with(options)
        .await?;
    sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
    Ok(pool)
}

async fn connect_postgres(database_url: &str) -> StoreResult<PgPool> {
    let options = PgConnectOptions::from_str(database_url)?.application_name("lifeline");
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?;
    // Several nodes may start at once; sqlx takes an advisory lock around migrating.
    sqlx::migrate!("./migrations/postgres").run(&pool).await?;
    Ok(pool)
}

pub(crate) fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

pub(crate) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
