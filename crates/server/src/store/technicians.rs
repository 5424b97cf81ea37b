use sqlx::FromRow;
use uuid::Uuid;

use super::on_pool;
use super::{Store, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct TechnicianRecord {
    pub id: Uuid,
    pub company_id: Uuid,
    pub company_name: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub disabled: bool,
    pub created_at: i64,
    /// A TOTP second factor is set up.
    pub second_factor: bool,
    /// The company requires every technician to have one.
    pub company_requires_second_factor: bool,
}

pub struct NewTechnicianRecord<'a> {
    pub company_name: &'a str,
    pub email: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub is_admin: bool,
    pub now: i64,
}

/// The columns of a [`TechnicianRecord`], from `technicians t` joined with `companies c`
/// (a macro, so `concat!` can build the queries that share them).
macro_rules! technician_columns {
    () => {
        "t.id, t.company_id, c.name AS company_name, t.email, \
         t.display_name, t.password_hash, t.is_admin, t.disabled, t.created_at, \
         t.totp_sealed IS NOT NULL AS second_factor, \
         c.require_second_factor AS company_requires_second_factor"
    };
}
pub(super) use technician_columns;

const SELECT_TECHNICIAN: &str = concat!(
    "SELECT ",
    technician_columns!(),
    " FROM technicians t JOIN companies c ON c.id = t.company_id"
);

impl Store {
    /// Adds a technician, creating the company by name if it is new.
    pub async fn insert_technician(
        &self,
        new: NewTechnicianRecord<'_>,
    ) -> StoreResult<TechnicianRecord> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("INSERT INTO companies (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT(name) DO NOTHING")
            .bind(Uuid::new_v4())
            .bind(new.company_name)
            .bind(new.now)
            .execute(&mut *tx)
            .await?;
            let company_id: Uuid = sqlx::query_scalar("SELECT id FROM companies WHERE name = $1")
                .bind(new.company_name)
                .fetch_one(&mut *tx)
                .await?;
            let id = Uuid::new_v4();
            sqlx::query(
            "INSERT INTO technicians (id, company_id, email, display_name, password_hash, is_admin, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(company_id)
        .bind(new.email)
        .bind(new.display_name)
        .bind(new.password_hash)
        .bind(new.is_admin)
        .bind(new.now)
        .execute(&mut *tx)
        .await?;
            tx.commit().await?;
            self.technician(id).await?.ok_or_else(|| {
                super::StoreError::Corrupt("technician vanished after insert".into())
            })
        })
    }

    pub async fn technician(&self, id: Uuid) -> StoreResult<Option<TechnicianRecord>> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query_as(&format!("{SELECT_TECHNICIAN} WHERE t.id = $1"))
                    .bind(id)
                    .fetch_optional(pool)
                    .await?,
            )
        })
    }

    pub async fn technician_by_email(&self, email: &str) -> StoreResult<Option<TechnicianRecord>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(&format!(
                "{SELECT_TECHNICIAN} WHERE lower(t.email) = lower($1)"
            ))
            .bind(email)
            .fetch_optional(pool)
            .await?)
        })
    }

    pub async fn technicians_of_company(
        &self,
        company_id: Option<Uuid>,
    ) -> StoreResult<Vec<TechnicianRecord>> {
        on_pool!(self, |pool| {
            let rows = match company_id {
                Some(company) => {
                    sqlx::query_as(&format!(
                        "{SELECT_TECHNICIAN} WHERE t.company_id = $1 ORDER BY lower(t.email)"
                    ))
                    .bind(company)
                    .fetch_all(pool)
                    .await?
                }
                None => {
                    sqlx::query_as(&format!("{SELECT_TECHNICIAN} ORDER BY lower(t.email)"))
                        .fetch_all(pool)
                        .await?
                }
            };
            Ok(rows)
        })
    }

    pub async fn count_technicians(&self) -> StoreResult<i64> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar("SELECT COUNT(*) FROM technicians")
                .fetch_one(pool)
                .await?)
        })
    }

    /// Disables or re-enables; disabling also revokes every token of the technician.
    /// A new password hash; every sign-in but `keep_family` ends with it.
    pub async fn set_technician_password(
        &self,
        id: Uuid,
        password_hash: &str,
        keep_family: Uuid,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            sqlx::query("UPDATE technicians SET password_hash = $1 WHERE id = $2")
                .bind(password_hash)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
            "UPDATE auth_tokens SET revoked = TRUE WHERE technician_id = $1 AND family_id != $2",
        )
        .bind(id)
        .bind(keep_family)
        .execute(&mut *tx)
        .await?;
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn set_technician_disabled(&self, id: Uuid, disabled: bool) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let changed = sqlx::query("UPDATE technicians SET disabled = $1 WHERE id = $2")
                .bind(disabled)
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if disabled {
                sqlx::query("UPDATE auth_tokens SET revoked = TRUE WHERE technician_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            tx.commit().await?;
            Ok(changed == 1)
        })
    }
}
