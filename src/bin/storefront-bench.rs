//! `storefront-bench`: a small HTTP load generator that measures the real server (router,
//! HTTP/1.1 keep-alive over loopback, PostgreSQL) on the demo catalogue. It is its own
//! binary, outside the service's module tree:
//!
//! ```sh
//! cargo run --release --bin storefront-bench -- [--seconds 5] [--concurrency 16]
//! ```

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::body::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};

use clap::Parser;
use storefront::app::{AppOptions, AppState};
use storefront::config::{CatalogueCache, Config};
use storefront::db::notifications::ChannelListener;
use storefront::graphql::response_cache;
use storefront::http;
use storefront::seed;
use storefront::server::{self, Database};

#[derive(Debug, Clone, Copy)]
struct BenchOptions {
    duration: Duration,
    concurrency: usize,
}

/// One measured scenario.
struct Scenario {
    pub name: &'static str,
    /// Request body for the n-th request.
    pub body: fn(usize) -> String,
}

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "products(first: 10) with collection",
            body: |_| {
                r#"{"query":"{ products(first: 10) { nodes { id title unitPrice collection { id title } } } }"}"#
                    .to_owned()
            },
        },
        Scenario {
            name: "product(id) by id",
            body: |n| {
                format!(
                    r#"{{"query":"query($id: Int!) {{ product(id: $id) {{ id title unitPrice priceWithTax inventory }} }}","variables":{{"id":{}}}}}"#,
                    n % 1000 + 1
                )
            },
        },
        Scenario {
            name: "collections with productsCount",
            body: |_| r#"{"query":"{ collections { id title productsCount } }"}"#.to_owned(),
        },
        Scenario {
            name: "products(first: 20) nested",
            body: |_| {
                r#"{"query":"{ products(first: 20) { nodes { collection { title productsCount } reviews { name } images { url } } } }"}"#
                    .to_owned()
            },
        },
    ]
}

struct Measurement {
    pub requests: usize,
    pub errors: usize,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
}

/// `storefront bench`: starts the service on a free loopback port and measures it.
async fn run(config: Config, options: BenchOptions) -> anyhow::Result<()> {
    let database = Database::resolve(&config).await?;
    let result = run_on(&database, &config, options).await;
    database.shutdown().await;
    result
}

async fn run_on(database: &Database, config: &Config, options: BenchOptions) -> anyhow::Result<()> {
    let pool = server::prepare(database, config, true).await?;
    {
        // A configured database is never seeded by `serve`; the benchmark needs the
        // catalogue (without the development accounts).
        let mut conn = pool.get().await?;
        if seed::catalogue_is_empty(&mut conn).await? {
            seed::seed(&mut conn, false, false).await?;
        }
    }
    // The same service twice: without the catalogue cache, and with it (kept current
    // like `serve` keeps it).
    let auth = database.auth(config)?;
    let uncached = AppState::new(pool.clone(), auth.clone());
    let cache = CatalogueCache { enabled: true, ..config.catalogue_cache.clone() };
    let options_cached = AppOptions { catalogue_cache: cache, ..AppOptions::default() };
    let cached = AppState::with_options(pool, auth, options_cached);
    let mut listener = ChannelListener::spawn(
        database.url.clone(),
        response_cache::CHANNEL,
        cached.responses.clone(),
    );
    listener.ready().await;
    println!(
        "storefront bench: {} s per scenario, {} connections, pool of {}",
        options.duration.as_secs_f64(),
        options.concurrency,
        config.db_pool_size
    );
    println!(
        "{:<44} {:>9} {:>10} {:>9} {:>9} {:>7}",
        "scenario", "requests", "req/s", "p50 ms", "p99 ms", "errors"
    );
    for (label, state) in [("", uncached), (", cached", cached)] {
        measure_all(state, label, options).await?;
    }
    listener.stop();
    Ok(())
}

/// Serves `state` on a free loopback port and measures every scenario against it.
async fn measure_all(state: AppState, label: &str, options: BenchOptions) -> anyhow::Result<()> {
    let app = http::build_app(state);
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    for scenario in scenarios() {
        // A short warm-up fills the pool and the caches.
        measure(addr, &scenario, Duration::from_millis(500), options.concurrency).await?;
        let m = measure(addr, &scenario, options.duration, options.concurrency).await?;
        println!(
            "{:<44} {:>9} {:>10.0} {:>9.2} {:>9.2} {:>7}",
            format!("{}{label}", scenario.name),
            m.requests,
            m.requests as f64 / m.elapsed.as_secs_f64(),
            m.p50.as_secs_f64() * 1e3,
            m.p99.as_secs_f64() * 1e3,
            m.errors
        );
    }
    server.abort();
    Ok(())
}

/// Runs `concurrency` keep-alive connections against `addr` for `duration`.
async fn measure(
    addr: SocketAddr, scenario: &Scenario, duration: Duration, concurrency: usize,
) -> anyhow::Result<Measurement> {
    let start = Instant::now();
    let deadline = start + duration;
    let mut workers = Vec::with_capacity(concurrency);
    for worker in 0..concurrency {
        let body = scenario.body;
        workers.push(tokio::spawn(async move {
            client_loop(addr, body, worker, concurrency, deadline).await
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for worker in workers {
        let (mut l, e) = worker.await.context("a load worker failed")??;
        latencies.append(&mut l);
        errors += e;
    }
    let elapsed = start.elapsed();
    latencies.sort_unstable();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    Ok(Measurement {
        requests: latencies.len(),
        errors,
        elapsed,
        p50: percentile(0.50),
        p99: percentile(0.99),
    })
}

async fn client_loop(
    addr: SocketAddr, body: fn(usize) -> String, worker: usize, stride: usize, deadline: Instant,
) -> anyhow::Result<(Vec<Duration>, usize)> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut n = worker;
    while Instant::now() < deadline {
        let request = Request::post("/graphql")
            .header("host", addr.to_string())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body(n))))?;
        let started = Instant::now();
        let response = sender.send_request(request).await?;
        let ok = response.status().is_success();
        let bytes = response.into_body().collect().await?.to_bytes();
        latencies.push(started.elapsed());
        if !ok || bytes.windows(9).any(|w| w == b"\"errors\":") {
            errors += 1;
        }
        n += stride;
    }
    Ok((latencies, errors))
}

/// Measure requests/s and latency percentiles of the real service on the demo catalogue.
#[derive(Parser)]
#[command(name = "storefront-bench")]
struct Cli {
    /// Seconds per scenario.
    #[arg(long, default_value_t = 5)]
    seconds: u64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::from_env()?;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(config.rust_log.as_deref().unwrap_or("warn"))
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();
    let options = BenchOptions {
        duration: Duration::from_secs(cli.seconds.max(1)),
        concurrency: cli.concurrency.max(1),
    };
    run(config, options).await
}
