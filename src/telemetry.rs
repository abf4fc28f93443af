//! Metrics in the Prometheus text format (`GET /metrics`), through the `metrics` facade.
//!
//! Counters and histograms are recorded where things happen (requests, GraphQL errors,
//! statement timeouts, WebSockets, jobs); gauges of state kept elsewhere (the pool, the
//! requests in flight, the parts `/readyz` watches, the catalogue cache, the job queue)
//! are read when the metrics are scraped, by [`crate::http`].
//!
//! The recorder is installed once per process, on first use, so every instance state in
//! the process (the tests build many) shares it.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Distinct operation names kept as labels; later ones are counted as `other`.
pub const MAX_OPERATION_NAMES: usize = 300;
/// Longest operation name kept as a label; longer ones are counted as `other`.
pub const MAX_OPERATION_NAME_CHARS: usize = 64;

/// Request duration buckets, in seconds.
const DURATION_BUCKETS: [f64; 14] =
    [0.000_5, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0];

/// The process's recorder (installed on first call), or `None` when another recorder was
/// installed first.
pub fn handle() -> Option<&'static PrometheusHandle> {
    static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder =
                PrometheusBuilder::new().set_buckets(&DURATION_BUCKETS).ok()?.build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            describe();
            Some(handle)
        })
        .as_ref()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_histogram!(
        "storefront_graphql_request_duration_seconds",
        metrics::Unit::Seconds,
        "GraphQL requests over HTTP, by operation name and outcome (ok, error)"
    );
    describe_counter!(
        "storefront_graphql_errors_total",
        "GraphQL errors answered, by extensions.code"
    );
    describe_counter!(
        "storefront_statement_timeouts_total",
        "SQL statements cancelled by DB_STATEMENT_TIMEOUT"
    );
    describe_gauge!("storefront_http_requests_in_flight", "HTTP requests being served");
    describe_gauge!("storefront_db_pool_size", "Open database connections in the pool");
    describe_gauge!("storefront_db_pool_idle", "Idle database connections in the pool");
    describe_gauge!("storefront_db_pool_waiting", "Requests waiting for a connection");
    describe_gauge!("storefront_websocket_connections", "Open WebSocket connections");
    describe_gauge!("storefront_subscriptions_active", "Running GraphQL subscriptions");
    describe_operations();
}

/// The metrics of the instance's parts, jobs and cache.
fn describe_operations() {
    use metrics::{describe_counter, describe_gauge};
    describe_gauge!(
        "storefront_part_up",
        "1 while a long-running part (events listener, cache invalidation, job runtime) is up"
    );
    describe_gauge!("storefront_draining", "1 while the instance drains before stopping");
    describe_gauge!("storefront_job_queue_depth", "Jobs in the queue, by state");
    describe_counter!(
        "storefront_jobs_total",
        "Jobs run by this process, by task and outcome (completed, failed, failed_for_good)"
    );
    describe_counter!(
        "storefront_job_runtime_restarts_total",
        "Restarts of the job runtime after a failure"
    );
    describe_counter!("storefront_catalogue_cache_hits_total", "Catalogue cache hits");
    describe_counter!("storefront_catalogue_cache_misses_total", "Catalogue cache misses");
}

/// The label for an operation: its name when short and among the first
/// [`MAX_OPERATION_NAMES`] distinct ones, `anonymous` without one, `other` otherwise.
pub fn operation_label(name: Option<&str>) -> String {
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return "anonymous".to_owned();
    };
    if name.chars().count() > MAX_OPERATION_NAME_CHARS {
        return "other".to_owned();
    }
    let mut seen =
        SEEN.get_or_init(Mutex::default).lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if seen.contains(name) || seen.len() < MAX_OPERATION_NAMES && seen.insert(name.to_owned()) {
        name.to_owned()
    } else {
        "other".to_owned()
    }
}

/// Records one GraphQL request over HTTP and the codes of its errors.
pub fn record_request(operation: String, took: Duration, error_codes: &[String]) {
    let outcome = if error_codes.is_empty() { "ok" } else { "error" };
    metrics::histogram!(
        "storefront_graphql_request_duration_seconds",
        "operation" => operation,
        "outcome" => outcome
    )
    .record(took.as_secs_f64());
    for code in error_codes {
        metrics::counter!("storefront_graphql_errors_total", "code" => code.clone()).increment(1);
    }
}

/// Counts one statement cancelled by the statement timeout.
pub fn statement_timed_out() {
    metrics::counter!("storefront_statement_timeouts_total").increment(1);
}

/// Adds one to a gauge while it lives (a WebSocket, a subscription); its drop takes it
/// back.
pub struct Gauged(&'static str);

impl Gauged {
    pub fn new(gauge: &'static str) -> Self {
        metrics::gauge!(gauge).increment(1.0);
        Self(gauge)
    }
}

impl Drop for Gauged {
    fn drop(&mut self) {
        metrics::gauge!(self.0).decrement(1.0);
    }
}

/// The log filter: `RUST_LOG` when set; otherwise this service at `info` (`debug` with
/// `DEBUG`), the access log (`tower_http`) at `info`, and every other crate at `warn`, so
/// a newcomer sees a few lines at start-up, not the job queue's migrations.
pub fn log_filter(debug: bool, rust_log: Option<&str>) -> tracing_subscriber::EnvFilter {
    let default = if debug {
        "warn,storefront=debug,tower_http=debug"
    } else {
        "warn,storefront=info,tower_http=info"
    };
    rust_log
        .and_then(|spec| tracing_subscriber::EnvFilter::try_new(spec).ok())
        .unwrap_or_else(|| tracing_subscriber::EnvFilter::new(default))
}

/// The JSON log format (`LOG_FORMAT=json`): one object a line, with the event's fields
/// at the top level and the request's span (`request_id`, `method`, `uri`, `operation`,
/// `user_id`) under `span`.
pub fn json_logs<W>(
    filter: tracing_subscriber::EnvFilter, writer: W,
) -> impl tracing::Subscriber + Send + Sync + 'static
where
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_env_filter(filter)
        .with_writer(writer)
        .finish()
}

/// Installs the process's logger: text (the default) or JSON lines to standard output.
pub fn init_logs(config: &crate::config::Config) {
    let filter = log_filter(config.debug, config.rust_log.as_deref());
    if config.ops.json_logs {
        let _ = tracing::subscriber::set_global_default(json_logs(filter, std::io::stdout));
    } else {
        let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    }
}
