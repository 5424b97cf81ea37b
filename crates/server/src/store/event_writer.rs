//! Group commits for events appended on their own (chat messages, mostly): callers
//! queue their event, and a writer task stores whatever is queued in one transaction,
//! so a busy node pays one commit, one connection and one write lock for many
//! messages. Every event is still committed before its caller hears its `seq`, so
//! nothing is delivered before it is stored.
//!
//! On SQLite the writer has a connection of its own with a page cache that holds the
//! pages being appended to (one per busy session, in the table and in its index). A
//! connection taken from the pool would find its cache emptied by the other
//! connections' commits and read those pages again from the file on every batch.
//!
//! A writer never waits for more events to arrive: it takes what is queued when the
//! last batch is done, so at a low rate each batch is one event and the latency is
//! that of a lone insert.

use std::collections::{HashMap, HashSet};

use lifeline_protocol::{EventData, Party, SessionEvent};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::events::{append_event, EventRow};
use super::{on_pool, to_u64, AppendOutcome, Pool, StoreError, StoreResult, StoredParty};

/// At most this many events share one transaction, so one batch holds the write lock
/// for a bounded time and a failing batch is retried in bounded time.
const MAX_BATCH: usize = 256;
/// Queued appends per writer before callers wait to queue theirs.
const QUEUE: usize = 4096;
/// The SQLite writer's page cache, in KiB (SQLite's `cache_size` takes negative
/// numbers as KiB): room for the pages 10,000 busy sessions append to. Only pages in
/// use take memory.
const SQLITE_WRITER_CACHE_KIB: u32 = 64 * 1024;

/// One event to append, and where its outcome goes.
struct Append {
    session_id: Uuid,
    author: Option<Party>,
    client_id: Option<Uuid>,
    data: EventData,
    now: i64,
    reply: oneshot::Sender<StoreResult<AppendOutcome>>,
}

/// The queues of the writer tasks. SQLite has one writer at a time, so it gets one
/// writer. PostgreSQL gets several, each owning a share of the sessions: one session's
/// events always go through the same writer, and two writers never lock the same
/// session row, so they can't deadlock each other.
#[derive(Clone)]
pub(super) struct EventWriter {
    lanes: Vec<mpsc::Sender<Append>>,
}

/// Where a writer task stores its batches.
enum Writer {
    Sqlite(SqliteConnection),
    Postgres(Pool),
}

impl EventWriter {
    /// Starts SQLite's writer on a connection of its own, opened with `options`; it
    /// ends when the last clone of this handle is dropped.
    pub(super) async fn start_sqlite(options: &SqliteConnectOptions) -> StoreResult<Self> {
        let conn = options
            .clone()
            .pragma("cache_size", format!("-{SQLITE_WRITER_CACHE_KIB}"))
            .connect()
            .await?;
        Ok(Self::start(vec![Writer::Sqlite(conn)]))
    }

    /// Starts PostgreSQL's writers, on `pool`.
    pub(super) fn start_postgres(pool: &Pool) -> Self {
        Self::start((0..4).map(|_| Writer::Postgres(pool.clone())).collect())
    }

    fn start(writers: Vec<Writer>) -> Self {
        let lanes = writers
            .into_iter()
            .map(|writer| {
                let (queue, queued) = mpsc::channel(QUEUE);
                tokio::spawn(write_batches(writer, queued));
                queue
            })
            .collect();
        Self { lanes }
    }

    pub(super) async fn append(
        &self,
        session_id: Uuid,
        author: Option<Party>,
        client_id: Option<Uuid>,
        data: &EventData,
        now: i64,
    ) -> StoreResult<AppendOutcome> {
        // Session ids are random, so their low bits spread sessions over the lanes.
        let lanes = self.lanes.len() as u128;
        let lane = &self.lanes[usize::try_from(session_id.as_u128() % lanes).unwrap_or(0)];
        let (reply, outcome) = oneshot::channel();
        lane.send(Append {
            session_id,
            author,
            client_id,
            data: data.clone(),
            now,
            reply,
        })
        .await
        .map_err(|_| StoreError::TaskStopped)?;
        outcome.await.map_err(|_| StoreError::TaskStopped)?
    }
}

