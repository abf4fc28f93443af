//! Configuration from the environment (and from `.env` in development).
//!
//! | Variable | Default | Meaning |
//! |---|---|---|
//! | `DATABASE_URL` | unset | PostgreSQL URL. Unset: `serve` starts a private cluster under `./.storefront/pg`. |
//! | `BIND_ADDR` | `127.0.0.1:8000` | Address the HTTP server listens on. |
//! | `DB_POOL_SIZE` | `10` | Maximum number of pooled database connections (1–1000). |
//! | `JWT_SECRET` | random | HS256 secret for tokens (at least 32 characters); when unset a random one is generated with a warning (and kept in `./.storefront/jwt-secret` for the embedded default). |
//! | `ACCESS_TOKEN_TTL` | `15m` | Lifetime of access tokens: seconds, or a number with `s`, `m`, `h` or `d`. |
//! | `REFRESH_TOKEN_TTL` | `1d` | Lifetime of refresh tokens, same format. |
//! | `CART_HOLD_MINUTES` | `15` | How long a cart holds its products' stock after its last change. |
//! | `MEDIA_ROOT` | `./.storefront/media` | Where uploaded files are stored (served at `/media/`). |
//! | `PUBLIC_BASE_URL` | `http://<BIND_ADDR>` | Absolute base of media URLs. |
//! | `MAX_IMAGE_SIZE_KB` | `500` | Largest accepted image, in KiB (500 → 512,000 bytes). |
//! | `CORS_ALLOWED_ORIGINS` | `http://localhost:8001,http://127.0.0.1:8001` | Browser origins allowed to call the API (comma-separated; empty for none). |
//! | `EMAIL_URL` | unset | SMTP URL (`smtp://user:pass@host:port`, `?tls=required` for STARTTLS, `smtps://` for TLS). Unset: mail is written to `MAIL_DIR`. |
//! | `MAIL_DIR` | `./.storefront/mail` | Where `.eml` files go without `EMAIL_URL`. |
//! | `DEFAULT_FROM_EMAIL` | `Storefront <noreply@storefront.example>` | Sender of every message. |
//! | `ADMINS` | empty | Comma-separated admin addresses (`Name <a@b.c>`). |
//! | `RUN_WORKERS` | `true` | Whether `serve` also runs the job workers and the schedule. |
//! | `DEBUG` | `false` | Development mode: debug-level logs by default, and (embedded default only) the SQL profiler behind `x-debug-sql: 1`. |
//! | `RUST_LOG` | `warn,storefront=info,tower_http=info` | Log filter (tracing-subscriber `EnvFilter` syntax). |
//! | `GRAPHIQL` | on without `DATABASE_URL`, off with it | Serve GraphiQL at `GET /graphql` for browsers. |
//! | `INTROSPECTION` | `true` | Answer introspection queries. |
//! | `RATE_LIMITS` | `on` | Per-address request throttles (`off` for load tests; the sign-in lockout stays). |
//! | `TRUSTED_PROXIES` | empty | Comma-separated proxy addresses whose `X-Forwarded-For` is believed. |
//! | `GUEST_CART_HOLD_MINUTES` | `5` | How long a guest cart holds stock after its last change. |
//! | `MAX_HOLD_PER_LINE` | `20` | Most units one cart line may hold. |
//! | `CATALOGUE_CACHE` | `on` | Keep answers to public catalogue reads in memory, emptied on every instance by each catalogue write. |
//! | `CATALOGUE_CACHE_MB` | `64` | Most memory the catalogue cache holds, in MiB. |
//! | `CATALOGUE_CACHE_TTL` | `60s` | Longest an answer is kept (same format as `ACCESS_TOKEN_TTL`). |
//! | `SHUTDOWN_DELAY_SECONDS` | `5` (`0` without `DATABASE_URL`) | After SIGTERM, how long `/readyz` answers 503 while requests are still served. |
//! | `SHUTDOWN_GRACE_SECONDS` | `10` | Then, how long requests in flight may take to finish. |
//! | `LOG_FORMAT` | `text` | `json` for one JSON object a line. |
//! | `METRICS_TOKEN` | unset | When set, `/metrics` wants `Authorization: Bearer <token>`. |
//! | `JOB_HEARTBEAT_SECONDS` | `10` | How often a job runtime records that it is alive. |
//! | `JOB_SWEEP_THRESHOLD_SECONDS` | `45` | A job runtime silent this long is dead; the jobs it held run again. |
//! | `JOB_HISTORY_DAYS` | `7` | How long completed jobs stay listed for staff. |
//! | `DATABASE_REPLICA_URLS` | empty | Comma-separated streaming replicas of `DATABASE_URL` that serve reads. |
//! | `READ_YOUR_WRITES_SECONDS` | `5` | A caller who wrote within this reads from the primary. |
//! | `REPLICA_MAX_LAG` | `5s` | A replica lagging more than this is skipped (same format as `ACCESS_TOKEN_TTL`). |
//!
//! The request budget (every variable of [`Budget`]) is listed in the README's "Running in
//! production" section.
//!
//! A bad value stops start-up with a message that names the variable.

