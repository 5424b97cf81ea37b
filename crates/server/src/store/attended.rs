//! The attended app's download tickets and tokens (see `crate::attended`).

use sqlx::FromRow;
use uuid::Uuid;

use super::on_pool;
use super::sessions::{SessionRecord, SELECT_SESSION};
use super::{Store, StoreResult};
use crate::auth::tokens::TokenHash;

/// A live attended token: its session, and whether the app has joined with it.
#[derive(Debug, Clone)]
pub struct AttendedRecord {
    pub session: SessionRecord,
    pub joined: bool,
}

#[derive(FromRow)]
struct AttendedRow {
    session_id: Uuid,
    joined_at: Option<i64>,
}

impl Store {
    /// Issues the session's download ticket, replacing any earlier one.
    pub async fn put_agent_ticket(
        &self,
        session_id: Uuid,
        ticket_hash: &TokenHash,
        expires_at: i64,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO agent_download_tickets (session_id, ticket_hash, expires_at) \
             VALUES ($1, $2, $3) ON CONFLICT (session_id) \
             DO UPDATE SET ticket_hash = excluded.ticket_hash, expires_at = excluded.expires_at",
            )
            .bind(session_id)
            .bind(ticket_hash)
            .bind(expires_at)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Spends a ticket: its session when it was live; it never works twice.
    pub async fn take_agent_ticket(
        &self,
        ticket_hash: &TokenHash,
        now: i64,
    ) -> StoreResult<Option<Uuid>> {
        on_pool!(self, |pool| {
            let row: Option<(Uuid, i64)> = sqlx::query_as(
                "DELETE FROM agent_download_tickets WHERE ticket_hash = $1 \
             RETURNING session_id, expires_at",
            )
            .bind(ticket_hash)
            .fetch_optional(pool)
            .await?;
            Ok(row.and_then(|(session, expires_at)| (expires_at > now).then_some(session)))
        })
    }

    /// How many attended tokens the session has been given.
    pub async fn attended_count(&self, session_id: Uuid) -> StoreResult<i64> {
        on_pool!(self, |pool| {
            let (count,): (i64,) =
                sqlx::query_as("SELECT COUNT(*) FROM attended_agents WHERE session_id = $1")
                    .bind(session_id)
                    .fetch_one(pool)
                    .await?;
            Ok(count)
        })
    }

    pub async fn insert_attended(
        &self,
        token_hash: &TokenHash,
        session_id: Uuid,
        platform: &str,
        now: i64,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO attended_agents (token_hash, session_id, platform, created_at) \
             VALUES ($1, $2, $3, $4)",
            )
            .bind(token_hash)
            .bind(session_id)
            .bind(platform)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// The token's session, unless the token was revoked.
    pub async fn attended(&self, token_hash: &TokenHash) -> StoreResult<Option<AttendedRecord>> {
        on_pool!(self, |pool| {
            let row: Option<AttendedRow> = sqlx::query_as(
                "SELECT session_id, joined_at FROM attended_agents \
             WHERE token_hash = $1 AND revoked_at IS NULL",
            )
            .bind(token_hash)
            .fetch_optional(pool)
            .await?;
            let Some(row) = row else { return Ok(None) };
            let session = sqlx::query_as(&format!("{SELECT_SESSION} WHERE s.id = $1"))
                .bind(row.session_id)
                .fetch_optional(pool)
                .await?;
            Ok(session.map(|session| AttendedRecord {
                session,
                joined: row.joined_at.is_some(),
            }))
        })
    }

    /// Notes that the app joined with this token; false when it had already.
    pub async fn mark_attended_joined(
        &self,
        token_hash: &TokenHash,
        now: i64,
    ) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let done = sqlx::query(
                "UPDATE attended_agents SET joined_at = $1 \
             WHERE token_hash = $2 AND joined_at IS NULL AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(token_hash)
            .execute(pool)
            .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Revokes one token; false when it was revoked already.
    pub async fn revoke_attended(&self, token_hash: &TokenHash, now: i64) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let done = sqlx::query(
            "UPDATE attended_agents SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(token_hash)
        .execute(pool)
        .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Revokes every token and the ticket of the session; how many tokens were live.
    pub async fn revoke_all_attended(&self, session_id: Uuid, now: i64) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let done = sqlx::query(
            "UPDATE attended_agents SET revoked_at = $1 WHERE session_id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(session_id)
        .execute(&mut *tx)
        .await?;
            sqlx::query("DELETE FROM agent_download_tickets WHERE session_id = $1")
                .bind(session_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(done.rows_affected())
        })
    }
}
