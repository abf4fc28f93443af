//! How the instance is run and watched: drain, logs, metrics, the job runtime's
//! self-healing, and read replicas.

use std::time::Duration;

use anyhow::anyhow;

use super::{bounded, duration, list};

/// How the instance is run and watched (see the README's "Deploying").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operations {
    /// After SIGTERM, how long `/readyz` answers 503 while requests are still served
    /// (`SHUTDOWN_DELAY_SECONDS`; 5 with `DATABASE_URL`, 0 in the embedded default).
    pub shutdown_delay: Duration,
    /// Then, how long requests in flight may take to finish (`SHUTDOWN_GRACE_SECONDS`).
    pub shutdown_grace: Duration,
    /// `LOG_FORMAT=json`: one JSON object a line; `text` (the default) otherwise.
    pub json_logs: bool,
    /// `METRICS_TOKEN`: when set, `/metrics` wants `Authorization: Bearer <token>`.
    pub metrics_token: Option<String>,
    /// `JOB_HEARTBEAT_SECONDS`: how often a job runtime says it is alive.
    pub job_heartbeat: Duration,
    /// `JOB_SWEEP_THRESHOLD_SECONDS`: a runtime silent this long is dead, and the jobs it
    /// held go back to the queue (checked every `JOB_HEARTBEAT_SECONDS`).
    pub job_sweep_threshold: Duration,
    /// `JOB_HISTORY_DAYS`: how long completed jobs stay visible to staff.
    pub job_history_days: u32,
}

impl Operations {
    pub(super) fn from_lookup(
        get: &impl Fn(&str) -> Option<String>, production: bool,
    ) -> anyhow::Result<Self> {
        let seconds = |key: &str, default: u64, min: u64| -> anyhow::Result<Duration> {
            Ok(Duration::from_secs(bounded(get, key, default, min, 3_600)?))
        };
        let format = get("LOG_FORMAT").unwrap_or_else(|| "text".to_owned());
        let json_logs = match format.trim().to_ascii_lowercase().as_str() {
            "json" => true,
            "text" => false,
            other => return Err(anyhow!("LOG_FORMAT must be text or json, got {other:?}")),
        };
        let heartbeat = seconds("JOB_HEARTBEAT_SECONDS", 10, 1)?;
        let threshold = seconds("JOB_SWEEP_THRESHOLD_SECONDS", 45, 2)?;
        if threshold <= heartbeat {
            return Err(anyhow!(
                "JOB_SWEEP_THRESHOLD_SECONDS must be longer than JOB_HEARTBEAT_SECONDS"
            ));
        }
        Ok(Self {
            shutdown_delay: seconds("SHUTDOWN_DELAY_SECONDS", if production { 5 } else { 0 }, 0)?,
            shutdown_grace: seconds("SHUTDOWN_GRACE_SECONDS", 10, 0)?,
            json_logs,
            metrics_token: get("METRICS_TOKEN"),
            job_heartbeat: heartbeat,
            job_sweep_threshold: threshold,
            job_history_days: bounded(get, "JOB_HISTORY_DAYS", 7, 0, 3_650)?,
        })
    }
}

/// Read replicas (`DATABASE_REPLICA_URLS`, `READ_YOUR_WRITES_SECONDS`, `REPLICA_MAX_LAG`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replication {
    /// Streaming replicas of `DATABASE_URL` that serve reads; none by default.
    pub urls: Vec<String>,
    /// A caller who wrote within this reads from the primary.
    pub read_your_writes: Duration,
    /// A replica whose replay lags more than this is skipped.
    pub max_lag: Duration,
}

impl Replication {
    pub(super) fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let urls = list(get, "DATABASE_REPLICA_URLS");
        if let Some(bad) = urls.iter().find(|url| !url.contains("://")) {
            return Err(anyhow!(
                "DATABASE_REPLICA_URLS has an invalid URL {:?}: use postgres://…",
                bad.split('@').next_back().unwrap_or_default()
            ));
        }
        Ok(Self {
            urls,
            read_your_writes: Duration::from_secs(bounded(
                get,
                "READ_YOUR_WRITES_SECONDS",
                5,
                0,
                3_600,
            )?),
            max_lag: duration(get, "REPLICA_MAX_LAG", Duration::from_secs(5))?,
        })
    }
}
