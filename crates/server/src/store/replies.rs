use sqlx::FromRow;
use uuid::Uuid;

use super::on_pool;
use super::{Store, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct ReplyRecord {
    pub id: Uuid,
    pub company_id: Uuid,
    /// `None`: the company's, for every technician.
    pub technician_id: Option<Uuid>,
    pub author_name: String,
    pub title: String,
    pub text_en: String,
    pub text_de: String,
    pub updated_at: i64,
}

/// A reply's content as it is stored.
pub struct ReplyContent<'a> {
    pub title: &'a str,
    pub text_en: &'a str,
    pub text_de: &'a str,
}

const SELECT_REPLY: &str =
    "SELECT r.id, r.company_id, r.technician_id, t.display_name AS author_name, \
     r.title, r.text_en, r.text_de, r.updated_at \
     FROM canned_replies r JOIN technicians t ON t.id = r.author_id";

impl Store {
    /// The technician's own replies and the company's, by title.
    pub async fn canned_replies(
        &self,
        company_id: Uuid,
        technician_id: Uuid,
    ) -> StoreResult<Vec<ReplyRecord>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(&format!(
            "{SELECT_REPLY} WHERE r.company_id = $1 AND (r.technician_id IS NULL OR r.technician_id = $2) \
             ORDER BY lower(r.title), r.created_at"
        ))
        .bind(company_id)
        .bind(technician_id)
        .fetch_all(pool)
        .await?)
        })
    }

    pub async fn canned_reply(&self, id: Uuid) -> StoreResult<Option<ReplyRecord>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(&format!("{SELECT_REPLY} WHERE r.id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?)
        })
    }

    /// How many replies the owner keeps: a technician, or (`None`) the company.
    pub async fn count_canned_replies(
        &self,
        company_id: Uuid,
        technician_id: Option<Uuid>,
    ) -> StoreResult<i64> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM canned_replies WHERE company_id = $1 AND technician_id IS NOT DISTINCT FROM $2",
        )
        .bind(company_id)
        .bind(technician_id)
        .fetch_one(pool)
        .await?)
        })
    }

    pub async fn insert_canned_reply(
        &self,
        id: Uuid,
        company_id: Uuid,
        technician_id: Option<Uuid>,
        author_id: Uuid,
        content: ReplyContent<'_>,
        now: i64,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO canned_replies (id, company_id, technician_id, author_id, title, text_en, \
             text_de, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id)
        .bind(company_id)
        .bind(technician_id)
        .bind(author_id)
        .bind(content.title)
        .bind(content.text_en)
        .bind(content.text_de)
        .bind(now)
        .bind(now)
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    /// Replaces a reply's content and moves it to `technician_id`'s (or the company's) list.
    pub async fn update_canned_reply(
        &self,
        id: Uuid,
        technician_id: Option<Uuid>,
        author_id: Uuid,
        content: ReplyContent<'_>,
        now: i64,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "UPDATE canned_replies SET technician_id = $1, author_id = $2, title = $3, text_en = $4, \
             text_de = $5, updated_at = $6 WHERE id = $7",
        )
        .bind(technician_id)
        .bind(author_id)
        .bind(content.title)
        .bind(content.text_en)
        .bind(content.text_de)
        .bind(now)
        .bind(id)
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    pub async fn delete_canned_reply(&self, id: Uuid) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM canned_replies WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }
}
