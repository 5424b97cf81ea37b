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

/// The bucket of a client address. An IPv6 address counts per /64: one subscriber or
/// host usually holds a whole /64, and would otherwise have 2^64 fresh budgets.
pub fn ip_bucket(kind: &str, ip: IpAddr) -> String {
    match crate::client_ip::canonical(ip) {
        IpAddr::V4(v4) => format!("{kind}:ip:{v4}"),
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !((1u128 << 64) - 1);
            format!("{kind}:ip:{}/64", std::net::Ipv6Addr::from(network))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_share_their_64_and_ipv4_stays_per_address() {
        let a = ip_bucket("login", "2001:db8:1:2:aaaa::1".parse().expect("ip"));
        let b = ip_bucket("login", "2001:db8:1:2:ffff:1:2:3".parse().expect("ip"));
        let other = ip_bucket("login", "2001:db8:1:3::1".parse().expect("ip"));
        assert_eq!(a, b);
        assert_eq!(a, "login:ip:2001:db8:1:2::/64");
        assert_ne!(a, other);
        assert_ne!(
            ip_bucket("login", "192.0.2.1".parse().expect("ip")),
            ip_bucket("login", "192.0.2.2".parse().expect("ip"))
        );
        assert_eq!(
            ip_bucket("login", "::ffff:192.0.2.1".parse().expect("ip")),
            "login:ip:192.0.2.1"
        );
    }
}
