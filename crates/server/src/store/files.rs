use sqlx::FromRow;
use uuid::Uuid;

use lifeline_protocol::Party;

use super::{to_i64, to_u64, Store, StoreResult, StoredParty};

#[derive(Debug, Clone, FromRow)]
pub struct FileRecord {
    pub id: Uuid,
    pub session_id: Uuid,
    #[sqlx(try_from = "StoredParty")]
    pub uploader: Party,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub received: i64,
    pub complete: bool,
    pub created_at: i64,
    /// When the retention job deleted the bytes.
    pub expired_at: Option<i64>,
}

impl FileRecord {
    pub fn size(&self) -> u64 {
        to_u64(self.size)
    }
    pub fn received(&self) -> u64 {
        to_u64(self.received)
    }
}

impl Store {
    pub async fn insert_file(&self, file: &FileRecord) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO files (id, session_id, uploader, name, size, sha256, received, complete, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, 0, 0, ?)",
        )
        .bind(file.id)
        .bind(file.session_id)
        .bind(StoredParty::from(file.uploader))
        .bind(&file.name)
        .bind(file.size)
        .bind(&file.sha256)
        .bind(file.created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn file(&self, id: Uuid) -> StoreResult<Option<FileRecord>> {
        Ok(sqlx::query_as(
            "SELECT id, session_id, uploader, name, size, sha256, received, complete, created_at, \
             expired_at FROM files WHERE id = ?",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn set_file_received(&self, id: Uuid, received: u64) -> StoreResult<()> {
        sqlx::query("UPDATE files SET received = ? WHERE id = ?")
            .bind(to_i64(received))
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Marks the file complete once; false when another request already did.
    pub async fn complete_file(&self, id: Uuid) -> StoreResult<bool> {
        Ok(
            sqlx::query("UPDATE files SET complete = 1 WHERE id = ? AND complete = 0")
                .bind(id)
                .execute(&self.pool)
                .await?
                .rows_affected()
                == 1,
        )
    }

    pub async fn delete_file(&self, id: Uuid) -> StoreResult<()> {
        sqlx::query("DELETE FROM files WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// A file whose bytes the retention rule says must go.
#[derive(Debug, Clone, FromRow)]
pub struct DueFile {
    pub id: Uuid,
    pub session_id: Uuid,
}

impl Store {
    /// Bytes announced or kept for one session's files.
    pub async fn session_file_bytes(&self, session_id: Uuid) -> StoreResult<u64> {
        let bytes: Option<i64> = sqlx::query_scalar(
            "SELECT SUM(size) FROM files WHERE session_id = ? AND expired_at IS NULL",
        )
        .bind(session_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(to_u64(bytes.unwrap_or(0)))
    }

    /// Bytes announced or kept for every file, and of those the bytes still to arrive.
    pub async fn file_bytes(&self) -> StoreResult<(u64, u64)> {
        let (total, outstanding): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT SUM(size), SUM(CASE WHEN complete = 0 THEN size - received ELSE 0 END) \
             FROM files WHERE expired_at IS NULL",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((to_u64(total.unwrap_or(0)), to_u64(outstanding.unwrap_or(0))))
    }

    /// Files of sessions that ended (or whose key expired unused) before `cutoff`.
    pub async fn files_due_for_expiry(&self, cutoff: i64) -> StoreResult<Vec<DueFile>> {
        Ok(sqlx::query_as(
            "SELECT f.id, f.session_id FROM files f JOIN sessions s ON s.id = f.session_id \
             WHERE f.expired_at IS NULL AND ( \
               (s.status = 'ended' AND s.ended_at < ?) \
               OR (s.status = 'waiting' AND s.key_expires_at < ?))",
        )
        .bind(cutoff)
        .bind(cutoff)
        .fetch_all(&self.pool)
        .await?)
    }

    pub async fn mark_file_expired(&self, id: Uuid, now: i64) -> StoreResult<()> {
        sqlx::query("UPDATE files SET expired_at = ? WHERE id = ? AND expired_at IS NULL")
            .bind(now)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