use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context, anyhow};

use crate::graphql::limits::QueryLimits;

mod operations;

pub use operations::{Operations, Replication};

/// The course's client app (`npm start` on port 8001).
pub const DEFAULT_CORS_ORIGINS: [&str; 2] = ["http://localhost:8001", "http://127.0.0.1:8001"];

#[derive(Clone)]
pub struct Config {
    pub database_url: Option<String>,
    pub bind_addr: SocketAddr,
    pub db_pool_size: usize,
    /// `None` when unset: the caller generates a random dev secret.
    pub jwt_secret: Option<String>,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub cart_hold: Duration,
    pub media_root: std::path::PathBuf,
    pub public_base_url: String,
    pub max_image_bytes: usize,
    pub cors_allowed_origins: Vec<String>,
    pub email_url: Option<String>,
    pub mail_dir: std::path::PathBuf,
    pub default_from_email: String,
    pub admins: Vec<String>,
    pub run_workers: bool,
    pub debug: bool,
    pub rust_log: Option<String>,
    /// `None`: GraphiQL only in the embedded default.
    pub graphiql: Option<bool>,
    /// Per-address request throttles (`RATE_LIMITS`, on by default).
    pub rate_limits: bool,
    /// Peers whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// How long a guest cart holds stock (`GUEST_CART_HOLD_MINUTES`).
    pub guest_cart_hold: Duration,
    /// Most units one cart line may hold (`MAX_HOLD_PER_LINE`).
    pub max_hold_per_line: i32,
    pub introspection: bool,
    pub budget: Budget,
    pub catalogue_cache: CatalogueCache,
    /// Drain, logs, metrics and the job runtime's self-healing.
    pub ops: Operations,
    /// `serve --no-migrate`: leave the schema to `storefront migrate` (the release role).
    pub no_migrate: bool,
    /// Read replicas.
    pub replication: Replication,
}

/// The catalogue cache's settings (`CATALOGUE_CACHE`, `CATALOGUE_CACHE_BYTES`,
/// `CATALOGUE_CACHE_TTL`).
#[derive(Debug, Clone)]
pub struct CatalogueCache {
    /// `CATALOGUE_CACHE`: on by default for `serve` (which keeps it current).
    pub enabled: bool,
    /// Most bytes of answers kept.
    pub max_bytes: u64,
    /// Longest an answer is kept (a bound on what a silent listener failure could serve).
    pub ttl: Duration,
}

impl Default for CatalogueCache {
    fn default() -> Self {
        Self { enabled: false, max_bytes: 64 * 1024 * 1024, ttl: Duration::from_secs(60) }
    }
}

