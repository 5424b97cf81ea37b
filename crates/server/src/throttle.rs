//! Throttling guesses (sign-in passwords, support keys) without handing an attacker a
//! switch that locks everyone else out.
//!
//! - **Per address** (an IPv6 /64 counts as one): a cap on requests a minute, and after
//!   [`FREE_FAILURES`] failed guesses a delay that doubles with each further failure up
//!   to [`MAX_DELAY_MS`] (TeamViewer's exponential delay is the model).
//! - **Per account** (sign-ins): the same growing delay after failures against one
//!   account, whichever addresses they came from.
//! - **Across the service**, as a last resort: past a number of failures a minute,
//!   addresses with failures of their own wait for the next minute.
//!
//! An address with no failures is never held back by the account's delay or the
//! service-wide limit: a right password from a clean address always gets through, so
//! failures made elsewhere cannot lock the real user out. Each fresh address an
//! attacker brings buys one guess before it is held back too. Failures are forgotten
//! after a day without one, and a success clears its address.

use std::net::IpAddr;

use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::rate_limit::{self, Limit};
use crate::state::AppState;

/// Failed guesses an address or account makes before delays begin.
pub const FREE_FAILURES: i64 = 5;
/// The longest delay between guesses.
pub const MAX_DELAY_MS: i64 = 60 * 60 * 1000;
/// Failures older than this are forgotten.
const FORGET_AFTER_MS: i64 = 24 * 60 * 60 * 1000;

/// What is being guessed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guess {
    SignIn,
    SupportKey,
}

impl Guess {
    fn name(self) -> &'static str {
        match self {
            Guess::SignIn => "login",
            Guess::SupportKey => "key",
        }
    }

    fn limits(self, state: &AppState) -> (u32, u32) {
        let limits = &state.config.limits;
        match self {
            Guess::SignIn => (
                limits.login_per_ip_per_minute,
                limits.login_failures_per_minute,
            ),
            Guess::SupportKey => (
                limits.key_lookups_per_ip_per_minute,
                limits.key_failures_per_minute,
            ),
        }
    }
}

/// An admitted attempt; report how it went with [`failed`] or [`succeeded`].
pub struct Attempt {
    guess: Guess,
    source: String,
    account: Option<String>,
}

/// How long to wait after `failures` consecutive failures: nothing for the first
/// [`FREE_FAILURES`], then 1 s, 2 s, 4 s … up to [`MAX_DELAY_MS`].
pub fn delay_ms(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = u32::try_from(failures - FREE_FAILURES)
        .unwrap_or(u32::MAX)
        .min(22);
    (1000_i64 << doublings).min(MAX_DELAY_MS)
}

/// The bucket of an account: a hash, so attacker-chosen emails are not kept as typed.
fn account_bucket(guess: Guess, account: &str) -> String {
    let digest = Sha256::digest(account.trim().to_lowercase().as_bytes());
    format!("{}:account:{}", guess.name(), hex::encode(digest))
}

fn refused(wait_ms: i64, what: &str) -> AppError {
    tracing::warn!(what, "guess throttled");
    AppError::RateLimited {
        retry_after_secs: u64::try_from(wait_ms / 1000 + 1).unwrap_or(1),
    }
}

/// Admits an attempt from `ip` (against `account`, for sign-ins) or says how long to
/// wait.
pub async fn admit(
    state: &AppState,
    guess: Guess,
    ip: IpAddr,
    account: Option<&str>,
) -> Result<Attempt, AppError> {
    let (per_ip_per_minute, failures_per_minute) = guess.limits(state);
    let source = rate_limit::ip_bucket(guess.name(), ip);
    rate_limit::check(state, &[Limit::per_minute(&source, per_ip_per_minute)]).await?;
    let attempt = Attempt {
        guess,
        source,
        account: account.map(|account| account_bucket(guess, account)),
    };
    let now = state.now();
    let fresh = |failures: Option<crate::store::Failures>| {
        failures.filter(|f| f.last_failure_at >= now - FORGET_AFTER_MS)
    };
    let Some(own) = fresh(state.store.failures(&attempt.source).await?) else {
        // A clean address: nothing anyone else did holds it back.
        return Ok(attempt);
    };
    let wait = own.last_failure_at + delay_ms(own.failures) - now;
    if wait > 0 {
        return Err(refused(wait, "address"));
    }
    if let Some(account) = &attempt.account {
        if let Some(failures) = fresh(state.store.failures(account).await?) {
            let wait = failures.last_failure_at + delay_ms(failures.failures) - now;
            if wait > 0 {
                return Err(refused(wait, "account"));
            }
        }
    }
    let window_start = now - now.rem_euclid(60_000);
    let service_failures = state
        .store
        .rate_limit_count(&failures_bucket(guess), window_start)
        .await?;
    if service_failures >= i64::from(failures_per_minute) {
        return Err(refused(window_start + 60_000 - now, "service"));
    }
    Ok(attempt)
}

fn failures_bucket(guess: Guess) -> String {
    format!("{}:failures:all", guess.name())
}

/// The guess was wrong: its address, account and the service count one more failure.
pub async fn failed(state: &AppState, attempt: &Attempt) -> Result<(), AppError> {
    let now = state.now();
    let forget_before = now - FORGET_AFTER_MS;
    state
        .store
        .record_failure(&attempt.source, now, forget_before)
        .await?;
    if let Some(account) = &attempt.account {
        state
            .store
            .record_failure(account, now, forget_before)
            .await?;
    }
    let window_start = now - now.rem_euclid(60_000);
    state
        .store
        .hit_rate_limit(&failures_bucket(attempt.guess), window_start)
        .await?;
    Ok(())
}

/// The guess was right: its address starts clean again. The account's failures stay
/// until they are a day old: the owner signing in says nothing about the addresses
/// still guessing at it.
pub async fn succeeded(state: &AppState, attempt: &Attempt) -> Result<(), AppError> {
    state.store.clear_failures(&attempt.source).await?;
    Ok(())
}

/// Forgets failures nobody has added to for a day (housekeeping).
pub async fn forget_stale(state: &AppState) -> Result<u64, AppError> {
    Ok(state
        .store
        .delete_stale_failures(state.now() - FORGET_AFTER_MS)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_start_after_the_free_failures_and_double_up_to_an_hour() {
        let delays: Vec<i64> = (0..=8).map(delay_ms).collect();
        assert_eq!(delays, [0, 0, 0, 0, 0, 1000, 2000, 4000, 8000]);
        assert_eq!(delay_ms(16), 2_048_000);
        assert_eq!(delay_ms(17), MAX_DELAY_MS);
        assert_eq!(delay_ms(i64::MAX), MAX_DELAY_MS);
    }

    #[test]
    fn accounts_are_kept_hashed_and_case_blind() {
        let a = account_bucket(Guess::SignIn, " Admin@Acme.test ");
        assert_eq!(a, account_bucket(Guess::SignIn, "admin@acme.test"));
        assert!(!a.contains("acme"), "{a}");
    }
}
