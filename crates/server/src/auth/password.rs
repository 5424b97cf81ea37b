use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use lifeline_protocol::Secret;

use crate::error::AppError;

/// argon2id with the crate's defaults (19 MiB, 2 passes), the OWASP baseline. Every
/// argon2 call runs on the blocking pool: it is deliberately slow, and an async worker
/// that hashes stalls every connection it serves.
pub async fn hash_password(password: Secret) -> Result<String, AppError> {
    off_the_workers(move || hash_blocking(password.expose())).await?
}

/// Whether `password` matches `stored_hash`; on the blocking pool.
pub async fn verify_password(password: Secret, stored_hash: String) -> Result<bool, AppError> {
    off_the_workers(move || verify_blocking(password.expose(), &stored_hash)).await
}

/// A dummy verification, so an unknown email costs the same time as a wrong password;
/// on the blocking pool like a real one.
pub async fn burn_verification_time(password: Secret) -> Result<(), AppError> {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    off_the_workers(move || {
        let hash =
            DUMMY.get_or_init(|| hash_blocking("dummy password for timing").unwrap_or_default());
        let _ = verify_blocking(password.expose(), hash);
    })
    .await
}

async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| AppError::Internal(e.into()))
}

fn hash_blocking(password: &str) -> Result<String, AppError> {
    let mut salt_bytes = [0u8; 16];
    super::tokens::fill_random(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("encoding a salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing a password: {e}")))
}

fn verify_blocking(password: &str, stored_hash: &str) -> bool {
    PasswordHash::new(stored_hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A technician's new password: long enough and hard to guess (see
/// `lifeline_protocol::check_password_strength`), judged also against their own email,
/// name and company.
pub fn validate_new_password(password: &str, related: &[&str]) -> Result<(), AppError> {
    lifeline_protocol::check_password_strength(password, related)
        .map_err(|problem| AppError::invalid(problem.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hash = hash_password("correct horse battery".into())
            .await
            .expect("hashes");
        assert!(
            hash.starts_with("$argon2id$"),
            "argon2id is the algorithm: {hash}"
        );
        assert!(
            verify_password("correct horse battery".into(), hash.clone())
                .await
                .expect("verified")
        );
        assert!(!verify_password("wrong horse battery".into(), hash)
            .await
            .expect("verified"));
    }

    /// On a runtime with one worker, a task next to the argon2 work keeps running: the
    /// work is elsewhere. Were it on the worker, the other task could not run until the
    /// work ended.
    #[tokio::test(flavor = "current_thread")]
    async fn argon2_work_leaves_the_async_worker_free() {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        use std::sync::Arc;
        let ticks = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let ticker = {
            let (ticks, done) = (Arc::clone(&ticks), Arc::clone(&done));
            tokio::spawn(async move {
                while !done.load(Ordering::Relaxed) {
                    ticks.fetch_add(1, Ordering::Relaxed);
                    tokio::task::yield_now().await;
                }
            })
        };
        burn_verification_time("an unknown email's password".into())
            .await
            .expect("burned");
        let during_unknown = ticks.swap(0, Ordering::Relaxed);
        let hash = hash_password("correct horse battery".into())
            .await
            .expect("hashes");
        let during_hash = ticks.swap(0, Ordering::Relaxed);
        verify_password("wrong".into(), hash)
            .await
            .expect("verified");
        let during_verify = ticks.load(Ordering::Relaxed);
        done.store(true, Ordering::Relaxed);
        ticker.await.expect("ticker");
        assert!(
            during_unknown > 0 && during_hash > 0 && during_verify > 0,
            "the worker ran other tasks meanwhile: {during_unknown}, {during_hash}, {during_verify}"
        );
    }
}
