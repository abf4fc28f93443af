//! Durable background jobs on PostgreSQL with [graphile_worker] (the Rust port of
//! Graphile Worker), through its tokio-postgres driver.
//!
//! Why this crate: jobs live in the same PostgreSQL database, and the queue's SQL
//! function `graphile_worker.add_job` can be called **inside our own Diesel transaction**.
//! So the order-confirmation job commits or rolls back with its order, and no outbox
//! relay is needed. It also retries with exponential backoff, keeps permanently failed
//! jobs (with `attempts` and `last_error`) in its table, survives restarts, has cron
//! schedules, and needs no sqlx (apalis-postgres and fang would add sqlx).

pub mod graphql;
pub mod repo;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use diesel::sql_types::{BigInt, Integer, Json, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use graphile_worker::WorkerOptions;

use crate::db::DbPool;
use crate::email::Mailer;
use crate::error::AppResult;

/// The names of the tasks, for whoever queues them (their handlers are defined by
/// `crate::tasks`, which composes the domains).
pub mod task {
    pub const SEND_WELCOME_EMAIL: &str = "send_welcome_email";
    pub const SEND_ORDER_CONFIRMATION: &str = "send_order_confirmation";
    pub const SEND_PASSWORD_RESET: &str = "send_password_reset";
    pub const SEND_EMAIL_CHANGED: &str = "send_email_changed";
    pub const NOTIFY_CUSTOMERS: &str = "notify_customers";
    pub const CLEANUP_CARTS: &str = "cleanup_carts";
    pub const CLEANUP_PASSWORD_RESETS: &str = "cleanup_password_resets";
}

/// The queue's PostgreSQL schema.
pub const SCHEMA: &str = "graphile_worker";

/// The schedule (UTC, DC-10): housekeeping every night at 03:00 and 03:30.
pub const CRONTAB: &str = "0 3 * * * cleanup_carts\n30 3 * * * cleanup_password_resets";

/// What task handlers need, handed to the worker as an extension.
#[derive(Clone)]
pub struct JobDeps {
    pub pool: DbPool,
    pub mailer: Arc<Mailer>,
}

impl fmt::Debug for JobDeps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JobDeps")
    }
}

/// Creates or upgrades the queue's schema (graphile_worker's own migrations).
pub async fn migrate(url: &str) -> anyhow::Result<()> {
    let worker = WorkerOptions::default()
        .database_url(url)
        .schema(SCHEMA)
        .max_pg_conn(1)
        .listen_os_shutdown_signals(false)
        .init()
        .await
        .map_err(|e| anyhow::anyhow!("could not prepare the job queue: {e}"))?;
    drop(worker);
    Ok(())
}

/// Queues a job on the caller's connection: inside a transaction it commits (or rolls
/// back) with everything else. Returns the job id.
pub async fn enqueue(
    conn: &mut AsyncPgConnection,
    task: &str,
    payload: serde_json::Value,
    max_attempts: Option<i32>,
) -> AppResult<i64> {
    #[derive(diesel::QueryableByName)]
    struct Added {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let added: Added = diesel::sql_query(format!(
        "SELECT (j).id FROM (SELECT {SCHEMA}.add_job(identifier => $1, payload => $2, max_attempts => $3) AS j) added"
    ))
    .bind::<Text, _>(task)
    .bind::<Json, _>(payload)
    .bind::<Nullable<Integer>, _>(max_attempts)
    .get_result(conn)
    .await?;
    Ok(added.id)
}

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    pub concurrency: usize,
    /// How often to look for jobs when no notification arrives.
    pub poll_interval: Duration,
    /// Run the cron schedule.
    pub schedule: bool,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            poll_interval: Duration::from_secs(2),
            schedule: true,
        }
    }
}

/// Runs the workers (and the schedule) until `shutdown` resolves, with the task handlers
/// that `define_tasks` registers.
pub async fn run_worker(
    url: &str,
    deps: JobDeps,
    config: WorkerConfig,
    define_tasks: fn(WorkerOptions) -> WorkerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let mut options = WorkerOptions::default()
        .database_url(url)
        .schema(SCHEMA)
        .concurrency(config.concurrency)
        .poll_interval(config.poll_interval)
        .max_pg_conn(u32::try_from(config.concurrency + 2).unwrap_or(8))
        .use_local_time(false)
        .listen_os_shutdown_signals(false)
        .shutdown_signal(shutdown)
        .add_extension(deps);
    options = define_tasks(options);
    if config.schedule {
        options = options
            .with_cron(CRONTAB)
            .map_err(|e| anyhow::anyhow!("invalid crontab: {e}"))?;
    }
    let worker = options
        .init()
        .await
        .map_err(|e| anyhow::anyhow!("could not start the job worker: {e}"))?;
    worker
        .run()
        .await
        .map_err(|e| anyhow::anyhow!("the job worker failed: {e}"))
}
