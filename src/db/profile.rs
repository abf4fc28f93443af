//! The SQL profiler of development mode (the course's Silk): with `DEBUG=true` in the
//! embedded default, a request that sends `x-debug-sql: 1` runs on a pool of its own whose
//! connections record every statement and its time, and its answer carries them in
//! `extensions.debug = { durationMs, sql: [{ statement, ms }] }` (see GraphiQL's
//! response pane). Never in production mode.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel_async::pooled_connection::{ManagerConfig, RecyclingMethod};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::FutureExt;
use serde_json::json;

use super::DbPool;

/// Connections a profiled request may hold at once.
const PROFILED_POOL_SIZE: usize = 4;

/// The statements one request ran, with their times in milliseconds.
#[derive(Clone, Default)]
pub struct SqlProfile(Arc<Mutex<Vec<(String, f64)>>>);

impl SqlProfile {
    /// A pool to `url` whose statements this profile records.
    pub fn pool(url: &str) -> anyhow::Result<(DbPool, Self)> {
        let profile = Self::default();
        let log = profile.clone();
        let mut config = ManagerConfig::default();
        config.recycling_method = RecyclingMethod::Fast;
        config.custom_setup = Box::new(move |url| {
            let log = log.clone();
            async move {
                let mut conn = AsyncPgConnection::establish(url).await?;
                conn.set_instrumentation(Recorder { log, started: None });
                Ok(conn)
            }
            .boxed()
        });
        let pool = super::create_pool_with_config(url, PROFILED_POOL_SIZE, config)?;
        Ok((pool, profile))
    }

    /// `{ durationMs, sql: [{ statement, ms }] }` for a request that took `took`.
    pub fn report(&self, took: Duration) -> serde_json::Value {
        let statements = self.0.lock().map(|log| log.clone()).unwrap_or_default();
        let sql: Vec<_> = statements
            .into_iter()
            .map(|(statement, ms)| json!({ "statement": statement, "ms": ms }))
            .collect();
        json!({ "durationMs": took.as_secs_f64() * 1000.0, "sql": sql })
    }
}

/// Diesel's instrumentation hook on one profiled connection.
struct Recorder {
    log: SqlProfile,
    started: Option<Instant>,
}

impl Instrumentation for Recorder {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        match event {
            InstrumentationEvent::StartQuery { .. } => self.started = Some(Instant::now()),
            InstrumentationEvent::FinishQuery { query, .. } => {
                let ms = self.started.take().map_or(0.0, |at| at.elapsed().as_secs_f64() * 1000.0);
                if let Ok(mut log) = self.log.0.lock() {
                    log.push((query.to_string(), ms));
                }
            }
            _ => {}
        }
    }
}
