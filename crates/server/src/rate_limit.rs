//! Fixed-window rate limits whose counters live in the database, so restarting the
//! service does not hand an attacker a fresh budget.

use std::net::IpAddr;

use crate::error::AppError;
use crate::state::AppState;

const MINUTE_MS: i64 = 60_000;
const HOUR_MS: i64 = 60 * MINUTE_MS;

/// One limit: at most `max` hits per `window_ms` in `bucket`.
pub struct Limit<'a> {
    pub bucket: &'a str,
    pub max: u32,
    pub window_ms: i64,
}

impl<'a> Limit<'a> {
    pub fn per_minute(bucket: &'a str, max: u32) -> Self {
        Self {
            bucket,
            max,
            window_ms: MINUTE_MS,
        }
    }
    pub fn per_hour(bucket: &'a str, max: u32) -> Self {
        Self {
            bucket,
            max,
            window_ms: HOUR_MS,
        }
    }
}

/// Counts a hit against every limit; refuses when any is exceeded.
pub async fn check(state: &AppState, limits: &[Limit<'_>]) -> Result<(), AppError> {
    let now = state.now();
    for limit in limits {
        let window_start = now - now.rem_euclid(limit.window_ms);
        let count = state
            .store
            .hit_rate_limit(limit.bucket, window_start)
            .await?;
        if count > i64::from(limit.max) {
            let retry_after_ms = window_start + limit.window_ms - now;
            tracing::warn!(bucket = limit.bucket, "rate limit reached");
            return Err(AppError::RateLimited {
                retry_after_secs: u64::try_from(retry_after_ms / 1000 + 1).unwrap_or(1),
            });
        }
    }
    Ok(())
}

pub fn ip_bucket(kind: &str, ip: IpAddr) -> String {
    format!("{kind}:ip:{ip}")
}
