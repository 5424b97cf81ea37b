//! Grouped look-ups, on SQLite, of what nearly every request reads: the technician
//! behind an access token, and a session. A request's look-up queues here, and a reader
//! task with a connection of its own answers everything queued in one query per kind.
//!
//! sqlx runs each SQLite connection on a thread of its own, and every query through the
//! pool is several hand-offs between threads (the query, and a ping when the
//! connection goes back). On a busy node each hand-off waits for a core; grouped, a
//! hundred requests that ask for the same token cost one query. Like the group commit
//! of `event_writer`, a reader never waits for more look-ups to arrive, so a lone
//! request is answered as fast as before.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, QueryBuilder, Sqlite};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::sessions::SELECT_SESSION;
use super::tokens::{SignInRow, SELECT_SIGN_IN};
use super::{SessionRecord, StoreError, StoreResult, TechnicianRecord, TokenKind, TokenRecord};
use crate::auth::tokens::TokenHash;

/// At most this many look-ups share one round.
const MAX_BATCH: usize = 128;
/// Queued look-ups per reader before callers wait to queue theirs.
const QUEUE: usize = 4096;
/// Readers, each with its own connection: one per core of a small machine.
const READERS: usize = 2;

/// A token's sign-in: the technician and the token's own record.
pub(super) type SignIn = (TechnicianRecord, TokenRecord);

enum Lookup {
    SignIn {
        hash: TokenHash,
        kind: TokenKind,
        reply: oneshot::Sender<StoreResult<Option<SignIn>>>,
    },
    Session {
        id: Uuid,
        reply: oneshot::Sender<StoreResult<Option<SessionRecord>>>,
    },
}

/// The queues of the reader tasks; they end when the last clone is dropped.
#[derive(Clone)]
pub(super) struct HotReads {
    lanes: Arc<[mpsc::Sender<Lookup>]>,
    next: Arc<AtomicUsize>,
}

impl HotReads {
    /// Opens the readers' connections (the database is migrated by then).
    pub(super) async fn start(options: &SqliteConnectOptions) -> StoreResult<Self> {
        let mut lanes = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let conn = options.connect().await?;
            let (queue, queued) = mpsc::channel(QUEUE);
            tokio::spawn(read_batches(conn, queued));
            lanes.push(queue);
        }
        Ok(Self {
            lanes: lanes.into(),
            next: Arc::default(),
        })
    }

    async fn ask<T>(&self, lookup: impl FnOnce(oneshot::Sender<T>) -> Lookup) -> StoreResult<T> {
        let lane = self.next.fetch_add(1, Ordering::Relaxed) % self.lanes.len();
        let (reply, answer) = oneshot::channel();
        self.lanes[lane]
            .send(lookup(reply))
            .await
            .map_err(|_| StoreError::TaskStopped)?;
        answer.await.map_err(|_| StoreError::TaskStopped)
    }

    pub(super) async fn sign_in(
        &self,
        hash: &TokenHash,
        kind: TokenKind,
    ) -> StoreResult<Option<SignIn>> {
        let hash = hash.clone();
        self.ask(|reply| Lookup::SignIn { hash, kind, reply })
            .await?
    }

    pub(super) async fn session(&self, id: Uuid) -> StoreResult<Option<SessionRecord>> {
        self.ask(|reply| Lookup::Session { id, reply }).await?
    }
}

async fn read_batches(mut conn: SqliteConnection, mut queued: mpsc::Receiver<Lookup>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queued.recv_many(&mut batch, MAX_BATCH).await > 0 {
        answer(&mut conn, std::mem::take(&mut batch)).await;
    }
    let _ = conn.close().await;
}

/// Answers a round. If a grouped query fails, each of its look-ups is asked alone, so
/// every caller gets its own outcome.
async fn answer(conn: &mut SqliteConnection, batch: Vec<Lookup>) {
    let mut sign_ins = Vec::new();
    let mut sessions = Vec::new();
    for lookup in batch {
        match lookup {
            Lookup::SignIn { hash, kind, reply } => sign_ins.push((hash, kind, reply)),
            Lookup::Session { id, reply } => sessions.push((id, reply)),
        }
    }
    if !sign_ins.is_empty() {
        let hashes: HashSet<&TokenHash> = sign_ins.iter().map(|(hash, ..)| hash).collect();
        match sign_ins_of(conn, &hashes).await {
            Ok(found) => {
                for (hash, kind, reply) in sign_ins {
                    let sign_in = found.get(&(hash, kind)).cloned();
                    let _ = reply.send(Ok(sign_in));
                }
            }
            Err(_) => {
                for (hash, kind, reply) in sign_ins {
                    let alone = sign_ins_of(conn, &HashSet::from([&hash])).await;
                    let _ = reply.send(alone.map(|mut found| found.remove(&(hash, kind))));
                }
            }
        }
    }
    if !sessions.is_empty() {
        let ids: HashSet<Uuid> = sessions.iter().map(|(id, _)| *id).collect();
        match sessions_of(conn, &ids).await {
            Ok(found) => {
                for (id, reply) in sessions {
                    let _ = reply.send(Ok(found.get(&id).cloned()));
                }
            }
            Err(_) => {
                for (id, reply) in sessions {
                    let alone = sessions_of(conn, &HashSet::from([id])).await;
                    let _ = reply.send(alone.map(|mut found| found.remove(&id)));
                }
            }
        }
    }
}

async fn sign_ins_of(
    conn: &mut SqliteConnection,
    hashes: &HashSet<&TokenHash>,
) -> StoreResult<HashMap<(TokenHash, TokenKind), SignIn>> {
    let mut query = QueryBuilder::<Sqlite>::new(SELECT_SIGN_IN);
    query.push(" WHERE k.token_hash IN (");
    let mut list = query.separated(", ");
    for hash in hashes {
        list.push_bind(hash.as_str());
    }
    query.push(")");
    let rows: Vec<SignInRow> = query.build_query_as().fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(|row| ((row.token_hash, row.kind), (row.technician, row.token)))
        .collect())
}

async fn sessions_of(
    conn: &mut SqliteConnection,
    ids: &HashSet<Uuid>,
) -> StoreResult<HashMap<Uuid, SessionRecord>> {
    let mut query = QueryBuilder::<Sqlite>::new(SELECT_SESSION);
    query.push(" WHERE s.id IN (");
    let mut list = query.separated(", ");
    for id in ids {
        list.push_bind(*id);
    }
    query.push(")");
    let rows: Vec<SessionRecord> = query.build_query_as().fetch_all(&mut *conn).await?;
    Ok(rows
        .into_iter()
        .map(|session| (session.id, session))
        .collect())
}
