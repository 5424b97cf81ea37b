use lifeline_protocol::{EventData, Party, SessionEvent};
use sqlx::SqliteConnection;
use uuid::Uuid;

use super::{to_i64, to_u64, Store, StoreError, StoreResult};

/// The stored event, and whether this call created it or found a resend's original.
#[derive(Debug, Clone)]
pub struct AppendOutcome {
    pub event: SessionEvent,
    pub created: bool,
}

#[derive(sqlx::FromRow)]
struct EventRow {
    session_id: Uuid,
    seq: i64,
    at: i64,
    data: String,
}

impl EventRow {
    fn into_event(self) -> StoreResult<SessionEvent> {
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

/// Appends one event with the next `seq` of its session in a single statement, so two
/// writers can never take the same number. A repeated `(author, client_id)` returns the
/// event stored the first time instead of a second copy.
pub(super) async fn append_event(
    conn: &mut SqliteConnection,
    session_id: Uuid,
    author: Option<Party>,
    client_id: Option<Uuid>,
    data: &EventData,
    now: i64,
) -> StoreResult<AppendOutcome> {
    let json = serde_json::to_string(data)
        .map_err(|e| StoreError::Corrupt(format!("serializing event: {e}")))?;
    let author_str = author.map(Party::as_str);
    let inserted: Option<i64> = sqlx::query_scalar(
        "INSERT INTO events (session_id, seq, at, author, client_id, data) \
         SELECT ?1, COALESCE(MAX(seq), 0) + 1, ?2, ?3, ?4, ?5 FROM events WHERE session_id = ?1 \
         ON CONFLICT DO NOTHING RETURNING seq",
    )
    .bind(session_id)
    .bind(now)
    .bind(author_str)
    .bind(client_id)
    .bind(&json)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(seq) = inserted {
        return Ok(AppendOutcome {
            event: SessionEvent {
                session_id,
                seq: to_u64(seq),
                at: now,
                data: data.clone(),
            },
            created: true,
        });
    }
    let original: EventRow = sqlx::query_as(
        "SELECT session_id, seq, at, data FROM events \
         WHERE session_id = ? AND author IS ? AND client_id IS ?",
    )
    .bind(session_id)
    .bind(author_str)
    .bind(client_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(AppendOutcome {
        event: original.into_event()?,
        created: false,
    })
}

impl Store {
    pub async fn append_event(
        &self,
        session_id: Uuid,
        author: Option<Party>,
        client_id: Option<Uuid>,
        data: &EventData,
        now: i64,
    ) -> StoreResult<AppendOutcome> {
        let mut conn = self.pool.acquire().await?;
        append_event(&mut conn, session_id, author, client_id, data, now).await
    }

    /// Events after `since`, in order, at most `limit`.
    pub async fn events_since(
        &self,
        session_id: Uuid,
        since: u64,
        limit: u32,
    ) -> StoreResult<Vec<SessionEvent>> {
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT session_id, seq, at, data FROM events \
             WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(session_id)
        .bind(to_i64(since))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(EventRow::into_event).collect()
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
        let (any, control, stopped, failed): (Option<i64>, Option<i64>, Option<i64>, Option<i64>) =
            sqlx::query_as(
                "SELECT \
                 (SELECT MAX(seq) FROM events WHERE session_id = ?1 \
                    AND json_extract(data, '$.type') = 'consent_answered' \
                    AND json_extract(data, '$.accepted') = 1), \
                 (SELECT MAX(seq) FROM events WHERE session_id = ?1 \
                    AND json_extract(data, '$.type') = 'consent_answered' \
                    AND json_extract(data, '$.kind') = 'control' \
                    AND json_extract(data, '$.accepted') = 1), \
                 (SELECT MAX(seq) FROM events WHERE session_id = ?1 \
                    AND json_extract(data, '$.type') = 'screen_share_stopped' \
                    AND json_extract(data, '$.reason') != 'handed_to_app'), \
                 (SELECT MAX(seq) FROM events WHERE session_id = ?1 \
                    AND json_extract(data, '$.type') = 'screen_share_failed')",
            )
            .bind(session_id)
            .fetch_one(&self.pool)
            .await?;
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
        let rows: Vec<EventRow> = sqlx::query_as(
            "SELECT session_id, seq, at, data FROM events WHERE session_id = ? \
             AND json_extract(data, '$.type') IN ('consent_requested', 'consent_answered') \
             AND json_extract(data, '$.request_id') = ? ORDER BY seq",
        )
        .bind(session_id)
        .bind(request_id.to_string())
        .fetch_all(&self.pool)
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
    }
}
