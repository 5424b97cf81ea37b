use sqlx::FromRow;
use uuid::Uuid;

use lifeline_protocol::Party;

use super::on_pool;
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
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO files (id, session_id, uploader, name, size, sha256, received, complete, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, FALSE, $7)",
        )
        .bind(file.id)
        .bind(file.session_id)
        .bind(StoredParty::from(file.uploader))
        .bind(&file.name)
        .bind(file.size)
        .bind(&file.sha256)
        .bind(file.created_at)
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    pub async fn file(&self, id: Uuid) -> StoreResult<Option<FileRecord>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(
            "SELECT id, session_id, uploader, name, size, sha256, received, complete, created_at, \
             expired_at FROM files WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await?)
        })
    }

    pub async fn set_file_received(&self, id: Uuid, received: u64) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE files SET received = $1 WHERE id = $2")
                .bind(to_i64(received))
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Marks the file complete once; false when another request already did.
    pub async fn complete_file(&self, id: Uuid) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query("UPDATE files SET complete = TRUE WHERE id = $1 AND complete = FALSE")
                    .bind(id)
                    .execute(pool)
                    .await?
                    .rows_affected()
                    == 1,
            )
        })
    }

    pub async fn delete_file(&self, id: Uuid) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM files WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
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
        on_pool!(self, |pool| {
            let bytes: Option<i64> = sqlx::query_scalar(
            "SELECT CAST(SUM(size) AS BIGINT) FROM files WHERE session_id = $1 AND expired_at IS NULL",
        )
        .bind(session_id)
        .fetch_one(pool)
        .await?;
            Ok(to_u64(bytes.unwrap_or(0)))
        })
    }

    /// Bytes announced or kept for every file, and of those the bytes still to arrive.
    pub async fn file_bytes(&self) -> StoreResult<(u64, u64)> {
        on_pool!(self, |pool| {
            let (total, outstanding): (Option<i64>, Option<i64>) = sqlx::query_as(
            "SELECT CAST(SUM(size) AS BIGINT), CAST(SUM(CASE WHEN complete = FALSE THEN size - received ELSE 0 END) AS BIGINT) \
             FROM files WHERE expired_at IS NULL",
        )
        .fetch_one(pool)
        .await?;
            Ok((to_u64(total.unwrap_or(0)), to_u64(outstanding.unwrap_or(0))))
        })
    }

    /// Files of sessions that ended (or whose key expired unused) before `cutoff`.
    pub async fn files_due_for_expiry(&self, cutoff: i64) -> StoreResult<Vec<DueFile>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT f.id, f.session_id FROM files f JOIN sessions s ON s.id = f.session_id \
             WHERE f.expired_at IS NULL AND ( \
               (s.status = 'ended' AND s.ended_at < $1) \
               OR (s.status = 'waiting' AND s.key_expires_at < $2))",
            )
            .bind(cutoff)
            .bind(cutoff)
            .fetch_all(pool)
            .await?)
        })
    }

    pub async fn mark_file_expired(&self, id: Uuid, now: i64) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE files SET expired_at = $1 WHERE id = $2 AND expired_at IS NULL")
                .bind(now)
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }
}

/// One stored part of a file in the shared file store: bytes `first_byte ..
/// first_byte + length` are the object named `object`.
#[derive(Debug, Clone, FromRow)]
pub struct FilePart {
    pub first_byte: i64,
    pub length: i64,
    pub object: String,
}

impl FilePart {
    pub fn first_byte(&self) -> u64 {
        to_u64(self.first_byte)
    }
    pub fn length(&self) -> u64 {
        to_u64(self.length)
    }
}

impl Store {
    /// Records a part that starts where the file's bytes end now, and moves `received`
    /// past it, in one transaction. False when the file is not at `first_byte` any more
    /// (another append, perhaps on another node, counted first) or is complete: then
    /// the part does not count, and its object is the caller's to delete.
    pub async fn add_file_part(&self, file_id: Uuid, part: &FilePart) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let moved = sqlx::query(
                "UPDATE files SET received = received + $1 \
                 WHERE id = $2 AND received = $3 AND complete = FALSE AND expired_at IS NULL",
            )
            .bind(part.length)
            .bind(file_id)
            .bind(part.first_byte)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !moved {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO file_parts (file_id, first_byte, length, object) VALUES ($1, $2, $3, $4)",
            )
            .bind(file_id)
            .bind(part.first_byte)
            .bind(part.length)
            .bind(&part.object)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(true)
        })
    }

    /// A file's parts in the shared store, in order.
    pub async fn file_parts(&self, file_id: Uuid) -> StoreResult<Vec<FilePart>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT first_byte, length, object FROM file_parts WHERE file_id = $1 \
                 ORDER BY first_byte",
            )
            .bind(file_id)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Forgets a file's parts (their objects are deleted); the file keeps its record.
    pub async fn delete_file_parts(&self, file_id: Uuid) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM file_parts WHERE file_id = $1")
                .bind(file_id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }
}
