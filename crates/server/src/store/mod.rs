//! Storage: the only module that speaks SQL. It has its own record types, so another
//! backend (PostgreSQL) can be added here without touching the HTTP handlers.
//!
//! Rule for writes that touch several rows: a transaction starts with a write, so
//! SQLite takes its write lock at once and never fails a later lock upgrade.

mod adhoc;
mod attended;
mod connections;
mod events;
mod failed_attempts;
mod files;
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

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

pub use adhoc::{
    Activation, AdhocRecord, ComputerRecord, Enrollment, GroupRecord, NewAdhoc, PrepareOutcome,
};
pub use attended::AttendedRecord;
pub use connections::{ConnectionRecord, NewConnectionSession};
pub use events::{AppendOutcome, ConsentState};
pub use failed_attempts::Failures;
pub use files::{DueFile, FileRecord};
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
    #[error("unsupported database URL {0}: use sqlite://<path>")]
    UnsupportedUrl(String),
}

impl StoreError {
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Handle to the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database and runs pending migrations.
    pub async fn connect(database_url: &str) -> StoreResult<Self> {
        if !database_url.starts_with("sqlite:") {
            return Err(StoreError::UnsupportedUrl(database_url.to_owned()));
        }
        let options = SqliteConnectOptions::from_str(database_url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL survives a killed process; only an OS crash may lose the
            // last commits, which the clients then resend by client id.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // What is deleted or overwritten is zeroed, so a copy of the file does not
            // keep it in free pages (a spent token's hash, a verifier's public key).
            .pragma("secure_delete", "on")
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }

    /// SQLite's own check of the whole file: `ok`, or what is wrong.
    pub async fn integrity_check(&self) -> StoreResult<String> {
        Ok(sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&self.pool)
            .await?)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A named setting of the installation.
    pub async fn setting(&self, name: &str) -> StoreResult<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE name = ?")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Writes a setting as an older version would have; for upgrade tests.
    pub async fn insert_legacy_setting(&self, name: &str, value: &str) -> StoreResult<()> {
        sqlx::query("INSERT INTO settings (name, value) VALUES (?, ?)")
            .bind(name)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_setting(&self, name: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM settings WHERE name = ?")
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}