/// What one request may use, on every transport (see the README's "Running in production").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    /// Cost, depth, aliases, root fields, directives, size and string limits of a document.
    pub query: QueryLimits,
    /// Longest time an HTTP request may take (`REQUEST_TIMEOUT`).
    pub request_timeout: Duration,
    /// PostgreSQL `statement_timeout` of every pooled connection (`DB_STATEMENT_TIMEOUT`).
    pub statement_timeout: Duration,
    /// Longest time a client may take to send a request's headers (`HEADER_READ_TIMEOUT`).
    pub header_read_timeout: Duration,
    /// HTTP requests served at once; more are shed with 503 (`MAX_IN_FLIGHT_REQUESTS`).
    pub max_in_flight: usize,
    /// Time a WebSocket has to send `connection_init` (`WS_INIT_TIMEOUT`).
    pub ws_init_timeout: Duration,
    /// Largest WebSocket message (`WS_MAX_MESSAGE_BYTES`); larger closes with 1009.
    pub ws_max_message_bytes: usize,
    /// Operations running at once on one WebSocket (`WS_MAX_OPERATIONS`).
    pub ws_max_operations: usize,
    /// Largest image, in pixels, accepted for upload (`MAX_IMAGE_PIXELS`).
    pub max_image_pixels: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            query: QueryLimits::default(),
            request_timeout: Duration::from_secs(15),
            statement_timeout: Duration::from_secs(5),
            header_read_timeout: Duration::from_secs(10),
            max_in_flight: 1_024,
            ws_init_timeout: Duration::from_secs(3),
            ws_max_message_bytes: 64 * 1024,
            ws_max_operations: 25,
            max_image_pixels: 40_000_000,
        }
    }
}

impl Budget {
    /// Reads every budget variable; unset ones keep their default.
    fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let d = Self::default();
        let q = &d.query;
        let query = QueryLimits {
            max_cost: bounded(get, "MAX_QUERY_COST", q.max_cost, 1, u64::MAX)?,
            max_depth: bounded(get, "MAX_QUERY_DEPTH", q.max_depth, 1, 16)?,
            max_aliases: bounded(get, "MAX_QUERY_ALIASES", q.max_aliases, 0, 10_000)?,
            max_root_fields: bounded(get, "MAX_ROOT_FIELDS", q.max_root_fields, 1, 10_000)?,
            max_directives: bounded(get, "MAX_DIRECTIVES_PER_FIELD", q.max_directives, 0, 100)?,
            max_bytes: bounded(get, "MAX_QUERY_BYTES", q.max_bytes, 64, 1024 * 1024)?,
            max_tokens: bounded(get, "MAX_QUERY_TOKENS", q.max_tokens, 16, 1_000_000)?,
            max_string_chars: bounded(get, "MAX_STRING_LENGTH", q.max_string_chars, 1, 1 << 20)?,
            assumed_list_size: bounded(get, "ASSUMED_LIST_SIZE", q.assumed_list_size, 1, 10_000)?,
        };
        Ok(Self {
            query,
            request_timeout: duration(get, "REQUEST_TIMEOUT", d.request_timeout)?,
            statement_timeout: duration(get, "DB_STATEMENT_TIMEOUT", d.statement_timeout)?,
            header_read_timeout: duration(get, "HEADER_READ_TIMEOUT", d.header_read_timeout)?,
            max_in_flight: bounded(get, "MAX_IN_FLIGHT_REQUESTS", d.max_in_flight, 1, 1 << 20)?,
            ws_init_timeout: duration(get, "WS_INIT_TIMEOUT", d.ws_init_timeout)?,
            ws_max_message_bytes: bounded(
                get,
                "WS_MAX_MESSAGE_BYTES",
                d.ws_max_message_bytes,
                1024,
                16 * 1024 * 1024,
            )?,
            ws_max_operations: bounded(get, "WS_MAX_OPERATIONS", d.ws_max_operations, 1, 10_000)?,
            max_image_pixels: bounded(get, "MAX_IMAGE_PIXELS", d.max_image_pixels, 1, u64::MAX)?,
        })
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .field("bind_addr", &self.bind_addr)
            .field("db_pool_size", &self.db_pool_size)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "<set>"))
            .field("debug", &self.debug)
            .field("rust_log", &self.rust_log)
            .finish()
    }
}