async fn write_batches(mut writer: Writer, mut queued: mpsc::Receiver<Append>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queued.recv_many(&mut batch, MAX_BATCH).await > 0 {
        write_batch(&mut writer, std::mem::take(&mut batch)).await;
    }
    if let Writer::Sqlite(conn) = writer {
        let _ = conn.close().await;
    }
}

/// Stores a batch in one transaction. If anything in it fails, nothing of it is kept
/// and each event is tried again in a transaction of its own, so one bad event (its
/// session deleted meanwhile, say) fails only its own caller.
async fn write_batch(writer: &mut Writer, batch: Vec<Append>) {
    if batch.len() > 1 {
        if let Ok(outcomes) = store(writer, &batch).await {
            for (append, outcome) in batch.into_iter().zip(outcomes) {
                // A caller that stopped waiting still has its event stored.
                let _ = append.reply.send(Ok(outcome));
            }
            return;
        }
    }
    for append in batch {
        let outcome = store(writer, std::slice::from_ref(&append))
            .await
            .map(|mut outcomes| outcomes.remove(0));
        let _ = append.reply.send(outcome);
    }
}

async fn store(writer: &mut Writer, batch: &[Append]) -> StoreResult<Vec<AppendOutcome>> {
    match writer {
        Writer::Sqlite(conn) if batch.len() == 1 => sqlite_alone(conn, &batch[0]).await,
        Writer::Sqlite(conn) => sqlite_rows_at_once(conn, batch).await,
        Writer::Postgres(pool) => in_one_transaction(pool, batch).await,
    }
}

/// One event in one statement: at a low rate that is every batch.
async fn sqlite_alone(
    conn: &mut SqliteConnection,
    append: &Append,
) -> StoreResult<Vec<AppendOutcome>> {
    let mut tx = conn.begin().await?;
    let outcome = append_event(
        (&mut *tx).into(),
        append.session_id,
        append.author,
        append.client_id,
        &append.data,
        append.now,
    )
    .await?;
    tx.commit().await?;
    Ok(vec![outcome])
}

/// Each event appended on its own, in one transaction.
async fn in_one_transaction(pool: &Pool, batch: &[Append]) -> StoreResult<Vec<AppendOutcome>> {
    on_pool!(pool: pool, |pool| {
        let mut tx = pool.begin().await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for append in batch {
            outcomes.push(
                append_event(
                    (&mut *tx).into(),
                    append.session_id,
                    append.author,
                    append.client_id,
                    &append.data,
                    append.now,
                )
                .await?,
            );
        }
        tx.commit().await?;
        Ok(outcomes)
    })
}

