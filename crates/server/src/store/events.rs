use lifeline_protocol::{EventData, Party, SessionEvent};
use uuid::Uuid;

use super::{on_conn, on_pool};
use super::{to_i64, to_u64, Conn, QueuedAppend, Store, StoreError, StoreResult};

/// The stored event, and whether this call created it or found a resend's original.
#[derive(Debug, Clone)]
pub struct AppendOutcome {
    pub event: SessionEvent,
    pub created: bool,
}

#[derive(sqlx::FromRow)]
pub(super) struct EventRow {
    pub(super) session_id: Uuid,
    pub(super) seq: i64,
    pub(super) at: i64,
    pub(super) data: String,
}

impl EventRow {
    pub(super) fn into_event(self) -> StoreResult<SessionEvent> {
        let data: EventData = serde_json::from_str(&self.data)
            .map_err(|e| StoreError::Corrupt(format!("event {}: {e}", self.seq)))?;
        Ok(SessionEvent {
            session_id: self.session_id,
            seq: to_u64(self.seq),
            at: self.at,
            data,
        })
    }
}

/// Appends one event with the next `seq` of its session. A repeated
/// `(author, client_id)` returns the event stored the first time instead of a second
/// copy.
///
/// On SQLite one statement takes `MAX(seq) + 1`: SQLite has one writer at a time, so
/// two writers never read the same maximum. On PostgreSQL they would, and one message
/// would be dropped as a "duplicate"; there the number comes from the session row's
/// `last_seq`, whose row lock queues writers until the taker commits. That also makes
/// events of one session commit in `seq` order, so a reader that saw `seq` n has seen
/// everything before it.
pub(super) async fn append_event(
    conn: Conn<'_>,
    session_id: Uuid,
    author: Option<Party>,
    client_id: Option<Uuid>,
    data: &EventData,
    now: i64,
) -> StoreResult<AppendOutcome> {
    let json = serde_json::to_string(data)
        .map_err(|e| StoreError::Corrupt(format!("serializing event: {e}")))?;
    let author_str = author.map(Party::as_str);
    let seq: i64 = match conn {
        Conn::Sqlite(conn) => {
            let inserted: Option<i64> = sqlx::query_scalar(
                "INSERT INTO events (session_id, seq, at, author, client_id, data) \
                 SELECT $1, COALESCE(MAX(seq), 0) + 1, $2, $3, $4, $5 FROM events WHERE session_id = $1 \
                 ON CONFLICT DO NOTHING RETURNING seq",
            )
            .bind(session_id)
            .bind(now)
            .bind(author_str)
            .bind(client_id)
            .bind(&json)
            .fetch_optional(&mut *conn)
            .await?;
            let Some(seq) = inserted else {
                return resend_original(conn.into(), session_id, author_str, client_id).await;
            };
            seq
        }
        Conn::Postgres(conn) => {
            if client_id.is_some() {
                if let Some(original) =
                    stored_resend((&mut *conn).into(), session_id, author_str, client_id).await?
                {
                    return Ok(original);
                }
            }
            // A savepoint (or a transaction, outside one): a resend racing its original
            // gives its number back.
            let mut step = sqlx::Connection::begin(&mut *conn).await?;
            let seq: i64 = sqlx::query_scalar(
                "UPDATE sessions SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq",
            )
            .bind(session_id)
            .fetch_one(&mut *step)
            .await?;
            let inserted = sqlx::query(
                "INSERT INTO events (session_id, seq, at, author, client_id, data) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            )
            .bind(session_id)
            .bind(seq)
            .bind(now)
            .bind(author_str)
            .bind(client_id)
            .bind(&json)
            .execute(&mut *step)
            .await?
            .rows_affected();
            if inserted == 0 {
                step.rollback().await?;
                return resend_original(conn.into(), session_id, author_str, client_id).await;
            }
            step.commit().await?;
            seq
        }
    };
    Ok(AppendOutcome {
        event: SessionEvent {
            session_id,
            seq: to_u64(seq),
            at: now,
            data: data.clone(),
        },
        created: true,
    })
}

/// The event a resend's original stored, which must exist: the insert just met it.
async fn resend_original(
    conn: Conn<'_>,
    session_id: Uuid,
    author: Option<&str>,
    client_id: Option<Uuid>,
) -> StoreResult<AppendOutcome> {
    stored_resend(conn, session_id, author, client_id)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("event of session {session_id} vanished")))
}

/// The event stored earlier under this author's client id, if any.
async fn stored_resend(
    conn: Conn<'_>,
    session_id: Uuid,
    author: Option<&str>,
    client_id: Option<Uuid>,
) -> StoreResult<Option<AppendOutcome>> {
    let original: Option<EventRow> = on_conn!(conn, |c| {
        sqlx::query_as(
        "SELECT session_id, seq, at, data FROM events \
         WHERE session_id = $1 AND author IS NOT DISTINCT FROM $2 AND client_id IS NOT DISTINCT FROM $3",
    )
    .bind(session_id)
    .bind(author)
    .bind(client_id)
    .fetch_optional(c)
    .await?
    });
    original
        .map(|row| {
            Ok(AppendOutcome {
                event: row.into_event()?,
                created: false,
            })
        })
        .transpose()
}