impl Config {
    /// Reads `.env` (when present) and then the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        // `.env` is a development convenience; a missing file is fine.
        let _ = dotenvy::dotenv();
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Builds the configuration from any variable source (tests pass a map). One line a
    /// variable; each parser names its variable in the error.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let get = |key: &str| lookup(key).filter(|value| !value.trim().is_empty());
        let bind_addr: SocketAddr =
            parsed(&get, "BIND_ADDR")?.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8000)));
        Ok(Self {
            database_url: get("DATABASE_URL"),
            bind_addr,
            db_pool_size: bounded(&get, "DB_POOL_SIZE", 10, 1, 1000)?,
            jwt_secret: jwt_secret(&get)?,
            access_token_ttl: duration(&get, "ACCESS_TOKEN_TTL", Duration::from_secs(15 * 60))?,
            refresh_token_ttl: duration(&get, "REFRESH_TOKEN_TTL", Duration::from_secs(86_400))?,
            cart_hold: minutes(&get, "CART_HOLD_MINUTES", 15)?,
            guest_cart_hold: minutes(&get, "GUEST_CART_HOLD_MINUTES", 5)?,
            max_hold_per_line: bounded(&get, "MAX_HOLD_PER_LINE", 20, 1, 32_767)?,
            media_root: path(&get, "MEDIA_ROOT", ".storefront/media"),
            public_base_url: public_base_url(&get, bind_addr)?,
            max_image_bytes: bounded(&get, "MAX_IMAGE_SIZE_KB", 500_usize, 1, 1 << 20)? * 1024,
            cors_allowed_origins: cors_origins(lookup("CORS_ALLOWED_ORIGINS"))?,
            email_url: get("EMAIL_URL"),
            mail_dir: path(&get, "MAIL_DIR", ".storefront/mail"),
            default_from_email: get("DEFAULT_FROM_EMAIL")
                .unwrap_or_else(|| "Storefront <noreply@storefront.example>".to_owned()),
            admins: list(&get, "ADMINS"),
            run_workers: flag(&get, "RUN_WORKERS", true)?,
            debug: flag(&get, "DEBUG", false)?,
            rust_log: get("RUST_LOG"),
            graphiql: get("GRAPHIQL").map(|_| flag(&get, "GRAPHIQL", false)).transpose()?,
            introspection: flag(&get, "INTROSPECTION", true)?,
            budget: Budget::from_lookup(&get)?,
            catalogue_cache: CatalogueCache {
                enabled: flag(&get, "CATALOGUE_CACHE", true)?,
                max_bytes: bounded(&get, "CATALOGUE_CACHE_MB", 64_u64, 1, 1 << 20)? << 20,
                ttl: duration(&get, "CATALOGUE_CACHE_TTL", Duration::from_secs(60))?,
            },
            ops: Operations::from_lookup(&get, get("DATABASE_URL").is_some())?,
            no_migrate: false,
            replication: Replication::from_lookup(&get)?,
            rate_limits: flag(&get, "RATE_LIMITS", true)?,
            trusted_proxies: list(&get, "TRUSTED_PROXIES")
                .iter()
                .map(|a| {
                    a.parse().map_err(|_| anyhow!("TRUSTED_PROXIES has an invalid address {a:?}"))
                })
                .collect::<anyhow::Result<Vec<_>>>()?,
        })
    }

    /// Production mode: a configured database (`DATABASE_URL`), as opposed to the
    /// embedded development default.
    pub fn is_production(&self) -> bool {
        self.database_url.is_some()
    }

    /// Whether GraphiQL is served: `GRAPHIQL`, else only in the embedded default.
    pub fn graphiql_enabled(&self) -> bool {
        self.graphiql.unwrap_or(!self.is_production())
    }
}

/// `JWT_SECRET`, at least 32 characters when set.
fn jwt_secret(get: &impl Fn(&str) -> Option<String>) -> anyhow::Result<Option<String>> {
    let secret = get("JWT_SECRET");
    if secret.as_ref().is_some_and(|s| s.len() < 32) {
        return Err(anyhow!("JWT_SECRET must be at least 32 characters long"));
    }
    Ok(secret)
}

/// `PUBLIC_BASE_URL` without a trailing slash, `http://<BIND_ADDR>` by default.
fn public_base_url(
    get: &impl Fn(&str) -> Option<String>, bind_addr: SocketAddr,
) -> anyhow::Result<String> {
    let url = get("PUBLIC_BASE_URL")
        .map(|url| url.trim().trim_end_matches('/').to_owned())
        .unwrap_or_else(|| format!("http://{bind_addr}"));
    if !url.starts_with("http://") && !url.starts_with("https://") {
        return Err(anyhow!("PUBLIC_BASE_URL must start with http:// or https://"));
    }
    Ok(url)
}

