//! Application state shared by every request.

use std::time::Duration;

use crate::auth::Auth;
use crate::db::DbPool;
use crate::graphql::loaders::{DEFAULT_BATCH_WINDOW, Loaders};
use crate::graphql::{AppSchema, build_schema};
use crate::orders::events::OrderEvents;

/// Tunables the resolvers read (schema-level data).
#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a cart's lines hold their stock after the cart's last change.
    pub cart_hold: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            cart_hold: Duration::from_secs(15 * 60),
        }
    }
}

/// Everything but the pool and auth that shapes an [`AppState`].
#[derive(Clone, Default)]
pub struct AppOptions {
    pub settings: Settings,
    pub events: OrderEvents,
    /// DataLoader batch window (`DEFAULT_BATCH_WINDOW` when zero).
    pub batch_window: Duration,
}

/// Cheap to clone: the pool and the schema are reference-counted.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub schema: AppSchema,
    pub auth: Auth,
    pub events: OrderEvents,
    /// DataLoader batch window.
    pub batch_window: Duration,
}

impl AppState {
    /// The state with default options.
    pub fn new(pool: DbPool, auth: Auth) -> Self {
        Self::with_options(pool, auth, AppOptions::default())
    }

    /// Builds the schema once, with the pool, auth services, settings and the order
    /// event hub as schema-level data.
    pub fn with_options(pool: DbPool, auth: Auth, options: AppOptions) -> Self {
        let schema = build_schema()
            .data(pool.clone())
            .data(auth.clone())
            .data(options.settings)
            .data(options.events.clone())
            .finish();
        let batch_window = if options.batch_window.is_zero() {
            DEFAULT_BATCH_WINDOW
        } else {
            options.batch_window
        };
        Self {
            pool,
            schema,
            auth,
            events: options.events,
            batch_window,
        }
    }

    /// A request's loaders.
    pub fn loaders(&self) -> Loaders {
        Loaders::new(&self.pool, self.batch_window)
    }
}
