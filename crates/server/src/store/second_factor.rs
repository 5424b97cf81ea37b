use uuid::Uuid;

use super::{Store, StoreResult};

impl Store {
    /// Keeps a secret being set up until its first code confirms it.
    pub async fn set_pending_totp(&self, technician_id: Uuid, sealed: &[u8]) -> StoreResult<()> {
        sqlx::query("UPDATE technicians SET totp_pending_sealed = ? WHERE id = ?")
            .bind(sealed)
            .bind(technician_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The enabled and the pending sealed secrets, and the last step a code used.
    pub async fn totp(
        &self,
        technician_id: Uuid,
    ) -> StoreResult<(Option<Vec<u8>>, Option<Vec<u8>>, i64)> {
        Ok(sqlx::query_as(
            "SELECT totp_sealed, totp_pending_sealed, totp_last_step FROM technicians WHERE id = ?",
        )
        .bind(technician_id)
        .fetch_one(&self.pool)
        .await?)
    }

    /// Turns the pending secret on with its recovery codes, replacing any earlier ones.
    pub async fn enable_totp(
        &self,
        technician_id: Uuid,
        step: i64,
        recovery_hashes: &[String],
    ) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let changed = sqlx::query(
            "UPDATE technicians SET totp_sealed = totp_pending_sealed, totp_pending_sealed = NULL, \
             totp_last_step = ? WHERE id = ? AND totp_pending_sealed IS NOT NULL",
        )
        .bind(step)
        .bind(technician_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if changed != 1 {
            return Ok(false);
        }
        sqlx::query("DELETE FROM recovery_codes WHERE technician_id = ?")
            .bind(technician_id)
            .execute(&mut *tx)
            .await?;
        for hash in recovery_hashes {
            sqlx::query("INSERT INTO recovery_codes (technician_id, code_hash) VALUES (?, ?)")
                .bind(technician_id)
                .bind(hash)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Records that a code of `step` was used; false when that step (or a later one)
    /// was used already, so a code works once.
    pub async fn use_totp_step(&self, technician_id: Uuid, step: i64) -> StoreResult<bool> {
        Ok(sqlx::query(
            "UPDATE technicians SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?",
        )
        .bind(step)
        .bind(technician_id)
        .bind(step)
        .execute(&self.pool)
        .await?
        .rows_affected()
            == 1)
    }

    /// Spends one recovery code whose keyed hash is among `hashes`; false if none is left.
    pub async fn use_recovery_code(
        &self,
        technician_id: Uuid,
        hashes: &[String],
        now: i64,
    ) -> StoreResult<bool> {
        for hash in hashes {
            let used = sqlx::query(
                "UPDATE recovery_codes SET used_at = ? \
                 WHERE technician_id = ? AND code_hash = ? AND used_at IS NULL",
            )
            .bind(now)
            .bind(technician_id)
            .bind(hash)
            .execute(&self.pool)
            .await?
            .rows_affected();
            if used == 1 {
                return Ok(true);
            }
        }
        Ok(false)
    }

    pub async fn disable_totp(&self, technician_id: Uuid) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE technicians SET totp_sealed = NULL, totp_pending_sealed = NULL, \
             totp_last_step = 0 WHERE id = ?",
        )
        .bind(technician_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM recovery_codes WHERE technician_id = ?")
            .bind(technician_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn require_second_factor(&self, company_id: Uuid) -> StoreResult<bool> {
        Ok(
            sqlx::query_scalar("SELECT require_second_factor FROM companies WHERE id = ?")
                .bind(company_id)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    pub async fn set_require_second_factor(
        &self,
        company_id: Uuid,
        required: bool,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE companies SET require_second_factor = ? WHERE id = ?")
            .bind(required)
            .bind(company_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
