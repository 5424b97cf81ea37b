use lifeline_protocol::{ConsentKind, EventData, Party, SessionEvent};
use sqlx::FromRow;
use uuid::Uuid;

use super::events::append_event;
use super::on_pool;
use super::{to_i64, to_u64, SessionState, Store, StoreResult};
use crate::auth::tokens::TokenHash;

#[derive(Debug, Clone, FromRow)]
pub struct SessionRecord {
    pub id: Uuid,
    pub technician_id: Uuid,
    pub technician_name: String,
    pub company_name: String,
    pub support_key: String,
    pub key_live: bool,
    pub key_expires_at: i64,
    pub request_control_on_arrival: bool,
    pub status: SessionState,
    pub end_user_name: Option<String>,
    pub created_at: i64,
    pub joined_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub last_seq: i64,
    /// Set for a connection to an ad-hoc computer.
    pub adhoc_session_id: Option<Uuid>,
}

pub struct NewSession<'a> {
    pub id: Uuid,
    pub technician_id: Uuid,
    pub support_key: &'a str,
    pub key_expires_at: i64,
    pub request_control_on_arrival: bool,
    pub now: i64,
}

/// The result of a successful join: the session and the events it produced.
pub struct JoinedSession {
    pub session: SessionRecord,
    pub events: Vec<SessionEvent>,
}

pub(super) const SELECT_SESSION: &str = "SELECT s.id, s.technician_id, t.display_name AS technician_name, \
     c.name AS company_name, s.support_key, s.key_live, s.key_expires_at, \
     s.request_control_on_arrival, s.status, s.end_user_name, s.created_at, s.joined_at, \
     s.ended_at, COALESCE((SELECT MAX(seq) FROM events e WHERE e.session_id = s.id), 0) AS last_seq, \
     s.adhoc_session_id \
     FROM sessions s JOIN technicians t ON t.id = s.technician_id \
     JOIN companies c ON c.id = t.company_id";

fn mark_column(party: Party, read: bool) -> &'static str {
    match (party, read) {
        (Party::Technician, false) => "technician_delivered_seq",
        (Party::Technician, true) => "technician_read_seq",
        (Party::EndUser, false) => "end_user_delivered_seq",
        (Party::EndUser, true) => "end_user_read_seq",
    }
}

