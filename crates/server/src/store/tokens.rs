use sqlx::FromRow;
use uuid::Uuid;

use super::on_pool;
use super::technicians::technician_columns;
use super::{Store, StoreResult, TechnicianRecord};
use crate::auth::tokens::TokenHash;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, sqlx::Type)]
#[sqlx(type_name = "TEXT", rename_all = "lowercase")]
pub enum TokenKind {
    Access,
    Refresh,
}

impl TokenKind {
    fn as_str(self) -> &'static str {
        match self {
            TokenKind::Access => "access",
            TokenKind::Refresh => "refresh",
        }
    }
}

/// Where a technician's sign-in stands, for connections that outlive a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInStanding {
    Live,
    /// Signed out, revoked or run out: no token of the sign-in works any more.
    Ended,
    Disabled,
}

/// A token's row joined with its technician's.
#[derive(FromRow)]
pub(super) struct SignInRow {
    #[sqlx(flatten)]
    pub(super) technician: TechnicianRecord,
    #[sqlx(flatten)]
    pub(super) token: TokenRecord,
    pub(super) token_hash: TokenHash,
    pub(super) kind: TokenKind,
}

/// Selects [`SignInRow`]s; a `WHERE` on `k.token_hash` follows.
pub(super) const SELECT_SIGN_IN: &str = concat!(
    "SELECT ",
    technician_columns!(),
    ", k.technician_id, k.family_id, k.expires_at, k.revoked, k.signed_in_at, \
     k.token_hash, k.kind \
     FROM auth_tokens k JOIN technicians t ON t.id = k.technician_id \
     JOIN companies c ON c.id = t.company_id"
);

#[derive(Debug, Clone, FromRow)]
pub struct TokenRecord {
    pub technician_id: Uuid,
    pub family_id: Uuid,
    pub expires_at: i64,
    pub revoked: bool,
    /// When the sign-in this token belongs to began (its password was checked).
    pub signed_in_at: i64,
}

/// One token to store.
pub struct NewToken<'a> {
    pub token_hash: &'a TokenHash,
    pub kind: TokenKind,
    pub technician_id: Uuid,
    pub family_id: Uuid,
    pub expires_at: i64,
    pub signed_in_at: i64,
    pub now: i64,
}

impl Store {
    pub async fn insert_token(&self, token: NewToken<'_>) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO auth_tokens \
             (token_hash, kind, technician_id, family_id, expires_at, created_at, signed_in_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(token.token_hash)
            .bind(token.kind.as_str())
            .bind(token.technician_id)
            .bind(token.family_id)
            .bind(token.expires_at)
            .bind(token.now)
            .bind(token.signed_in_at)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    pub async fn token(
        &self,
        token_hash: &TokenHash,
        kind: TokenKind,
    ) -> StoreResult<Option<TokenRecord>> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(
            "SELECT technician_id, family_id, expires_at, revoked, signed_in_at FROM auth_tokens \
             WHERE token_hash = $1 AND kind = $2",
        )
        .bind(token_hash)
        .bind(kind.as_str())
        .fetch_optional(pool)
        .await?)
        })
    }

    /// The token and its technician in one query: every authenticated request asks, so
    /// on SQLite the question is grouped with others (see `hot_reads`).
    pub async fn token_with_technician(
        &self,
        token_hash: &TokenHash,
        kind: TokenKind,
    ) -> StoreResult<Option<(TechnicianRecord, TokenRecord)>> {
        if let Some(hot_reads) = &self.hot_reads {
            return hot_reads.sign_in(token_hash, kind).await;
        }
        let row: Option<SignInRow> = on_pool!(self, |pool| sqlx::query_as(&format!(
            "{SELECT_SIGN_IN} WHERE k.token_hash = $1 AND k.kind = $2"
        ))
        .bind(token_hash)
        .bind(kind.as_str())
        .fetch_optional(pool)
        .await?);
        Ok(row.map(|row| (row.technician, row.token)))
    }

    /// Marks one refresh token used. False when it was already revoked: a replay.
    pub async fn revoke_token(&self, token_hash: &TokenHash) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let changed = sqlx::query(
                "UPDATE auth_tokens SET revoked = TRUE WHERE token_hash = $1 AND revoked = FALSE",
            )
            .bind(token_hash)
            .execute(pool)
            .await?
            .rows_affected();
            Ok(changed == 1)
        })
    }

    /// Revokes every access and refresh token issued in one login.
    /// Whether the sign-in `family_id` of the technician still holds: the account is
    /// enabled and some token of the sign-in is neither revoked nor expired. Catches what
    /// the hub cannot tell a connection, such as `lifeline-server technician disable` run
    /// beside the service.
    pub async fn sign_in_standing(
        &self,
        technician_id: Uuid,
        family_id: Uuid,
        now: i64,
    ) -> StoreResult<SignInStanding> {
        on_pool!(self, |pool| {
            let row: Option<(bool, bool)> = sqlx::query_as(
                "SELECT t.disabled, EXISTS (SELECT 1 FROM auth_tokens a WHERE a.family_id = $1 \
               AND a.technician_id = t.id AND a.revoked = FALSE AND a.expires_at > $2) \
             FROM technicians t WHERE t.id = $3",
            )
            .bind(family_id)
            .bind(now)
            .bind(technician_id)
            .fetch_optional(pool)
            .await?;
            Ok(match row {
                Some((true, _)) => SignInStanding::Disabled,
                Some((false, true)) => SignInStanding::Live,
                Some((false, false)) | None => SignInStanding::Ended,
            })
        })
    }

    pub async fn revoke_family(&self, family_id: Uuid) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE auth_tokens SET revoked = TRUE WHERE family_id = $1")
                .bind(family_id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn delete_expired_tokens(&self, now: i64) -> StoreResult<u64> {
        on_pool!(self, |pool| {
            Ok(sqlx::query("DELETE FROM auth_tokens WHERE expires_at < $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected())
        })
    }
}
