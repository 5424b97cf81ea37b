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
use super::{
    on_pool, to_i64, to_u64, AppendOutcome, Conn, Pool, StoreError, StoreResult, StoredParty,
};

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

    /// Queues one event. Events of one session queued one after the other are stored
    /// in that order; the returned handle tells when it is stored.
    pub(super) async fn queue(
        &self,
        session_id: Uuid,
        author: Option<Party>,
        client_id: Option<Uuid>,
        data: &EventData,
        now: i64,
    ) -> StoreResult<QueuedAppend> {
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
        Ok(QueuedAppend(outcome))
    }
}

/// An event in a writer's queue.
pub struct QueuedAppend(oneshot::Receiver<StoreResult<AppendOutcome>>);

impl QueuedAppend {
    /// Waits until the event is committed (or its batch failed).
    pub async fn stored(self) -> StoreResult<AppendOutcome> {
        self.0.await.map_err(|_| StoreError::TaskStopped)?
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
    let outcome = append_queued((&mut *tx).into(), append).await?;
    tx.commit().await?;
    Ok(vec![outcome])
}

/// Appends a queued event within the transaction `conn` is in.
async fn append_queued(conn: Conn<'_>, append: &Append) -> StoreResult<AppendOutcome> {
    append_event(
        conn,
        append.session_id,
        append.author,
        append.client_id,
        &append.data,
        append.now,
    )
    .await
}

/// Each event appended on its own, in one transaction.
async fn in_one_transaction(pool: &Pool, batch: &[Append]) -> StoreResult<Vec<AppendOutcome>> {
    on_pool!(pool: pool, |pool| {
        let mut tx = pool.begin().await?;
        let mut outcomes = Vec::with_capacity(batch.len());
        for append in batch {
            outcomes.push(append_queued((&mut *tx).into(), append).await?);
        }
        tx.commit().await?;
        Ok(outcomes)
    })
}

/// A resend key: an append's session, author and client id.
type ResendKey = (Uuid, &'static str, Uuid);

/// A SQLite batch in one statement: every statement is a hand-off to sqlx's worker
/// thread, and on a busy machine each hand-off waits for its turn on a core. The
/// statement leaves out what was stored before (resends), numbers the rest of each
/// session after its highest `seq`, in batch order, and inserts them; being one
/// statement, it holds the write lock from the first read to the last row. Only when
/// something was a resend does a second query fetch the originals.
async fn sqlite_rows_at_once(
    conn: &mut SqliteConnection,
    batch: &[Append],
) -> StoreResult<Vec<AppendOutcome>> {
    // The first append of each resend key stands for any copies later in the batch.
    let mut first_with: HashMap<ResendKey, usize> = HashMap::new();
    let mut unique = Vec::with_capacity(batch.len());
    for (index, append) in batch.iter().enumerate() {
        let first = match resend_key(append) {
            Some(key) => *first_with.entry(key).or_insert(index) == index,
            None => true,
        };
        if first {
            unique.push(index);
        }
    }
    let rows: Vec<(&Append, i64, String)> = unique
        .iter()
        .map(|&index| {
            let append = &batch[index];
            let json = serde_json::to_string(&append.data)
                .map_err(|e| StoreError::Corrupt(format!("serializing event: {e}")))?;
            Ok((append, to_i64(index as u64), json))
        })
        .collect::<StoreResult<_>>()?;
    let mut inserted: Vec<(Uuid, i64, Option<StoredParty>, Option<Uuid>)> = insert_query("", &rows)
        .build_query_as()
        .fetch_all(&mut *conn)
        .await?;
    inserted.sort_unstable_by_key(|(session_id, seq, ..)| (*session_id, *seq));
    let inserted_keys: HashSet<ResendKey> = inserted
        .iter()
        .filter_map(|(session_id, _, author, client_id)| {
            Some((*session_id, Party::from((*author)?).as_str(), (*client_id)?))
        })
        .collect();
    // A session's new numbers, lowest first, went to its new appends in batch order.
    let mut numbers: HashMap<Uuid, std::collections::VecDeque<i64>> = HashMap::new();
    for (session_id, seq, ..) in &inserted {
        numbers.entry(*session_id).or_default().push_back(*seq);
    }
    let mut outcomes: Vec<Option<AppendOutcome>> = vec![None; batch.len()];
    let mut resent = Vec::new();
    for &index in &unique {
        let append = &batch[index];
        if let Some(key) = resend_key(append).filter(|key| !inserted_keys.contains(key)) {
            resent.push(key);
            continue;
        }
        let seq = numbers
            .get_mut(&append.session_id)
            .and_then(std::collections::VecDeque::pop_front)
            .ok_or_else(|| StoreError::Corrupt("a batch got fewer numbers than events".into()))?;
        outcomes[index] = Some(AppendOutcome {
            event: SessionEvent {
                session_id: append.session_id,
                seq: to_u64(seq),
                at: append.now,
                data: append.data.clone(),
            },
            created: true,
        });
    }
    let originals = if resent.is_empty() {
        HashMap::new()
    } else {
        stored_resends(conn, &resent).await?
    };
    batch
        .iter()
        .enumerate()
        .map(|(index, append)| {
            if let Some(outcome) = &outcomes[index] {
                return Ok(outcome.clone());
            }
            // A resend of something stored before, or of an append earlier in the batch.
            let key = resend_key(append)
                .ok_or_else(|| StoreError::Corrupt("an event without a number".into()))?;
            let event = match originals.get(&key) {
                Some(original) => original.clone(),
                None => outcomes_event(&outcomes, &first_with, &key)?,
            };
            Ok(AppendOutcome {
                event,
                created: false,
            })
        })
        .collect()
}

/// The event the first append with `key` in a batch stored.
fn outcomes_event(
    outcomes: &[Option<AppendOutcome>],
    first_with: &HashMap<ResendKey, usize>,
    key: &ResendKey,
) -> StoreResult<SessionEvent> {
    first_with
        .get(key)
        .and_then(|&first| outcomes[first].as_ref())
        .map(|outcome| outcome.event.clone())
        .ok_or_else(|| StoreError::Corrupt("a resend without its original".into()))
}

/// The batch's insert: `rows` are the appends with their place in the batch and their
/// data as JSON. A row whose resend key is stored already is left out before numbers
/// are given, so a resend never leaves a gap.
fn insert_query<'a>(
    prefix: &str,
    rows: &'a [(&'a Append, i64, String)],
) -> sqlx::QueryBuilder<'a, sqlx::Sqlite> {
    let mut query = sqlx::QueryBuilder::new(prefix);
    query.push(
        "INSERT INTO events (session_id, seq, at, author, client_id, data) \
         SELECT v.column1, \
         COALESCE((SELECT MAX(e.seq) FROM events e WHERE e.session_id = v.column1), 0) \
         + ROW_NUMBER() OVER (PARTITION BY v.column1 ORDER BY v.column6), \
         v.column2, v.column3, v.column4, v.column5 FROM (",
    );
    query.push_values(rows, |mut row, (append, place, json)| {
        row.push_bind(append.session_id)
            .push_bind(append.now)
            .push_bind(append.author.map(Party::as_str))
            .push_bind(append.client_id)
            .push_bind(json.as_str())
            .push_bind(*place);
    });
    query.push(
        ") AS v WHERE v.column3 IS NULL OR v.column4 IS NULL OR NOT EXISTS \
         (SELECT 1 FROM events e WHERE e.session_id = v.column1 \
         AND e.author = v.column3 AND e.client_id = v.column4) \
         RETURNING session_id, seq, author, client_id",
    );
    query
}

