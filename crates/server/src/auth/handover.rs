//! One-time sign-ins for the desktop app on the service's own machine
//! (`lifeline-server technician sign-in-token`, which `scripts/run` pipes into the app).
//!
//! A handover is the refresh token of a new sign-in, stored hashed like every token,
//! that expires within minutes. Redeeming it at `/auth/refresh` rotates it, so it works
//! once, and presenting it again revokes the sign-in it started. Minting one needs the
//! service's database, which already allows adding an admin: it grants nothing new.

use uuid::Uuid;

use super::tokens::{self, REFRESH_PREFIX};
use crate::store::{NewToken, Store, StoreResult, TechnicianRecord, TokenKind};

/// A fresh one-time refresh token for `technician`, valid for `valid_ms`.
pub async fn mint_sign_in_token(
    store: &Store,
    technician: &TechnicianRecord,
    valid_ms: i64,
    now: i64,
) -> StoreResult<String> {
    let token = tokens::generate(REFRESH_PREFIX);
    store
        .insert_token(NewToken {
            token_hash: &tokens::hash(&token),
            kind: TokenKind::Refresh,
            technician_id: technician.id,
            family_id: Uuid::new_v4(),
            expires_at: now + valid_ms,
            signed_in_at: now,
            now,
        })
        .await?;
    Ok(token)
}
