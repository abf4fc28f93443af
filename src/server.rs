//! Running the service: where the database comes from, start-up and graceful shutdown.

use std::net::SocketAddr;

use anyhow::Context;
use tokio::net::TcpListener;

use std::sync::Arc;

use crate::app::{AppOptions, AppState, Settings};
use crate::auth::Auth;
use crate::config::Config;
use crate::db::embedded::{ClusterOptions, EmbeddedCluster};
use crate::db::notifications::ChannelListener;
use crate::db::{self, DbPool};
use crate::email::Mailer;
use crate::graphql::response_cache;
use crate::jobs::{self, JobDeps, WorkerConfig};
use crate::orders::events::Listener;
use crate::{http, seed};

/// Folder of the embedded default cluster (relative to the working directory).
pub const EMBEDDED_DIR: &str = ".storefront/pg";
/// Database the service uses inside the embedded cluster.
pub const EMBEDDED_DATABASE: &str = "storefront";

/// The database the service talks to, and the embedded cluster behind it if any.
pub struct Database {
    pub url: String,
    cluster: Option<EmbeddedCluster>,
}

impl Database {
    /// `DATABASE_URL` when set; otherwise the private cluster under `./.storefront/pg`,
    /// started (or joined) here.
    pub async fn resolve(config: &Config) -> anyhow::Result<Self> {
        if let Some(url) = &config.database_url {
            return Ok(Self { url: url.clone(), cluster: None });
        }
        let options = ClusterOptions::new(EMBEDDED_DIR);
        let cluster = tokio::task::spawn_blocking(move || EmbeddedCluster::start(&options))
            .await
            .context("the cluster start-up task failed")??;
        tracing::info!(
            dir = %cluster.dir().display(),
            started_here = cluster.started_here(),
            "embedded PostgreSQL is running (no DATABASE_URL set)"
        );
        db::ensure_database(&cluster.url("postgres"), EMBEDDED_DATABASE).await?;
        Ok(Self { url: cluster.url(EMBEDDED_DATABASE), cluster: Some(cluster) })
    }

    /// The auth services; the embedded setup keeps its generated JWT secret next to the
    /// cluster.
    pub fn auth(&self, config: &Config) -> anyhow::Result<Auth> {
        let secret_file =
            self.cluster.as_ref().and_then(|c| c.dir().parent().map(|p| p.join("jwt-secret")));
        Auth::from_config(config, secret_file.as_deref())
    }

    /// Stops the embedded cluster when this process was its last user.
    pub async fn shutdown(self) {
        if let Some(cluster) = self.cluster {
            match tokio::task::spawn_blocking(move || cluster.release()).await {
                Ok(Ok(true)) => tracing::info!("embedded PostgreSQL stopped"),
                Ok(Ok(false)) => tracing::info!("embedded PostgreSQL left running for other users"),
                Ok(Err(error)) => {
                    tracing::warn!(error = %format!("{error:#}"), "could not stop embedded PostgreSQL")
                }
                Err(error) => tracing::warn!(%error, "could not stop embedded PostgreSQL"),
            }
        }
    }

    /// Whether this is the embedded development default (no `DATABASE_URL`).
    pub fn is_embedded(&self) -> bool {
        self.cluster.is_some()
    }
}

/// Applies our migrations, then the job queue's own (graphile_worker keeps its schema),
/// holding a PostgreSQL advisory lock meanwhile, so instances that start together migrate
/// one after the other (the later ones find nothing to do).
pub async fn migrate(url: &str) -> anyhow::Result<Vec<String>> {
    let lock = db::MigrationLock::acquire(url).await?;
    let result = async {
        let applied = db::run_migrations(url).await?;
        jobs::migrate(url).await?;
        anyhow::Ok(applied)
    }
    .await;
    lock.release().await;
    result
}

/// Production mode (`DATABASE_URL` set) needs a `JWT_SECRET` shared by every instance.
pub fn require_production_secret(config: &Config) -> anyhow::Result<()> {
    if config.is_production() && config.jwt_secret.is_none() {
        anyhow::bail!(
            "JWT_SECRET is not set. With DATABASE_URL set (production mode) every instance \
             must share one secret: set JWT_SECRET to at least 32 random characters"
        );
    }
    Ok(())
}