/// `CORS_ALLOWED_ORIGINS`: the course's client app when unset, none when set empty.
fn cors_origins(raw: Option<String>) -> anyhow::Result<Vec<String>> {
    let origins: Vec<String> = match raw {
        None => DEFAULT_CORS_ORIGINS.iter().map(|o| (*o).to_owned()).collect(),
        Some(list) => list
            .split(',')
            .map(|o| o.trim().trim_end_matches('/').to_owned())
            .filter(|o| !o.is_empty())
            .collect(),
    };
    for origin in &origins {
        if axum::http::HeaderValue::from_str(origin).is_err() || !origin.contains("://") {
            return Err(anyhow!("CORS_ALLOWED_ORIGINS has an invalid origin {origin:?}"));
        }
    }
    Ok(origins)
}

/// A comma-separated list (empty when unset).
fn list(get: &impl Fn(&str) -> Option<String>, key: &str) -> Vec<String> {
    get(key)
        .map(|list| {
            list.split(',').map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()).collect()
        })
        .unwrap_or_default()
}

/// A folder, `default` when unset.
fn path(get: &impl Fn(&str) -> Option<String>, key: &str, default: &str) -> std::path::PathBuf {
    std::path::PathBuf::from(get(key).unwrap_or_else(|| default.to_owned()))
}

/// A switch: `true`/`false`, `on`/`off`, `yes`/`no`, `1`/`0`.
fn flag(get: &impl Fn(&str) -> Option<String>, key: &str, default: bool) -> anyhow::Result<bool> {
    match get(key) {
        None => Ok(default),
        Some(value) => parse_bool(&value).with_context(|| format!("{key} must be true or false")),
    }
}

/// A whole number of minutes (at least 1, at most a day).
fn minutes(
    get: &impl Fn(&str) -> Option<String>, key: &str, default: u64,
) -> anyhow::Result<Duration> {
    Ok(Duration::from_secs(60 * bounded(get, key, default, 1, 24 * 60)?))
}

/// A number within `min..=max`, or `default` when unset.
fn bounded<T>(
    get: &impl Fn(&str) -> Option<String>, key: &str, default: T, min: T, max: T,
) -> anyhow::Result<T>
where
    T: FromStr + PartialOrd + std::fmt::Display + Copy,
    T::Err: std::fmt::Display,
{
    let value = parsed(get, key)?.unwrap_or(default);
    if value < min || value > max {
        return Err(anyhow!("{key} must be between {min} and {max}, got {value}"));
    }
    Ok(value)
}

fn parsed<T>(get: &impl Fn(&str) -> Option<String>, key: &str) -> anyhow::Result<Option<T>>
where
    T: FromStr,
    T::Err: std::fmt::Display,
{
    get(key)
        .map(|raw| {
            raw.trim()
                .parse::<T>()
                .map_err(|error| anyhow!("{key} has an invalid value {raw:?}: {error}"))
        })
        .transpose()
}

/// A duration: seconds, or a number with `s`, `m`, `h` or `d` (`ms` for milliseconds).
fn duration(
    get: &impl Fn(&str) -> Option<String>, key: &str, default: Duration,
) -> anyhow::Result<Duration> {
    let Some(raw) = get(key) else {
        return Ok(default);
    };
    if let Some(ms) = raw.trim().strip_suffix("ms")
        && let Ok(n @ 1..) = ms.parse::<u64>()
    {
        return Ok(Duration::from_millis(n));
    }
    let text = raw.trim().to_ascii_lowercase();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text.as_str(), "s"),
    };
    let factor = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => 0,
    };
    match number.parse::<u64>() {
        Ok(n) if n > 0 && factor > 0 => Ok(Duration::from_secs(n.saturating_mul(factor))),
        _ => Err(anyhow!(
            "{key} has an invalid value {raw:?}: use seconds or a number with s, m, h or d"
        )),
    }
}

