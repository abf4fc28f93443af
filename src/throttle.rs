//! Per-client-address request throttles, in process (each instance counts its own
//! clients; the sign-in lockout, which must hold across instances, lives in PostgreSQL:
//! see `auth::lockout`). Built on governor's keyed GCRA limiters.
//!
//! | Limit | Key | Quota |
//! |---|---|---|
//! | `register` | client address | 5 at once, then 1 every 12 minutes (5 an hour) |
//! | `requestPasswordReset` | client address | 5 at once, then 1 every 12 minutes |
//! | `requestPasswordReset` | e-mail address | 3 at once, then 1 every 20 minutes |
//! | `refreshToken` | client address | 30 at once, then 1 every 2 seconds |
//! | `createCart` | client address | 10 at once, then 1 every 2 minutes |
//! | cart writes | client address | 60 at once, then 2 a second |
//!
//! `RATE_LIMITS=off` switches them all off (load tests, benchmarks, browser suites run
//! from one machine); the sign-in lockout stays on.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::AppError;

/// What is being throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    Register,
    PasswordResetByAddress,
    PasswordResetByEmail,
    Refresh,
    CreateCart,
    CartWrite,
}

impl Limit {
    const ALL: [Limit; 6] = [
        Limit::Register,
        Limit::PasswordResetByAddress,
        Limit::PasswordResetByEmail,
        Limit::Refresh,
        Limit::CreateCart,
        Limit::CartWrite,
    ];

    /// `(burst, one more every)`.
    fn quota(self) -> (u32, Duration) {
        match self {
            Limit::Register | Limit::PasswordResetByAddress => (5, Duration::from_secs(12 * 60)),
            Limit::PasswordResetByEmail => (3, Duration::from_secs(20 * 60)),
            Limit::Refresh => (30, Duration::from_secs(2)),
            Limit::CreateCart => (10, Duration::from_secs(120)),
            Limit::CartWrite => (60, Duration::from_millis(500)),
        }
    }
}

/// The throttles of one instance (cheap to clone).
#[derive(Clone)]
pub struct Throttles {
    limiters: Option<Arc<HashMap<Limit, DefaultKeyedRateLimiter<String>>>>,
    checks: Arc<AtomicU64>,
}

impl Default for Throttles {
    fn default() -> Self {
        Self::new(true)
    }
}

impl Throttles {
    /// Every throttle, or none (`RATE_LIMITS=off`).
    pub fn new(enabled: bool) -> Self {
        let limiters = enabled.then(|| {
            Arc::new(
                Limit::ALL
                    .into_iter()
                    .map(|limit| {
                        let (burst, period) = limit.quota();
                        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
                        let quota = Quota::with_period(period)
                            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
                            .allow_burst(burst);
                        (limit, RateLimiter::keyed(quota))
                    })
                    .collect(),
            )
        });
        Self { limiters, checks: Arc::new(AtomicU64::new(0)) }
    }

    /// Counts one request of `key` against `limit`: `RATE_LIMITED` with the wait when
    /// over.
    pub fn check(&self, limit: Limit, key: &str) -> Result<(), AppError> {
        let Some(limiters) = &self.limiters else {
            return Ok(());
        };
        let Some(limiter) = limiters.get(&limit) else {
            return Ok(());
        };
        // Forget idle keys now and then, so memory follows the active clients.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 10_000 == 9_999 {
            limiter.retain_recent();
        }
        limiter.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            tracing::info!(?limit, key, "throttled");
            AppError::RateLimited {
                retry_after: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }
}
