//! Application state shared by every request.

use std::time::Duration;

use crate::auth::Auth;
use crate::db::DbPool;
use crate::graphql::loaders::{DEFAULT_BATCH_WINDOW, Loaders};
use crate::graphql::{AppSchema, build_schema};

/// Cheap to clone: the pool and the schema are reference-counted.
#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub schema: AppSchema,
    pub auth: Auth,
    /// DataLoader batch window.
    pub batch_window: Duration,
}

impl AppState {
    /// Builds the schema once, with the pool and the auth services as schema-level data.
    pub fn new(pool: DbPool, auth: Auth) -> Self {
        let schema = build_schema()
            .data(pool.clone())
            .data(auth.clone())
            .finish();
        Self {
            pool,
            schema,
            auth,
            batch_window: DEFAULT_BATCH_WINDOW,
        }
    }

    /// The same state with another DataLoader batch window.
    pub fn with_batch_window(mut self, window: Duration) -> Self {
        self.batch_window = window;
        self
    }

    /// A request's loaders.
    pub fn loaders(&self) -> Loaders {
        Loaders::new(&self.pool, self.batch_window)
    }
}