/// Migrates and builds the pool (every connection with `DB_STATEMENT_TIMEOUT`). Only the
/// embedded default (`seed_if_empty`) seeds: the demo catalogue and the demo accounts,
/// when the catalogue is empty. A configured database never gets either from `serve`.
pub async fn prepare(
    database: &Database, config: &Config, seed_if_empty: bool,
) -> anyhow::Result<DbPool> {
    if config.no_migrate {
        tracing::info!("not migrating (--no-migrate): /readyz waits for the migrations");
    } else {
        let applied = migrate(&database.url).await?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "database migrated");
        }
    }
    let url = db::with_session_settings(&database.url, config.budget.statement_timeout);
    let pool = db::create_pool(&url, config.db_pool_size)?;
    if seed_if_empty && database.is_embedded() {
        let mut conn = pool.get().await.context("could not connect to the database")?;
        if seed::catalogue_is_empty(&mut conn).await? {
            let report = seed::seed(&mut conn, false, true).await?;
            tracing::info!(
                collections = report.collections,
                products = report.products,
                reviews = report.reviews,
                users = report.users,
                "empty catalogue: loaded the demo catalogue"
            );
            println!(
                "Loaded the demo catalogue. Demo accounts (development only): staff `{}` / `{}`, customer `{}` / `{}`.",
                seed::DEMO_STAFF.0,
                seed::DEMO_STAFF.1,
                seed::DEMO_CUSTOMER.0,
                seed::DEMO_CUSTOMER.1
            );
        }
    }
    Ok(pool)
}

/// `storefront serve`.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    require_production_secret(&config)?;
    let database = Database::resolve(&config).await?;
    let result = serve_on(&database, &config).await;
    database.shutdown().await;
    result
}

/// What `serve` builds its state from.
fn app_options(config: &Config) -> AppOptions {
    AppOptions {
        settings: Settings::from_config(config),
        cors_origins: config.cors_allowed_origins.clone(),
        budget: config.budget.clone(),
        graphiql: config.graphiql_enabled(),
        introspection: config.introspection,
        throttles: crate::throttle::Throttles::new(config.rate_limits),
        trusted_proxies: config.trusted_proxies.clone(),
        catalogue_cache: config.catalogue_cache.clone(),
        metrics_token: config.ops.metrics_token.clone(),
        ..AppOptions::default()
    }
}

/// The instance's `LISTEN` tasks: order events, and the catalogue cache's invalidation
/// when the cache is on.
struct Listeners(Listener, Option<ChannelListener>);

impl Listeners {
    /// Starts them, and has `/readyz` watch each.
    fn spawn(url: &str, state: &AppState) -> Self {
        let orders = Listener::spawn(url.to_owned(), state.events.clone());
        state.health.watch("events", orders.up());
        let catalogue = state.responses.enabled().then(|| {
            ChannelListener::spawn(url.to_owned(), response_cache::CHANNEL, state.responses.clone())
        });
        if let Some(catalogue) = &catalogue {
            state.health.watch("cache_invalidation", catalogue.up());
        }
        Self(orders, catalogue)
    }

    fn stop(self) {
        self.0.stop();
        if let Some(catalogue) = self.1 {
            catalogue.stop();
        }
    }
}

