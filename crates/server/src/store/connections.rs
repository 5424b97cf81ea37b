//! Connections to ad-hoc computers: the agent's challenge, the audit of every attempt,
//! and the chat session an accepted connection opens.

use lifeline_protocol::{EventData, SessionEvent};
use sqlx::FromRow;
use uuid::Uuid;

use super::events::append_event;
use super::on_pool;
use super::{ConnectionState, SessionRecord, Store, StoreError, StoreResult};
use crate::auth::tokens::TokenHash;

/// One audited connection attempt.
#[derive(Debug, Clone, FromRow)]
pub struct ConnectionRecord {
    pub id: Uuid,
    pub adhoc_session_id: Uuid,
    pub technician_id: Uuid,
    pub technician_name: String,
    pub outcome: ConnectionState,
    pub session_id: Option<Uuid>,
    pub started_at: i64,
    pub ended_at: Option<i64>,
}

/// The chat session of an accepted connection; the agent is its end-user party.
pub struct NewConnectionSession<'a> {
    pub connection_id: Uuid,
    pub session_id: Uuid,
    pub technician_id: Uuid,
    pub adhoc_session_id: Uuid,
    /// Not usable to join: stored with `key_live = FALSE`, so the session has the shape of
    /// every other one.
    pub support_key: &'a str,
    pub end_user_name: &'a str,
    pub end_user_token_hash: &'a TokenHash,
    pub now: i64,
}

const SELECT_CONNECTION: &str = "SELECT c.id, c.adhoc_session_id, c.technician_id, \
     t.display_name AS technician_name, c.outcome, c.session_id, c.started_at, c.ended_at \
     FROM adhoc_connections c JOIN technicians t ON t.id = c.technician_id";

impl Store {
    /// The agent publishes its next challenge; it replaces any earlier one.
    pub async fn set_adhoc_challenge(
        &self,
        adhoc_session_id: Uuid,
        nonce: &str,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "UPDATE adhoc_sessions SET challenge_nonce = $1 WHERE id = $2 AND status = 'active'",
        )
        .bind(nonce)
        .bind(adhoc_session_id)
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    /// Uses up the challenge if it is the current one, so each serves one attempt.
    pub async fn take_adhoc_challenge(
        &self,
        adhoc_session_id: Uuid,
        nonce: &str,
    ) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
                "UPDATE adhoc_sessions SET challenge_nonce = NULL \
             WHERE id = $1 AND status = 'active' AND challenge_nonce = $2",
            )
            .bind(adhoc_session_id)
            .bind(nonce)
            .execute(pool)
            .await?
            .rows_affected()
                == 1)
        })
    }

    pub async fn insert_adhoc_connection(
        &self,
        id: Uuid,
        adhoc_session_id: Uuid,
        technician_id: Uuid,
        now: i64,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO adhoc_connections (id, adhoc_session_id, technician_id, started_at, outcome) \
             VALUES ($1, $2, $3, $4, 'pending')",
        )
        .bind(id)
        .bind(adhoc_session_id)
        .bind(technician_id)
        .bind(now)
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    pub async fn adhoc_connection(&self, id: Uuid) -> StoreResult<Option<ConnectionRecord>> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query_as(&format!("{SELECT_CONNECTION} WHERE c.id = $1"))
                    .bind(id)
                    .fetch_optional(pool)
                    .await?,
            )
        })
    }

    /// Closes a pending attempt that did not become a connection (`refused` or
    /// `timed_out`); false when it was no longer pending.
    pub async fn close_adhoc_connection(
        &self,
        id: Uuid,
        outcome: ConnectionState,
        now: i64,
    ) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
            "UPDATE adhoc_connections SET outcome = $1, ended_at = $2 WHERE id = $3 AND outcome = 'pending'",
        )
        .bind(outcome)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await?
        .rows_affected()
            == 1)
        })
    }

    /// Accepts a pending attempt: opens its chat session with the agent already in it.
    /// `None` when the attempt was no longer pending (it timed out meanwhile).
    pub async fn accept_adhoc_connection(
        &self,
        new: NewConnectionSession<'_>,
    ) -> StoreResult<Option<(SessionRecord, SessionEvent)>> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let accepted = sqlx::query(
            "UPDATE adhoc_connections SET outcome = 'accepted' WHERE id = $1 AND outcome = 'pending'",
        )
        .bind(new.connection_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
            if accepted == 0 {
                return Ok(None);
            }
            sqlx::query(
            "INSERT INTO sessions (id, technician_id, support_key, key_live, key_expires_at, \
             request_control_on_arrival, status, end_user_name, end_user_token_hash, created_at, \
             joined_at, adhoc_session_id) VALUES ($1, $2, $3, FALSE, $4, FALSE, 'active', $5, $6, $7, $8, $9)",
        )
        .bind(new.session_id)
        .bind(new.technician_id)
        .bind(new.support_key)
        .bind(new.now)
        .bind(new.end_user_name)
        .bind(new.end_user_token_hash)
        .bind(new.now)
        .bind(new.now)
        .bind(new.adhoc_session_id)
        .execute(&mut *tx)
        .await?;
            sqlx::query("UPDATE adhoc_connections SET session_id = $1 WHERE id = $2")
                .bind(new.session_id)
                .bind(new.connection_id)
                .execute(&mut *tx)
                .await?;
            let joined = EventData::EndUserJoined {
                name: Some(new.end_user_name.to_owned()),
            };
            let event = append_event(
                (&mut *tx).into(),
                new.session_id,
                None,
                None,
                &joined,
                new.now,
            )
            .await?
            .event;
            tx.commit().await?;
            let session = self
                .session(new.session_id)
                .await?
                .ok_or_else(|| StoreError::Corrupt("connection session vanished".into()))?;
            Ok(Some((session, event)))
        })
    }

    /// Every attempt on the ad-hoc session, newest first.
    pub async fn adhoc_connections(
        &self,
        adhoc_session_id: Uuid,
    ) -> StoreResult<Vec<ConnectionRecord>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(&format!(
            "{SELECT_CONNECTION} WHERE c.adhoc_session_id = $1 ORDER BY c.started_at DESC, c.rowid DESC"
        ))
        .bind(adhoc_session_id)
        .fetch_all(pool)
        .await?)
        })
    }

    /// The computer's hostname and user, to name the connection's end-user party.
    pub async fn computer_label(&self, computer_id: Uuid) -> StoreResult<Option<(String, String)>> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query_as("SELECT hostname, username FROM computers WHERE id = $1")
                    .bind(computer_id)
                    .fetch_optional(pool)
                    .await?,
            )
        })
    }

    /// Connection sessions of the ad-hoc session that are still open.
    pub async fn open_connection_sessions(&self, adhoc_session_id: Uuid) -> StoreResult<Vec<Uuid>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "SELECT id FROM sessions WHERE adhoc_session_id = $1 AND status != 'ended'",
            )
            .bind(adhoc_session_id)
            .fetch_all(pool)
            .await?)
        })
    }
}
