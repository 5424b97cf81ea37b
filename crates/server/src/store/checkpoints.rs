//! SQLite's WAL checkpoints, off the write path. By default the connection whose commit
//! takes the WAL past 1,000 pages copies it into the database file then and there, and
//! on a busy node that is the event writer: every message queued behind it waits. Here
//! the connections never checkpoint on commit; a task with a connection of its own
//! runs a passive checkpoint every second, which copies what no reader still needs
//! while writers go on appending.

use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::mpsc;

use super::StoreResult;

const EVERY: Duration = Duration::from_secs(1);

/// Keeps the checkpoint task running; it ends when the last clone is dropped.
#[derive(Clone)]
pub(super) struct Checkpoints {
    _running: mpsc::Sender<()>,
}

impl Checkpoints {
    pub(super) async fn start(options: &SqliteConnectOptions) -> StoreResult<Self> {
        let conn = options.connect().await?;
        let (running, stopped) = mpsc::channel(1);
        tokio::spawn(checkpoint_every_second(conn, stopped));
        Ok(Self { _running: running })
    }
}

async fn checkpoint_every_second(mut conn: SqliteConnection, mut stopped: mpsc::Receiver<()>) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                if let Err(err) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&mut conn)
                    .await
                {
                    tracing::warn!(error = %err, "WAL checkpoint failed");
                }
            }
            None = stopped.recv() => break,
        }
    }
    let _ = conn.close().await;
}