async fn serve_on(database: &Database, config: &Config) -> anyhow::Result<()> {
    let pool = prepare(database, config, true).await?;
    let mut options = app_options(config);
    let replication = &config.replication;
    if !replication.urls.is_empty() {
        options.replicas = Some(crate::db::replicas::Replicas::start(
            &replication.urls,
            config.budget.statement_timeout,
            replication.max_lag,
            replication.read_your_writes,
        )?);
        tracing::info!(replicas = replication.urls.len(), "reads go to replicas");
    }
    if config.debug && database.is_embedded() {
        options.debug_sql =
            Some(db::with_session_settings(&database.url, config.budget.statement_timeout));
        tracing::info!("SQL profiler on: send `x-debug-sql: 1` to see a request's statements");
    }
    let state = AppState::with_options(pool, database.auth(config)?, options);
    let listeners = Listeners::spawn(&database.url, &state);
    let (stop_workers, stopped) = tokio::sync::watch::channel(false);
    let workers = if config.run_workers {
        Some(spawn_workers(config, &state, &database.url, stopped.clone())?)
    } else {
        None
    };
    let app = http::build_app(state.clone());
    let listener = TcpListener::bind(config.bind_addr)
        .await
        .with_context(|| format!("could not listen on {} (BIND_ADDR)", config.bind_addr))?;
    let addr: SocketAddr = listener.local_addr()?;
    tracing::info!(%addr, "listening");
    let page = if config.graphiql_enabled() { "GraphiQL" } else { "GraphQL" };
    println!("Storefront is running. {page}: http://{addr}/graphql (Ctrl-C to stop)");
    let options = http::serve::ServeOptions {
        header_read_timeout: config.budget.header_read_timeout,
        shutdown_grace: config.ops.shutdown_grace,
    };
    let shutdown = drain(&state, config.ops.shutdown_delay);
    http::serve::serve(listener, app, options, shutdown).await;
    let _ = stop_workers.send(true);
    if let Some(workers) = workers {
        let _ = workers.await;
    }
    drop(stopped);
    listeners.stop();
    tracing::info!("shut down gracefully");
    Ok(())
}

/// Resolves when the listener should stop accepting: on SIGINT or SIGTERM, `/readyz`
/// turns 503 (requests are still served) for `delay`, so load balancers stop sending new
/// ones; then WebSockets are told to close (1001 Going Away).
async fn drain(state: &AppState, delay: std::time::Duration) {
    shutdown_signal().await;
    state.health.begin_draining();
    if !delay.is_zero() {
        tracing::info!(?delay, "draining: /readyz answers 503 while requests are served");
        tokio::time::sleep(delay).await;
    }
    state.begin_shutdown();
}

/// How the job runtime runs, from the configuration.
fn worker_config(config: &Config) -> WorkerConfig {
    WorkerConfig {
        heartbeat: config.ops.job_heartbeat,
        sweep_threshold: config.ops.job_sweep_threshold,
        shutdown_grace: config.ops.shutdown_grace,
        ..WorkerConfig::default()
    }
}

/// The job workers and schedule in this process, supervised (restarted after any
/// failure), until `stopped` turns true; `/readyz` watches them.
fn spawn_workers(
    config: &Config, state: &AppState, url: &str, stopped: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let deps = JobDeps {
        pool: state.pool.clone(),
        mailer: Arc::new(Mailer::from_config(config)?),
        history_days: config.ops.job_history_days,
    };
    let (up_tx, up) = tokio::sync::watch::channel(false);
    state.health.watch("jobs", up);
    tracing::info!("job workers and schedule running in this process (RUN_WORKERS)");
    Ok(tokio::spawn(jobs::supervise(
        url.to_owned(),
        deps,
        worker_config(config),
        crate::tasks::define_all,
        stopped,
        up_tx,
    )))
}

/// `storefront worker`: the job workers and the schedule, until SIGINT or SIGTERM.
pub async fn worker(config: Config) -> anyhow::Result<()> {
    require_production_secret(&config)?;
    let database = Database::resolve(&config).await?;
    let result = async {
        let pool = prepare(&database, &config, false).await?;
        let deps = JobDeps {
            pool,
            mailer: Arc::new(Mailer::from_config(&config)?),
            history_days: config.ops.job_history_days,
        };
        println!("Storefront workers are running (Ctrl-C to stop).");
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let (up, _) = tokio::sync::watch::channel(false);
        let supervisor = tokio::spawn(jobs::supervise(
            database.url.clone(),
            deps,
            worker_config(&config),
            crate::tasks::define_all,
            stopped,
            up,
        ));
        shutdown_signal().await;
        let _ = stop.send(true);
        supervisor.await.context("the job runtime's task failed")
    }
    .await;
    database.shutdown().await;
    result
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::warn!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received");
}