fn parse_bool(value: &str) -> anyhow::Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => Err(anyhow!("not a boolean: {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> anyhow::Result<Config> {
        let map: HashMap<String, String> =
            vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_lookup(|key| map.get(key).cloned())
    }

    #[test]
    fn defaults() -> anyhow::Result<()> {
        let config = config(&[])?;
        assert_eq!(config.bind_addr.to_string(), "127.0.0.1:8000");
        assert_eq!(config.db_pool_size, 10);
        assert!(config.database_url.is_none());
        assert!(!config.debug);
        assert_eq!(config.access_token_ttl, Duration::from_secs(15 * 60));
        assert_eq!(config.refresh_token_ttl, Duration::from_secs(86_400));
        assert_eq!(config.budget, Budget::default());
        assert!(config.rate_limits && config.trusted_proxies.is_empty());
        assert_eq!(config.guest_cart_hold, Duration::from_secs(300));
        assert_eq!(config.max_hold_per_line, 20);
        assert!(config.graphiql_enabled() && config.introspection);
        Ok(())
    }

    #[test]
    fn production_mode_switches_graphiql_off() -> anyhow::Result<()> {
        let config = config(&[("DATABASE_URL", "postgres://db/shop")])?;
        assert!(config.is_production() && !config.graphiql_enabled() && config.introspection);
        let config = config_with_graphiql()?;
        assert!(config.graphiql_enabled());
        Ok(())
    }

    fn config_with_graphiql() -> anyhow::Result<Config> {
        config(&[("DATABASE_URL", "postgres://db/shop"), ("GRAPHIQL", "on")])
    }

    #[test]
    fn budget_variables() -> anyhow::Result<()> {
        let config = config(&[
            ("MAX_QUERY_COST", "100"),
            ("DB_STATEMENT_TIMEOUT", "250ms"),
            ("WS_INIT_TIMEOUT", "1s"),
        ])?;
        assert_eq!(config.budget.query.max_cost, 100);
        assert_eq!(config.budget.statement_timeout, Duration::from_millis(250));
        assert_eq!(config.budget.ws_init_timeout, Duration::from_secs(1));
        Ok(())
    }

    #[test]
    fn token_lifetimes() -> anyhow::Result<()> {
        let config = config(&[("ACCESS_TOKEN_TTL", "15m"), ("REFRESH_TOKEN_TTL", "3600")])?;
        assert_eq!(config.access_token_ttl, Duration::from_secs(900));
        assert_eq!(config.refresh_token_ttl, Duration::from_secs(3600));
        Ok(())
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (key, value) in [
            ("BIND_ADDR", "nowhere"),
            ("DB_POOL_SIZE", "many"),
            ("DB_POOL_SIZE", "0"),
            ("DEBUG", "maybe"),
            ("JWT_SECRET", "short"),
            ("ACCESS_TOKEN_TTL", "soon"),
            ("REFRESH_TOKEN_TTL", "0"),
            ("CART_HOLD_MINUTES", "0"),
            ("CART_HOLD_MINUTES", "soon"),
            ("PUBLIC_BASE_URL", "example.com"),
            ("MAX_IMAGE_SIZE_KB", "0"),
            ("CORS_ALLOWED_ORIGINS", "not an origin"),
            ("RUN_WORKERS", "sometimes"),
            ("GRAPHIQL", "perhaps"),
            ("INTROSPECTION", "perhaps"),
            ("MAX_QUERY_COST", "lots"),
            ("MAX_QUERY_DEPTH", "17"),
            ("DB_STATEMENT_TIMEOUT", "0"),
            ("REQUEST_TIMEOUT", "soon"),
            ("WS_MAX_OPERATIONS", "0"),
            ("RATE_LIMITS", "sometimes"),
            ("TRUSTED_PROXIES", "10.0.0.1,not-an-ip"),
            ("GUEST_CART_HOLD_MINUTES", "0"),
            ("MAX_HOLD_PER_LINE", "0"),
        ] {
            let error = match config(&[(key, value)]) {
                Ok(_) => panic!("{key}={value} was accepted"),
                Err(error) => format!("{error:#}"),
            };
            assert!(error.contains(key), "{error}");
        }
    }
}
