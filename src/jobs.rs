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
use tokio::sync::watch;

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
    pub const CLEANUP_JOB_HISTORY: &str = "cleanup_job_history";
    pub const MAIL_ADMINS: &str = "mail_admins";
}

/// The queue's PostgreSQL schema.
pub const SCHEMA: &str = "graphile_worker";

/// The schedule (UTC): housekeeping every night at 03:00, 03:30 and 03:45.
pub const CRONTAB: &str =
    "0 3 * * * cleanup_carts\n30 3 * * * cleanup_password_resets\n45 3 * * * cleanup_job_history";

/// What task handlers need, handed to the worker as an extension.
#[derive(Clone)]
pub struct JobDeps {
    pub pool: DbPool,
    pub mailer: Arc<Mailer>,
    /// How long completed jobs stay listed (`JOB_HISTORY_DAYS`).
    pub history_days: u32,
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
    conn: &mut AsyncPgConnection, task: &str, payload: serde_json::Value, max_attempts: Option<i32>,
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
    /// How often the runtime records that it is alive, and how often it looks for dead
    /// ones.
    pub heartbeat: Duration,
    /// A runtime silent this long is dead: the jobs it held go back to the queue.
    pub sweep_threshold: Duration,
    /// On shutdown, how long running jobs may take before they are returned to the queue.
    pub shutdown_grace: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            poll_interval: Duration::from_secs(2),
            schedule: true,
            heartbeat: Duration::from_secs(10),
            sweep_threshold: Duration::from_secs(45),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Runs the workers (and the schedule) until `shutdown` resolves, with the task handlers
/// that `define_tasks` registers. `up` reads `true` while the runtime runs.
///
/// Dead-worker recovery is on: every runtime records a heartbeat, and every runtime sweeps
/// those that stopped beating (a process killed in the middle of a job, say), putting
/// their jobs back in the queue within `sweep_threshold` plus a heartbeat.
pub async fn run_worker(
    url: &str, deps: JobDeps, config: WorkerConfig,
    define_tasks: fn(WorkerOptions) -> WorkerOptions,
    shutdown: impl Future<Output = ()> + Send + 'static, up: &watch::Sender<bool>,
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
        .shutdown_grace_period(config.shutdown_grace)
        .shutdown_interrupted_job_retry_delay(Duration::from_secs(1))
        .heartbeat_interval(config.heartbeat)
        .sweep_interval(config.heartbeat)
        .sweep_threshold(config.sweep_threshold)
        .recovery_delay(Duration::ZERO)
        .add_extension(deps.clone());
    options = with_outcome_hooks(define_tasks(options), &deps);
    if config.schedule {
        options =
            options.with_cron(CRONTAB).map_err(|e| anyhow::anyhow!("invalid crontab: {e}"))?;
    }
    let worker =
        options.init().await.map_err(|e| anyhow::anyhow!("could not start the job worker: {e}"))?;
    let _ = up.send(true);
    let result = worker.run().await.map_err(|e| anyhow::anyhow!("the job worker failed: {e}"));
    let _ = up.send(false);
    result
}

/// What follows each job: its outcome counted by task, a completed job kept in the
/// history (`JOB_HISTORY_DAYS`), and a job that failed for good reported to `ADMINS` by
/// a `mail_admins` job (queued, so the report survives a restart too).
fn with_outcome_hooks(options: WorkerOptions, deps: &JobDeps) -> WorkerOptions {
    use graphile_worker::{JobComplete, JobFail, JobPermanentlyFail};
    let count = |task: &str, outcome: &'static str| {
        metrics::counter!("storefront_jobs_total", "task" => task.to_owned(), "outcome" => outcome)
            .increment(1);
    };
    let history = deps.clone();
    let alerts = deps.clone();
    options
        .on(JobComplete, move |ctx| {
            let deps = history.clone();
            async move {
                count(ctx.job.task_identifier(), "completed");
                if deps.history_days > 0 {
                    keep_completed(&deps, &ctx.job).await;
                }
            }
        })
        .on(JobFail, move |ctx| async move {
            count(ctx.job.task_identifier(), "failed");
        })
        .on(JobPermanentlyFail, move |ctx| {
            let deps = alerts.clone();
            async move {
                count(ctx.job.task_identifier(), "failed_for_good");
                alert_admins(&deps, &ctx.job, &ctx.error).await;
            }
        })
}

