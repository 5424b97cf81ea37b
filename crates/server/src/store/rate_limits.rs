use super::on_pool;
use super::{Store, StoreResult};

impl Store {
    /// Counts one hit in `bucket` for the window starting at `window_start` and returns
    /// the count so far in that window. A new window resets the count.
    pub async fn hit_rate_limit(&self, bucket: &str, window_start: i64) -> StoreResult<i64> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "INSERT INTO rate_limits (bucket, window_start, count) VALUES ($1, $2, 1) \
             ON CONFLICT(bucket) DO UPDATE SET \
               count = CASE WHEN rate_limits.window_start = excluded.window_start \
                            THEN rate_limits.count + 1 ELSE 1 END, \
               window_start = excluded.window_start \
             RETURNING count",
            )
            .bind(bucket)
            .bind(window_start)
            .fetch_one(pool)
            .await?)
        })
    }
}

impl Store {
    /// Forgets windows that ended before `before`; they can no longer limit anything.
    pub async fn delete_stale_rate_limits(&self, before: i64) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
                    .bind(before)
                    .execute(pool)
                    .await?
                    .rows_affected(),
            )
        })
    }
}
