use sqlx::FromRow;
use uuid::Uuid;

use super::on_pool;
use super::{OutboxChannel, Store, StoreResult};

pub struct NewOutboxEntry<'a> {
    pub id: Uuid,
    pub channel: OutboxChannel,
    pub driver: &'a str,
    pub recipient: &'a str,
    pub subject: Option<&'a str>,
    pub body: &'a str,
    pub technician_id: Uuid,
    pub session_id: Option<Uuid>,
    pub now: i64,
}

#[derive(Debug, Clone, FromRow)]
pub struct OutboxRecord {
    pub id: Uuid,
    pub channel: OutboxChannel,
    pub driver: String,
    pub recipient: String,
    pub subject: Option<String>,
    pub body: String,
    pub technician_email: String,
    pub created_at: i64,
}

impl Store {
    pub async fn insert_outbox(&self, entry: NewOutboxEntry<'_>) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO outbox (id, channel, driver, recipient, subject, body, technician_id, session_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(entry.id)
        .bind(entry.channel)
        .bind(entry.driver)
        .bind(entry.recipient)
        .bind(entry.subject)
        .bind(entry.body)
        .bind(entry.technician_id)
        .bind(entry.session_id)
        .bind(entry.now)
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    /// Messages of one company (or all), newest first.
    pub async fn outbox(
        &self,
        company_id: Option<Uuid>,
        limit: i64,
    ) -> StoreResult<Vec<OutboxRecord>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT o.id, o.channel, o.driver, o.recipient, o.subject, o.body, \
                    t.email AS technician_email, o.created_at \
             FROM outbox o JOIN technicians t ON t.id = o.technician_id \
             WHERE ($1 IS NULL OR t.company_id = $1) \
             ORDER BY o.created_at DESC, o.rowid DESC LIMIT $2",
            )
            .bind(company_id)
            .bind(limit)
            .fetch_all(pool)
            .await?)
        })
    }
}
