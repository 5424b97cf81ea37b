use super::on_pool;
use super::{Store, StoreResult};

/// Consecutive failures in one bucket and when the last one happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct Failures {
    pub failures: i64,
    pub last_failure_at: i64,
}

impl Store {
    pub async fn failures(&self, bucket: &str) -> StoreResult<Option<Failures>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(
                "SELECT failures, last_failure_at FROM failed_attempts WHERE bucket = $1",
            )
            .bind(bucket)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// Counts one more failure in `bucket`, starting again from one when the last is
    /// older than `forget_before`.
    pub async fn record_failure(
        &self,
        bucket: &str,
        now: i64,
        forget_before: i64,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO failed_attempts (bucket, failures, last_failure_at) VALUES ($1, 1, $2) \
             ON CONFLICT(bucket) DO UPDATE SET \
               failures = CASE WHEN failed_attempts.last_failure_at < $3 THEN 1 \
                               ELSE failed_attempts.failures + 1 END, \
               last_failure_at = excluded.last_failure_at",
        )
        .bind(bucket)
        .bind(now)
        .bind(forget_before)
        .execute(pool)
        .await?;
            Ok(())
        })
    }

    pub async fn clear_failures(&self, bucket: &str) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM failed_attempts WHERE bucket = $1")
                .bind(bucket)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Forgets failures older than `before`; they delay nothing any more.
    pub async fn delete_stale_failures(&self, before: i64) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query("DELETE FROM failed_attempts WHERE last_failure_at < $1")
                    .bind(before)
                    .execute(pool)
                    .await?
                    .rows_affected(),
            )
        })
    }

    /// The count so far in `bucket`'s window starting at `window_start`, without
    /// counting a hit.
    pub async fn rate_limit_count(&self, bucket: &str, window_start: i64) -> StoreResult<i64> {
        on_pool!(self, |pool| {
            let count: Option<i64> = sqlx::query_scalar(
                "SELECT count FROM rate_limits WHERE bucket = $1 AND window_start = $2",
            )
            .bind(bucket)
            .bind(window_start)
            .fetch_optional(pool)
            .await?;
            Ok(count.unwrap_or(0))
        })
    }
}
