use sqlx::FromRow;
use uuid::Uuid;

use super::{to_i64, to_u64, Store, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct FileRecord {
    pub id: Uuid,
    pub session_id: Uuid,
    /// `technician` or `end_user`.
    pub uploader: String,
    pub name: String,
    pub size: i64,
    pub sha256: String,
    pub received: i64,
    pub complete: bool,
    pub created_at: i64,
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
        .bind(&file.uploader)
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
            "SELECT id, session_id, uploader, name, size, sha256, received, complete, created_at \
             FROM files WHERE id = ?",
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
