//! Application state shared by every request.

use std::sync::Arc;
use std::time::Duration;

use async_graphql::parser::types::ExecutableDocument;
use tokio::sync::{Semaphore, watch};

use crate::auth::Auth;
use crate::auth::watch::SessionWatch;
use crate::carts::model::HoldPolicy;
use crate::config::{Budget, CatalogueCache};
use crate::db::DbPool;
use crate::db::replicas::Replicas;
use crate::graphql::limits::Admission;
use crate::graphql::loaders::{DEFAULT_BATCH_WINDOW, Loaders};
use crate::graphql::persisted::PersistedQueries;
use crate::graphql::response_cache::ResponseCache;
use crate::health::Health;
use crate::images::storage::Media;
use crate::invoices::http::Downloads;
use crate::invoices::model::{Invoicing, Seller};
use crate::orders::events::OrderEvents;
use crate::schema::{AppSchema, build_schema_with};
use crate::throttle::Throttles;

/// Where a request's statements go.
pub struct Route<'a> {
    /// Who sends it (`user:<id>`, else `addr:<client>`), for read-your-writes.
    pub caller: &'a str,
    /// Whether a read-only document may read from a replica.
    pub replica_reads: bool,
    /// A pool of the request's own (the SQL profiler's), before any other.
    pub pool: Option<DbPool>,
}

impl<'a> Route<'a> {
    /// Everything to the primary (WebSockets: subscriptions read fresh state).
    pub fn primary(caller: &'a str) -> Self {
        Self { caller, replica_reads: false, pool: None }
    }
}

/// Tunables the resolvers read (schema-level data).
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long carts hold their lines' stock (guest carts shorter), and at most how
    /// many units a line may hold.
    pub hold: HoldPolicy,
    /// Upload storage and publication.
    pub media: Media,
    /// The invoices' seller and download base.
    pub invoicing: Invoicing,
}

impl Default for Settings {
    fn default() -> Self {
        let public_base_url = "http://127.0.0.1:8000".to_owned();
        Self {
            hold: HoldPolicy {
                signed_in: Duration::from_secs(15 * 60),
                guest: Duration::from_secs(5 * 60),
                max_per_line: 20,
            },
            media: Media {
                root: std::path::PathBuf::from(".storefront/media"),
                public_base_url: public_base_url.clone(),
                max_image_bytes: 500 * 1024,
                max_image_pixels: Budget::default().max_image_pixels,
            },
            invoicing: Invoicing { seller: Seller::default(), public_base_url },
        }
    }
}

impl Settings {
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            hold: HoldPolicy {
                signed_in: config.cart_hold,
                guest: config.guest_cart_hold,
                max_per_line: config.max_hold_per_line,
            },
            media: Media {
                root: config.media_root.clone(),
                public_base_url: config.public_base_url.clone(),
                max_image_bytes: config.max_image_bytes,
                max_image_pixels: config.budget.max_image_pixels,
            },
            invoicing: Invoicing {
                // An invalid address stops the mailer at start-up, before this matters.
                seller: config
                    .default_from_email
                    .parse::<lettre::message::Mailbox>()
                    .map(|from| Seller::of(&from))
                    .unwrap_or_default(),
                public_base_url: config.public_base_url.clone(),
            },
        }
    }
}

/// Everything but the pool and auth that shapes an [`AppState`].
#[derive(Clone)]
pub struct AppOptions {
    pub settings: Settings,
    pub cors_origins: Vec<String>,
    pub events: OrderEvents,
    /// DataLoader batch window (`DEFAULT_BATCH_WINDOW` when zero).
    pub batch_window: Duration,
    /// What one request may use.
    pub budget: Budget,
    /// Serve GraphiQL to browsers at `GET /graphql`.
    pub graphiql: bool,
    /// Answer introspection queries.
    pub introspection: bool,
    /// Per-address request throttles.
    pub throttles: Throttles,
    /// Peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// The catalogue cache (off unless the caller also keeps it current: see
    /// `server::serve`, which listens for catalogue changes).
    pub catalogue_cache: CatalogueCache,
    /// `METRICS_TOKEN`: the bearer token `/metrics` wants, if any.
    pub metrics_token: Option<String>,
    /// Read replicas (`DATABASE_REPLICA_URLS`), if any.
    pub replicas: Option<Arc<Replicas>>,
    /// The SQL profiler's database URL (`x-debug-sql: 1`); `None` turns it off.
    pub debug_sql: Option<String>,
}

