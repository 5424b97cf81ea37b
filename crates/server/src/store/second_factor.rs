use uuid::Uuid;

use super::on_pool;
use super::{Store, StoreResult};
use crate::secrets::KeyedHash;

impl Store {
    /// Keeps a secret being set up until its first code confirms it.
    pub async fn set_pending_totp(&self, technician_id: Uuid, sealed: &[u8]) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE technicians SET totp_pending_sealed = $1 WHERE id = $2")
                .bind(sealed)
                .bind(technician_id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// The enabled and the pending sealed secrets, and the last step a code used.
    pub async fn totp(
        &self,
        technician_id: Uuid,
    ) -> StoreResult<(Option<Vec<u8>>, Option<Vec<u8>>, i64)> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(
            "SELECT totp_sealed, totp_pending_sealed, totp_last_step FROM technicians WHERE id = $1",
        )
        .bind(technician_id)
        .fetch_one(pool)
        .await?)
        })
    }

    /// Turns the pending secret on with its recovery codes, replacing any earlier ones.
    pub async fn enable_totp(
        &self,
        technician_id: Uuid,
        step: i64,
        recovery_hashes: &[KeyedHash],
    ) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query(
            "UPDATE technicians SET totp_sealed = totp_pending_sealed, totp_pending_sealed = NULL, \
             totp_last_step = $1 WHERE id = $2 AND totp_pending_sealed IS NOT NULL",
        )
        .bind(step)
        .bind(technician_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
            if changed != 1 {
                return Ok(false);
            }
            sqlx::query("DELETE FROM recovery_codes WHERE technician_id = $1")
                .bind(technician_id)
                .execute(&mut *tx)
                .await?;
            for hash in recovery_hashes {
                sqlx::query(
                    "INSERT INTO recovery_codes (technician_id, code_hash) VALUES ($1, $2)",
                )
                .bind(technician_id)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// Records that a code of `step` was used; false when that step (or a later one)
    /// was used already, so a code works once.
    pub async fn use_totp_step(&self, technician_id: Uuid, step: i64) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(sqlx::query(
                "UPDATE technicians SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $3",
            )
            .bind(step)
            .bind(technician_id)
            .bind(step)
            .execute(pool)
            .await?
            .rows_affected()
                == 1)
        })
    }

    /// Spends one recovery code whose keyed hash is among `hashes`; false if none is left.
    pub async fn use_recovery_code(
        &self,
        technician_id: Uuid,
        hashes: &[KeyedHash],
        now: i64,
    ) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            for hash in hashes {
                let used = sqlx::query(
                    "UPDATE recovery_codes SET used_at = $1 \
                 WHERE technician_id = $2 AND code_hash = $3 AND used_at IS NULL",
                )
                .bind(now)
                .bind(technician_id)
                .bind(hash)
                .execute(pool)
                .await?
                .rows_affected();
                if used == 1 {
                    return Ok(true);
                }
            }
            Ok(false)
        })
    }

    pub async fn disable_totp(&self, technician_id: Uuid) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query(
                "UPDATE technicians SET totp_sealed = NULL, totp_pending_sealed = NULL, \
             totp_last_step = 0 WHERE id = $1",
            )
            .bind(technician_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM recovery_codes WHERE technician_id = $1")
                .bind(technician_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn require_second_factor(&self, company_id: Uuid) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query_scalar("SELECT require_second_factor FROM companies WHERE id = $1")
                    .bind(company_id)
                    .fetch_one(pool)
                    .await?,
            )
        })
    }

    pub async fn set_require_second_factor(
        &self,
        company_id: Uuid,
        required: bool,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE companies SET require_second_factor = $1 WHERE id = $2")
                .bind(required)
                .bind(company_id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }
}