impl Store {
    /// Appends one event on its own, in a group commit with whatever other events are
    /// waiting (see `event_writer`).
    pub async fn append_event(
        &self,
        session_id: Uuid,
        author: Option<Party>,
        client_id: Option<Uuid>,
        data: &EventData,
        now: i64,
    ) -> StoreResult<AppendOutcome> {
        self.queue_event(session_id, author, client_id, data, now)
            .await?
            .stored()
            .await
    }

    /// Queues one event for the next group commit, as `append_event` does, without
    /// waiting for the commit: one caller's events of a session are stored in the order
    /// it queued them.
    pub async fn queue_event(
        &self,
        session_id: Uuid,
        author: Option<Party>,
        client_id: Option<Uuid>,
        data: &EventData,
        now: i64,
    ) -> StoreResult<QueuedAppend> {
        self.events
            .queue(session_id, author, client_id, data, now)
            .await
    }

    /// Events after `since`, in order, at most `limit`.
    pub async fn events_since(
        &self,
        session_id: Uuid,
        since: u64,
        limit: u32,
    ) -> StoreResult<Vec<SessionEvent>> {
        on_pool!(self, |pool| {
            let rows: Vec<EventRow> = sqlx::query_as(
                "SELECT session_id, seq, at, data FROM events \
             WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            )
            .bind(session_id)
            .bind(to_i64(since))
            .bind(i64::from(limit))
            .fetch_all(pool)
            .await?;
            rows.into_iter().map(EventRow::into_event).collect()
        })
    }
}

/// A consent request as stored: its kind, and whether it was answered.
#[derive(Debug, Clone, Copy)]
pub struct ConsentState {
    pub kind: lifeline_protocol::ConsentKind,
    pub answered: bool,
}

impl Store {
    /// Whether the end user's consent to show their screen stands: a screen view or
    /// control request was allowed after the last screen share stopped or failed, or a
    /// control consent stands (the attended app shows the screen when the browser
    /// could not).
    pub async fn screen_consent_stands(&self, session_id: Uuid) -> StoreResult<bool> {
        let (view, control) = self.consents(session_id).await?;
        Ok(view || control)
    }

    /// Whether the end user's consent to control stands: a control request was allowed
    /// after the last screen share stopped (stopping the screen ends control). A handover
    /// from the browser to the attended app is no stop, and neither is a browser that
    /// could not share: the app may still show the screen.
    pub async fn control_consent_stands(&self, session_id: Uuid) -> StoreResult<bool> {
        Ok(self.consents(session_id).await?.1)
    }

    /// (a view consent stands, a control consent stands), as documented above.
    async fn consents(&self, session_id: Uuid) -> StoreResult<(bool, bool)> {
        let backend = self.backend();
        let kind = backend.json_text("data", "type");
        let accepted = backend.json_true("data", "accepted");
        let control_kind = backend.json_text("data", "kind");
        let reason = backend.json_text("data", "reason");
        let sql = format!(
            "SELECT \
             (SELECT MAX(seq) FROM events WHERE session_id = $1 \
                AND {kind} = 'consent_answered' AND {accepted}), \
             (SELECT MAX(seq) FROM events WHERE session_id = $1 \
                AND {kind} = 'consent_answered' AND {control_kind} = 'control' AND {accepted}), \
             (SELECT MAX(seq) FROM events WHERE session_id = $1 \
                AND {kind} = 'screen_share_stopped' AND {reason} != 'handed_to_app'), \
             (SELECT MAX(seq) FROM events WHERE session_id = $1 \
                AND {kind} = 'screen_share_failed')"
        );
        let (any, control, stopped, failed): (Option<i64>, Option<i64>, Option<i64>, Option<i64>) =
            on_pool!(self, |pool| sqlx::query_as(&sql)
                .bind(session_id)
                .fetch_one(pool)
                .await?);
        let after = |allowed: Option<i64>, withdrawn: Option<i64>| {
            allowed.is_some_and(|allowed| withdrawn.is_none_or(|withdrawn| allowed > withdrawn))
        };
        let view = after(any, stopped.max(failed));
        Ok((view, after(control, stopped)))
    }

    pub async fn consent_state(
        &self,
        session_id: Uuid,
        request_id: Uuid,
    ) -> StoreResult<Option<ConsentState>> {
        let kind = self.backend().json_text("data", "type");
        let request = self.backend().json_text("data", "request_id");
        let sql = format!(
            "SELECT session_id, seq, at, data FROM events WHERE session_id = $1 \
             AND {kind} IN ('consent_requested', 'consent_answered') \
             AND {request} = $2 ORDER BY seq"
        );
        on_pool!(self, |pool| {
            let rows: Vec<EventRow> = sqlx::query_as(&sql)
                .bind(session_id)
                .bind(request_id.to_string())
                .fetch_all(pool)
                .await?;
            let mut state = None;
            for row in rows {
                match row.into_event()?.data {
                    EventData::ConsentRequested { kind, .. } => {
                        state = Some(ConsentState {
                            kind,
                            answered: false,
                        });
                    }
                    EventData::ConsentAnswered { .. } => {
                        if let Some(s) = state.as_mut() {
                            s.answered = true;
                        }
                    }
                    _ => {}
                }
            }
            Ok(state)
        })
    }
}