/// Most bytes of persisted-query documents kept.
const PERSISTED_QUERY_BYTES: u64 = 8 * 1024 * 1024;

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            settings: Settings::default(),
            cors_origins: crate::config::DEFAULT_CORS_ORIGINS
                .iter()
                .map(|o| (*o).to_owned())
                .collect(),
            events: OrderEvents::default(),
            batch_window: Duration::ZERO,
            budget: Budget::default(),
            graphiql: true,
            introspection: true,
            throttles: Throttles::default(),
            trusted_proxies: Vec::new(),
            catalogue_cache: CatalogueCache::default(),
            metrics_token: None,
            replicas: None,
            debug_sql: None,
        }
    }
}

/// The service's shared state. Cheap to clone (one reference count): the router clones
/// it for every request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The invoice download's part of the state.
impl axum::extract::FromRef<AppState> for Downloads {
    fn from_ref(state: &AppState) -> Self {
        Self {
            pool: state.pool.clone(),
            auth: state.auth.clone(),
            invoicing: state.settings.invoicing.clone(),
        }
    }
}

/// What [`AppState`] shares.
pub struct Shared {
    pub pool: DbPool,
    pub settings: Settings,
    /// Browser origins allowed by CORS.
    pub cors_origins: Vec<String>,
    pub schema: AppSchema,
    pub auth: Auth,
    pub events: OrderEvents,
    /// DataLoader batch window.
    pub batch_window: Duration,
    pub budget: Budget,
    /// The per-document budget check both transports run before executing.
    pub admission: Admission,
    pub graphiql: bool,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Requests in flight (the guard sheds load beyond `budget.max_in_flight`).
    pub in_flight: Arc<Semaphore>,
    /// Re-checks the users of signed-in WebSockets.
    pub sessions: SessionWatch,
    /// Documents registered by hash (automatic persisted queries).
    pub persisted: PersistedQueries,
    /// The catalogue cache, and which reads are public.
    pub responses: ResponseCache,
    /// Draining, and whether the instance's long-running parts are up (`/readyz`).
    pub health: Health,
    /// The bearer token `/metrics` wants, if any.
    pub metrics_token: Option<String>,
    /// Read replicas, if any.
    pub replicas: Option<Arc<Replicas>>,
    /// The database URL the SQL profiler connects to (`DEBUG=true` in the embedded
    /// default only).
    pub debug_sql: Option<String>,
    /// Turns `true` when the service begins shutting down.
    pub shutdown: watch::Receiver<bool>,
    shutdown_tx: watch::Sender<bool>,
}

impl AppState {
    /// The state with default options.
    pub fn new(pool: DbPool, auth: Auth) -> Self {
        Self::with_options(pool, auth, AppOptions::default())
    }

    /// Builds the schema once, with the pool, auth services, settings and the order
    /// event hub as schema-level data.
    pub fn with_options(pool: DbPool, auth: Auth, options: AppOptions) -> Self {
        // The metrics recorder, before the first request records anything.
        let _ = crate::telemetry::handle();
        let schema = build_schema_with(&options.budget.query, options.introspection)
            .data(pool.clone())
            .data(auth.clone())
            .data(options.settings.hold)
            .data(options.settings.media.clone())
            .data(options.settings.invoicing.clone())
            .data(options.events.clone())
            .data(options.throttles.clone())
            .finish();
        let batch_window = if options.batch_window.is_zero() {
            DEFAULT_BATCH_WINDOW
        } else {
            options.batch_window
        };
        let (shutdown_tx, shutdown) = watch::channel(false);
        Self(Arc::new(Shared {
            pool,
            settings: options.settings,
            cors_origins: options.cors_origins,
            schema,
            auth,
            events: options.events,
            batch_window,
            in_flight: Arc::new(Semaphore::new(options.budget.max_in_flight)),
            admission: Admission::new(options.budget.query.clone(), crate::schema::schema_env()),
            budget: options.budget,
            graphiql: options.graphiql,
            trusted_proxies: options.trusted_proxies,
            sessions: SessionWatch::default(),
            persisted: PersistedQueries::new(PERSISTED_QUERY_BYTES),
            responses: ResponseCache::new(
                options.catalogue_cache.enabled,
                options.catalogue_cache.max_bytes,
                options.catalogue_cache.ttl,
                crate::catalog::graphql::is_public_read,
            ),
            health: Health::default(),
            metrics_token: options.metrics_token,
            replicas: options.replicas,
            debug_sql: options.debug_sql,
            shutdown,
            shutdown_tx,
        }))
    }