impl Store {
    /// Inserts a waiting session. Fails with a unique violation when the key is already
    /// live, so the caller draws another.
    pub async fn insert_session(&self, new: NewSession<'_>) -> StoreResult<SessionRecord> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            // Expired keys stop counting as live, so their digits can be drawn again.
            sqlx::query("UPDATE sessions SET key_live = FALSE WHERE key_live = TRUE AND key_expires_at <= $1")
            .bind(new.now)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
            "INSERT INTO sessions (id, technician_id, support_key, key_expires_at, \
             request_control_on_arrival, status, created_at) VALUES ($1, $2, $3, $4, $5, 'waiting', $6)",
        )
        .bind(new.id)
        .bind(new.technician_id)
        .bind(new.support_key)
        .bind(new.key_expires_at)
        .bind(new.request_control_on_arrival)
        .bind(new.now)
        .execute(&mut *tx)
        .await?;
            tx.commit().await?;
            self.session(new.id)
                .await?
                .ok_or_else(|| super::StoreError::Corrupt("session vanished after insert".into()))
        })
    }

    /// Instant sessions waiting on a live key or active, and ad-hoc sessions prepared
    /// or active, now: the `live_sessions` metric.
    pub async fn count_live_sessions(&self, now: i64) -> StoreResult<(i64, i64)> {
        on_pool!(self, |pool| {
            let instant: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM sessions WHERE status = 'active' \
             OR (status = 'waiting' AND key_expires_at > $1)",
            )
            .bind(now)
            .fetch_one(pool)
            .await?;
            let adhoc: i64 = sqlx::query_scalar(&format!(
                "SELECT COUNT(*) FROM adhoc_sessions a WHERE {}",
                super::adhoc::live_at("$1")
            ))
            .bind(now)
            .fetch_one(pool)
            .await?;
            Ok((instant, adhoc))
        })
    }

    /// A session; on SQLite the question is grouped with others (see `hot_reads`).
    pub async fn session(&self, id: Uuid) -> StoreResult<Option<SessionRecord>> {
        if let Some(hot_reads) = &self.hot_reads {
            return hot_reads.session(id).await;
        }
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(&format!("{SELECT_SESSION} WHERE s.id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// The newest session ever given this key, live or not, to tell why a key fails.
    pub async fn newest_session_with_key(&self, key: &str) -> StoreResult<Option<SessionRecord>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(&format!(
                "{SELECT_SESSION} WHERE s.support_key = $1 ORDER BY s.created_at DESC LIMIT 1"
            ))
            .bind(key)
            .fetch_optional(pool)
            .await?)
        })
    }

    pub async fn session_by_end_user_token(
        &self,
        token_hash: &TokenHash,
    ) -> StoreResult<Option<SessionRecord>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(&format!(
                "{SELECT_SESSION} WHERE s.end_user_token_hash = $1"
            ))
            .bind(token_hash)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// The technician's sessions, newest first.
    pub async fn sessions_of_technician(
        &self,
        technician_id: Uuid,
        limit: i64,
    ) -> StoreResult<Vec<SessionRecord>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(&format!(
                "{SELECT_SESSION} WHERE s.technician_id = $1 ORDER BY s.created_at DESC LIMIT $2"
            ))
            .bind(technician_id)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Ids of the technician's sessions that are not ended, for realtime resume.
    pub async fn open_session_ids(&self, technician_id: Uuid) -> StoreResult<Vec<Uuid>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
            "SELECT id FROM sessions WHERE technician_id = $1 AND status != 'ended' ORDER BY created_at",
        )
        .bind(technician_id)
        .fetch_all(pool)
        .await?)
        })
    }

    /// Consumes the key atomically: only the first end user gets the session.
    /// `None` when the key is not live, expired or already used.
    pub async fn join_session(
        &self,
        key: &str,
        end_user_name: Option<&str>,
        end_user_token_hash: &TokenHash,
        now: i64,
    ) -> StoreResult<Option<JoinedSession>> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let joined: Option<(Uuid, bool)> = sqlx::query_as(
            "UPDATE sessions SET status = 'active', key_live = FALSE, end_user_name = $1, \
             end_user_token_hash = $2, joined_at = $3 \
             WHERE support_key = $4 AND key_live = TRUE AND status = 'waiting' AND key_expires_at > $5 \
             RETURNING id, request_control_on_arrival",
        )
        .bind(end_user_name)
        .bind(end_user_token_hash)
        .bind(now)
        .bind(key)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await?;
            let Some((session_id, request_control)) = joined else {
                return Ok(None);
            };
            let mut events = Vec::new();
            let arrival = EventData::EndUserJoined {
                name: end_user_name.map(str::to_owned),
            };
            events.push(
                append_event((&mut *tx).into(), session_id, None, None, &arrival, now)
                    .await?
                    .event,
            );
            if request_control {
                let ask = EventData::ConsentRequested {
                    request_id: Uuid::new_v4(),
                    kind: ConsentKind::Control,
                };
                events.push(
                    append_event((&mut *tx).into(), session_id, None, None, &ask, now)
                        .await?
                        .event,
                );
            }
            tx.commit().await?;
            let session = self
                .session(session_id)
                .await?
                .ok_or_else(|| super::StoreError::Corrupt("session vanished after join".into()))?;
            Ok(Some(JoinedSession { session, events }))
        })
    }

    pub async fn set_request_control_on_arrival(&self, id: Uuid, value: bool) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE sessions SET request_control_on_arrival = $1 WHERE id = $2")
                .bind(value)
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Ends the session once; `None` if it had already ended.
    pub async fn end_session(
        &self,
        id: Uuid,
        by: Party,
        now: i64,
    ) -> StoreResult<Option<SessionEvent>> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
            "UPDATE sessions SET status = 'ended', key_live = FALSE, ended_at = $1 WHERE id = $2 AND status != 'ended'",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
            if changed == 0 {
                return Ok(None);
            }
            // A connection to an ad-hoc computer: its audit row gets its end.
            sqlx::query(
            "UPDATE adhoc_connections SET ended_at = $1 WHERE session_id = $2 AND ended_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
            let ended = EventData::SessionEnded { by };
            let event = append_event((&mut *tx).into(), id, Some(by), None, &ended, now)
                .await?
                .event;
            tx.commit().await?;
            Ok(Some(event))
        })
    }

    /// Moves a delivered or read mark forward and records it as an event. `None`, and
    /// nothing stored, unless the move passes an event of the other party that is not
    /// itself a mark: a mark that covers only marks (the other side's, or this side's
    /// own) would otherwise answer marks with marks, forever.
    pub async fn advance_mark(
        &self,
        session_id: Uuid,
        party: Party,
        read: bool,
        up_to_seq: u64,
        now: i64,
    ) -> StoreResult<Option<SessionEvent>> {
        let column = mark_column(party, read);
        let kind = self.backend().json_text("e.data", "type");
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(&format!(
            "UPDATE sessions SET {column} = $1 WHERE id = $2 AND {column} < $1 AND status != 'ended' \
             AND $1 <= COALESCE((SELECT MAX(seq) FROM events WHERE session_id = $2), 0) \
             AND EXISTS (SELECT 1 FROM events e WHERE e.session_id = $2 \
                 AND e.seq > sessions.{column} AND e.seq <= $1 AND e.author = $3 \
                 AND {kind} NOT IN ('delivered', 'read'))"
        ))
        .bind(to_i64(up_to_seq))
        .bind(session_id)
        .bind(party.other().as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
            if changed == 0 {
                return Ok(None);
            }
            let data = if read {
                EventData::Read {
                    by: party,
                    up_to_seq,
                }
            } else {
                EventData::Delivered {
                    by: party,
                    up_to_seq,
                }
            };
            let event = append_event((&mut *tx).into(), session_id, Some(party), None, &data, now)
                .await?
                .event;
            tx.commit().await?;
            Ok(Some(event))
        })
    }
}

impl SessionRecord {
    pub fn last_seq(&self) -> u64 {
        to_u64(self.last_seq)
    }
}