async fn keep_completed(deps: &JobDeps, job: &graphile_worker::Job) {
    let completed = repo::Completed {
        job_id: *job.id(),
        task: job.task_identifier().clone(),
        payload: repo::scrubbed(job.payload()),
        attempts: *job.attempts(),
        max_attempts: *job.max_attempts(),
        created_at: *job.created_at(),
        run_at: *job.run_at(),
    };
    let kept = match deps.pool.get().await {
        Ok(mut conn) => repo::record_completed(&mut conn, &completed).await,
        Err(error) => Err(error.into()),
    };
    if let Err(error) = kept {
        tracing::warn!(%error, job = completed.job_id, "could not keep a completed job in the history");
    }
}

/// Queues the `mail_admins` report of a job that failed for good (never for a report
/// itself, which would loop).
async fn alert_admins(deps: &JobDeps, job: &graphile_worker::Job, error: &str) {
    tracing::error!(job = job.id(), task = %job.task_identifier(), error, "a job failed for good");
    if job.task_identifier() == task::MAIL_ADMINS || deps.mailer.admins.is_empty() {
        return;
    }
    let payload = serde_json::json!({
        "subject": format!("Job {} ({}) failed for good", job.id(), job.task_identifier()),
        "text": format!(
            "The job {} ({}) failed its last attempt ({} of {}).\n\nLast error: {error}\n\nPayload: {}\n",
            job.id(),
            job.task_identifier(),
            job.attempts(),
            job.max_attempts(),
            repo::scrubbed(job.payload()),
        ),
    });
    let queued = match deps.pool.get().await {
        Ok(mut conn) => enqueue(&mut conn, task::MAIL_ADMINS, payload, Some(5)).await,
        Err(error) => Err(error.into()),
    };
    if let Err(error) = queued {
        tracing::error!(%error, "could not queue the report to ADMINS");
    }
}

/// Longest wait between two restarts of a failing job runtime.
const MAX_RESTART_DELAY: Duration = Duration::from_secs(30);

/// Runs the job runtime until `stop` turns `true`, restarting it after any failure (or
/// an unexpected end) with a backoff from one second to [`MAX_RESTART_DELAY`]; a run
/// that lasted a minute resets the backoff. `up` reads `true` while it runs.
pub async fn supervise(
    url: String, deps: JobDeps, config: WorkerConfig,
    define_tasks: fn(WorkerOptions) -> WorkerOptions, mut stop: watch::Receiver<bool>,
    up: watch::Sender<bool>,
) {
    let mut delay = Duration::from_secs(1);
    loop {
        let started = std::time::Instant::now();
        let mut signal = stop.clone();
        let signal = async move {
            let _ = signal.wait_for(|stop| *stop).await;
        };
        let result =
            run_worker(&url, deps.clone(), config.clone(), define_tasks, signal, &up).await;
        if *stop.borrow() {
            return;
        }
        if started.elapsed() > Duration::from_secs(60) {
            delay = Duration::from_secs(1);
        }
        let error = result.err().map(|e| format!("{e:#}")).unwrap_or_default();
        tracing::error!(error, retry_in = ?delay, "the job runtime stopped; restarting it");
        metrics::counter!("storefront_job_runtime_restarts_total").increment(1);
        tokio::select! {
            () = tokio::time::sleep(delay) => {}
            _ = stop.wait_for(|stop| *stop) => return,
        }
        delay = (delay * 2).min(MAX_RESTART_DELAY);
    }
}