    /// Tells long-lived connections (WebSockets) that the service is going away.
    pub fn begin_shutdown(&self) {
        let _ = self.shutdown_tx.send(true);
    }

    /// Sets the gauges of state kept elsewhere, before the metrics are rendered: requests
    /// in flight, the pool, the watched parts, draining, the catalogue cache's counts and
    /// the job queue's depth by state (one statement; skipped when the database does not
    /// answer).
    pub async fn record_gauges(&self) {
        let in_flight = self.budget.max_in_flight - self.in_flight.available_permits();
        metrics::gauge!("storefront_http_requests_in_flight").set(in_flight as f64);
        let pool = self.pool.status();
        metrics::gauge!("storefront_db_pool_size").set(pool.size as f64);
        metrics::gauge!("storefront_db_pool_idle").set(pool.available as f64);
        metrics::gauge!("storefront_db_pool_waiting").set(pool.waiting as f64);
        for (part, up) in self.health.parts_up() {
            metrics::gauge!("storefront_part_up", "part" => part).set(f64::from(u8::from(up)));
        }
        metrics::gauge!("storefront_draining").set(f64::from(u8::from(self.health.draining())));
        let (hits, misses) = self.responses.counts();
        metrics::counter!("storefront_catalogue_cache_hits_total").absolute(hits);
        metrics::counter!("storefront_catalogue_cache_misses_total").absolute(misses);
        let depths = match self.pool.get().await {
            Ok(mut conn) => crate::jobs::repo::depth_by_state(&mut conn).await.ok(),
            Err(_) => None,
        };
        if let Some(depths) = depths {
            for state in ["QUEUED", "SCHEDULED", "RUNNING", "FAILED"] {
                let depth = depths.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n);
                metrics::gauge!("storefront_job_queue_depth", "state" => state).set(depth as f64);
            }
        }
    }

    /// Readies a request for execution: the budget check (the document parsed once, and
    /// refused when it is over the budget: the answer is then `Err`), and a fresh loader
    /// registry, whose loaders are made on first use and cache what they read when every
    /// operation is a query. A loader waits `batch_window` after its first key, so sibling
    /// resolvers land in one batch (lists prime their relations and do not wait).
    ///
    /// With read replicas, a document of queries only, from a `caller` who has not written
    /// recently, reads from a replica when `replica_reads` allows it (the transport says
    /// no for the reads that fill the catalogue cache, and for WebSockets); any other
    /// document records `caller` as a recent writer.
    pub fn admit(
        &self, mut request: async_graphql::Request, parsed: Option<ExecutableDocument>,
        route: Route<'_>,
    ) -> Result<async_graphql::Request, Box<async_graphql::Response>> {
        let reads_only = self
            .admission
            .admit(&mut request, parsed)
            .map_err(|error| Box::new(async_graphql::Response::from_errors(vec![error])))?;
        let replica = match &self.replicas {
            Some(replicas) if !reads_only => {
                replicas.wrote(route.caller);
                None
            }
            Some(replicas) if route.replica_reads => replicas.for_reader(route.caller),
            _ => None,
        };
        let pool = route.pool.or(replica);
        let loaders =
            Loaders::new(pool.clone().unwrap_or_else(|| self.pool.clone()), self.batch_window);
        if reads_only {
            loaders.cache_reads();
        }
        let request = request.data(loaders);
        Ok(match pool {
            // Resolvers read `DbPool` from the request's data before the schema's.
            Some(pool) => request.data(pool),
            None => request,
        })
    }
}
