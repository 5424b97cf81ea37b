use super::on_pool;
use super::{Store, StoreResult};

impl Store {
    /// Takes the named lease for `holder` until `now + lasts_ms`, or renews it if
    /// `holder` has it. False while another holder's lease runs.
    pub async fn take_lease(
        &self,
        name: &str,
        holder: &str,
        now: i64,
        lasts_ms: i64,
    ) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let taken: Option<String> = sqlx::query_scalar(
                "INSERT INTO leases (name, holder, until) VALUES ($1, $2, $3 + $4) \
                 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until \
                 WHERE leases.holder = excluded.holder OR leases.until <= $3 \
                 RETURNING holder",
            )
            .bind(name)
            .bind(holder)
            .bind(now)
            .bind(lasts_ms)
            .fetch_optional(pool)
            .await?;
            Ok(taken.is_some())
        })
    }
}