/// What makes an append a resend of a stored event: its session, author and client id.
fn resend_key(append: &Append) -> Option<(Uuid, &'static str, Uuid)> {
    Some((
        append.session_id,
        append.author?.as_str(),
        append.client_id?,
    ))
}

/// The stored events with these resend keys, by key.
async fn stored_resends(
    conn: &mut SqliteConnection,
    keys: &[ResendKey],
) -> StoreResult<HashMap<ResendKey, SessionEvent>> {
    let mut query = resends_query("", keys);
    let rows: Vec<(Uuid, i64, i64, String, StoredParty, Uuid)> =
        query.build_query_as().fetch_all(&mut *conn).await?;
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
fn resends_query<'a>(prefix: &str, keys: &'a [ResendKey]) -> sqlx::QueryBuilder<'a, sqlx::Sqlite> {
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn plan(
        query: sqlx::QueryBuilder<'_, sqlx::Sqlite>,
        pool: &sqlx::SqlitePool,
    ) -> Vec<String> {
        let mut query = query;
        let rows: Vec<(i64, i64, i64, String)> = query
            .build_query_as()
            .fetch_all(pool)
            .await
            .expect("a plan");
        rows.into_iter().map(|(.., detail)| detail).collect()
    }

    /// Each read a batch makes of the stored events searches an index; none reads every
    /// stored event, so a batch costs the same on a file of any size.
    #[tokio::test]
    async fn a_batch_finds_resends_and_numbers_through_indexes() {
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
        let resends = plan(resends_query("EXPLAIN QUERY PLAN ", &keys), &pool).await;
        assert!(
            resends
                .iter()
                .any(|step| step.starts_with("SEARCH e USING") && step.contains("events_client_id")),
            "{resends:?}"
        );
        let (reply, _) = oneshot::channel();
        let append = Append {
            session_id: keys[0].0,
            author: Some(Party::Technician),
            client_id: Some(keys[0].2),
            data: EventData::Message {
                from: Party::Technician,
                client_id: keys[0].2,
                text: "hello".into(),
            },
            now: 0,
            reply,
        };
        let rows = [(&append, 0, "{}".to_owned())];
        let insert = plan(insert_query("EXPLAIN QUERY PLAN ", &rows), &pool).await;
        assert!(
            insert
                .iter()
                .any(|step| step.starts_with("SEARCH e USING") && step.contains("events_client_id")),
            "{insert:?}"
        );
        assert!(
            insert
                .iter()
                .any(|step| step.starts_with("SEARCH e USING PRIMARY KEY")),
            "{insert:?}"
        );
        for step in resends.iter().chain(&insert) {
            assert!(!step.starts_with("SCAN e"), "{resends:?} {insert:?}");
        }
    }
}
