//! Read replicas (`DATABASE_REPLICA_URLS`): PostgreSQL streaming replicas that serve the
//! read-only operations of callers who have not written recently.
//!
//! - Each replica is checked every [`CHECK_INTERVAL`]: one that does not answer, or whose
//!   replay lags more than `REPLICA_MAX_LAG` behind what it received, is skipped until a
//!   later check finds it well again.
//! - A caller (the signed-in user, else the client's address) who wrote within
//!   `READ_YOUR_WRITES_SECONDS` reads from the primary, so they see their own writes. The
//!   record of who wrote is kept per instance (a load balancer with sticky sessions, or a
//!   window longer than the replicas' lag, covers callers who move between instances).
//! - Everything else goes to the primary: mutations, subscriptions, anything in a
//!   transaction (every write path), and the reads that fill the catalogue cache.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::sql_types::Double;

use super::DbPool;

/// How often each replica is checked.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Pooled connections to each replica.
const REPLICA_POOL_SIZE: usize = 10;

/// The replicas and the record of recent writers.
pub struct Replicas {
    members: Vec<Replica>,
    next: AtomicUsize,
    max_lag: Duration,
    /// Callers who wrote within the read-your-writes window (expired by moka).
    writers: moka::sync::Cache<String, ()>,
}

struct Replica {
    pool: DbPool,
    usable: AtomicBool,
}

impl Replicas {
    /// Pools to every replica URL (each session with `statement_timeout`), checked in the
    /// background until the returned value is dropped. A replica counts as usable only
    /// once a check found it well.
    pub fn start(
        urls: &[String], statement_timeout: Duration, max_lag: Duration, read_your_writes: Duration,
    ) -> anyhow::Result<Arc<Self>> {
        let members = urls
            .iter()
            .map(|url| {
                let url = super::with_session_settings(url, statement_timeout);
                Ok(Replica {
                    pool: super::create_pool(&url, REPLICA_POOL_SIZE)?,
                    usable: AtomicBool::new(false),
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let replicas = Arc::new(Self {
            members,
            next: AtomicUsize::new(0),
            max_lag,
            writers: moka::sync::Cache::builder()
                .max_capacity(1_000_000)
                .time_to_live(read_your_writes.max(Duration::from_millis(1)))
                .build(),
        });
        tokio::spawn(check_forever(Arc::downgrade(&replicas)));
        Ok(replicas)
    }

    /// `caller` wrote just now: their reads go to the primary for the window.
    pub fn wrote(&self, caller: &str) {
        self.writers.insert(caller.to_owned(), ());
    }

    /// The pool a read-only operation of `caller` should use: a usable replica (round
    /// robin), unless the caller wrote within the window or none is usable.
    pub fn for_reader(&self, caller: &str) -> Option<DbPool> {
        if self.writers.contains_key(caller) {
            return None;
        }
        let usable: Vec<&Replica> =
            self.members.iter().filter(|r| r.usable.load(Ordering::Relaxed)).collect();
        if usable.is_empty() {
            return None;
        }
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        Some(usable[n % usable.len()].pool.clone())
    }

    /// Checks every replica once, and records whether each is usable.
    pub async fn check(&self) {
        for (index, replica) in self.members.iter().enumerate() {
            let lag = replay_lag(&replica.pool).await;
            let usable = lag.is_some_and(|lag| lag <= self.max_lag.as_secs_f64());
            if replica.usable.swap(usable, Ordering::Relaxed) != usable {
                if usable {
                    tracing::info!(replica = index, lag_seconds = ?lag, "read replica in use");
                } else {
                    tracing::warn!(replica = index, lag_seconds = ?lag, "read replica skipped");
                }
            }
            let label = index.to_string();
            metrics::gauge!("storefront_replica_up", "replica" => label.clone())
                .set(f64::from(u8::from(usable)));
            if let Some(lag) = lag {
                metrics::gauge!("storefront_replica_lag_seconds", "replica" => label).set(lag);
            }
        }
    }
}

async fn check_forever(replicas: Weak<Replicas>) {
    loop {
        let Some(replicas) = replicas.upgrade() else {
            return;
        };
        replicas.check().await;
        drop(replicas);
        tokio::time::sleep(CHECK_INTERVAL).await;
    }
}

/// How far (in seconds) the replica's replay is behind what it received: 0 when it has
/// replayed everything, the age of the last transaction it replayed otherwise (a
/// billion when it has replayed none yet); `None` when it does not answer.
async fn replay_lag(pool: &DbPool) -> Option<f64> {
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Lag {
        #[diesel(sql_type = Double)]
        lag: f64,
    }
    let mut conn = tokio::time::timeout(CHECK_INTERVAL, pool.get()).await.ok()?.ok()?;
    let lag: Lag = diesel::sql_query(
        "SELECT CASE WHEN NOT pg_is_in_recovery() \
                       OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
                  ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9) \
             END::float8 AS lag",
    )
    .get_result(&mut conn)
    .await
    .ok()?;
    Some(lag.lag)
}