/// A SQLite batch in a handful of statements instead of one per event: every statement
/// is a hand-off to sqlx's worker thread, and on a busy machine each hand-off waits for
/// its turn on a core. `BEGIN IMMEDIATE` takes the write lock first, so nothing else
/// writes events while this batch reads which ones exist and which numbers are next.
async fn sqlite_rows_at_once(
    conn: &mut SqliteConnection,
    batch: &[Append],
) -> StoreResult<Vec<AppendOutcome>> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let mut stored = stored_resends(&mut tx, batch).await?;
    let mut next_seq = last_seqs(&mut tx, batch).await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    let mut rows = Vec::with_capacity(batch.len());
    for append in batch {
        let key = resend_key(append);
        if let Some(original) = key.and_then(|key| stored.get(&key)) {
            outcomes.push(AppendOutcome {
                event: original.clone(),
                created: false,
            });
            continue;
        }
        let seq = next_seq.entry(append.session_id).or_insert(0);
        *seq += 1;
        let event = SessionEvent {
            session_id: append.session_id,
            seq: to_u64(*seq),
            at: append.now,
            data: append.data.clone(),
        };
        let json = serde_json::to_string(&append.data)
            .map_err(|e| StoreError::Corrupt(format!("serializing event: {e}")))?;
        rows.push((append, *seq, json));
        if let Some(key) = key {
            // A resend within the same batch gets this one.
            stored.insert(key, event.clone());
        }
        outcomes.push(AppendOutcome {
            event,
            created: true,
        });
    }
    if !rows.is_empty() {
        let mut insert = sqlx::QueryBuilder::new(
            "INSERT INTO events (session_id, seq, at, author, client_id, data) ",
        );
        insert.push_values(&rows, |mut row, (append, seq, json)| {
            row.push_bind(append.session_id)
                .push_bind(*seq)
                .push_bind(append.now)
                .push_bind(append.author.map(Party::as_str))
                .push_bind(append.client_id)
                .push_bind(json.as_str());
        });
        insert.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// What makes an append a resend of a stored event: its session, author and client id.
fn resend_key(append: &Append) -> Option<(Uuid, &'static str, Uuid)> {
    Some((
        append.session_id,
        append.author?.as_str(),
        append.client_id?,
    ))
}

/// The stored events that appends of the batch resend, by their resend key.
async fn stored_resends(
    tx: &mut sqlx::SqliteConnection,
    batch: &[Append],
) -> StoreResult<HashMap<(Uuid, &'static str, Uuid), SessionEvent>> {
    let keys: Vec<_> = batch.iter().filter_map(resend_key).collect();
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    let mut query = resends_query("", &keys);
    let rows: Vec<(Uuid, i64, i64, String, StoredParty, Uuid)> =
        query.build_query_as().fetch_all(&mut *tx).await?;
    let mut stored = HashMap::with_capacity(rows.len());
    for (session_id, seq, at, data, author, client_id) in rows {
        let author = Party::from(author).as_str();
        let event = EventRow {
            session_id,
            seq,
            at,
            data,
        }
        .into_event()?;
        stored.insert((session_id, author, client_id), event);
    }
    Ok(stored)
}

/// The stored events with these resend keys. The keys are a table joined to `events`,
/// so each is one search of the `events_client_id` index: `(…) IN (VALUES …)` would
/// scan every stored event, a cost that grows with the database.
fn resends_query<'a>(
    prefix: &str,
    keys: &'a [(Uuid, &'static str, Uuid)],
) -> sqlx::QueryBuilder<'a, sqlx::Sqlite> {
    let mut query = sqlx::QueryBuilder::new(prefix);
    query.push("SELECT e.session_id, e.seq, e.at, e.data, e.author, e.client_id FROM (");
    query.push_values(keys, |mut key, (session_id, author, client_id)| {
        key.push_bind(*session_id)
            .push_bind(*author)
            .push_bind(*client_id);
    });
    // CROSS JOIN keeps the keys as the outer loop.
    query.push(
        ") AS wanted CROSS JOIN events e ON e.session_id = wanted.column1 \
         AND e.author = wanted.column2 AND e.client_id = wanted.column3",
    );
    query
}

/// The highest `seq` stored for each session of the batch (sessions without events
/// are left out: they start at 1).
async fn last_seqs(
    tx: &mut sqlx::SqliteConnection,
    batch: &[Append],
) -> StoreResult<HashMap<Uuid, i64>> {
    let sessions: HashSet<Uuid> = batch.iter().map(|append| append.session_id).collect();
    let mut query =
        sqlx::QueryBuilder::new("SELECT session_id, MAX(seq) FROM events WHERE session_id IN (");
    let mut ids = query.separated(", ");
    for session_id in &sessions {
        ids.push_bind(*session_id);
    }
    query.push(") GROUP BY session_id");
    let rows: Vec<(Uuid, i64)> = query.build_query_as().fetch_all(&mut *tx).await?;
    Ok(rows.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each grouped read of a batch searches an index; none reads every stored event.
    #[tokio::test]
    async fn a_batch_looks_up_resends_and_numbers_through_indexes() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:")
            .await
            .expect("in-memory database");
        sqlx::migrate!("./migrations/sqlite")
            .run(&pool)
            .await
            .expect("migrated");
        let keys = [
            (Uuid::new_v4(), "technician", Uuid::new_v4()),
            (Uuid::new_v4(), "end_user", Uuid::new_v4()),
        ];
        let plan: Vec<(i64, i64, i64, String)> = resends_query("EXPLAIN QUERY PLAN ", &keys)
            .build_query_as()
            .fetch_all(&pool)
            .await
            .expect("a plan");
        let steps: Vec<&str> = plan.iter().map(|(.., detail)| detail.as_str()).collect();
        assert!(
            steps
                .iter()
                .any(|step| step.starts_with("SEARCH e USING") && step.contains("events_client_id")),
            "{steps:?}"
        );
        assert!(
            !steps.iter().any(|step| step.starts_with("SCAN e")),
            "{steps:?}"
        );
    }
}
