//! DataLoader helpers. Each domain defines its loaders (`<domain>/loaders.rs`); every
//! request gets one [`Loaders`] registry that makes each loader the first time a resolver
//! asks for it (`ctx.loader::<L>()`), so batching and caching never cross requests or
//! users, and a request pays only for the loaders it uses.
//!
//! A loader waits a short batch window after its first key so that sibling resolvers land
//! in one statement. Hot paths do not wait: a list resolver that sees (by look-ahead) that
//! its children will ask for a relation loads it for the whole list at once and primes
//! the loader with [`prime`], so the children are answered from the loader's cache. The
//! cache is on only for queries: a mutation or a subscription event must read what its
//! earlier steps wrote.

use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::{Context, Lookahead};

use crate::db::DbPool;
use crate::error::AppError;
use crate::error::OrNotFound;
use crate::graphql::context::ContextExt;

/// The loader type every domain's loaders share: batched, with a per-request cache that
/// is on only for queries.
pub type RequestLoader<L> = DataLoader<L, HashMapCache>;

/// `load_one` for a row that must exist: `NOT_FOUND` when it does not.
pub trait LoadRequired<K, V> {
    fn load_required(&self, key: K) -> impl Future<Output = Result<V, AppError>> + Send;
}

impl<K, T> LoadRequired<K, T::Value> for RequestLoader<T>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    T: Loader<K, Error = AppError>,
{
    async fn load_required(&self, key: K) -> Result<T::Value, AppError> {
        self.load_one(key).await.or_not_found()
    }
}

/// `load_one` for a value every key has, absent meaning the default (an empty list, 0,
/// `false`).
pub async fn load_or_default<L, K>(ctx: &Context<'_>, key: K) -> Result<L::Value, AppError>
where
    L: PoolLoader + Loader<K, Error = AppError>,
    L::Value: Default,
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    Ok(ctx.loader::<L>()?.load_one(key).await?.unwrap_or_default())
}

/// How long a loader collects keys before it queries: async-graphql's default.
pub const DEFAULT_BATCH_WINDOW: Duration = Duration::from_millis(1);

/// A loader the registry can make: every domain loader holds the pool it queries.
pub trait PoolLoader: Send + Sync + 'static {
    fn with_pool(pool: DbPool) -> Self;
}

/// One request's loaders, each made on first use.
pub struct Loaders {
    pool: DbPool,
    window: Duration,
    cache: AtomicBool,
    made: Mutex<Vec<(TypeId, Arc<dyn Any + Send + Sync>)>>,
}

impl Loaders {
    pub fn new(pool: DbPool, window: Duration) -> Self {
        Self { pool, window, cache: AtomicBool::new(false), made: Mutex::new(Vec::new()) }
    }

    /// Turns on the caches of the loaders made from now on: the request is a query, which
    /// writes nothing, so a row read once (or primed) stays true for the rest of the
    /// request. Called when the document is parsed, before any resolver runs.
    pub fn cache_reads(&self) {
        self.cache.store(true, Ordering::Relaxed);
    }

    fn made(&self) -> std::sync::MutexGuard<'_, Vec<(TypeId, Arc<dyn Any + Send + Sync>)>> {
        self.made.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether primed rows are kept (see [`cache_reads`](Self::cache_reads)).
    pub fn caching(&self) -> bool {
        self.cache.load(Ordering::Relaxed)
    }

    /// The request's loader over `L`, made now if this is the first use.
    pub fn get<L: PoolLoader>(&self) -> Arc<RequestLoader<L>> {
        let id = TypeId::of::<L>();
        let mut made = self.made();
        if let Some(loader) = made
            .iter()
            .find(|(t, _)| *t == id)
            .and_then(|(_, l)| Arc::clone(l).downcast::<RequestLoader<L>>().ok())
        {
            return loader;
        }
        let loader = DataLoader::with_cache(
            L::with_pool(self.pool.clone()),
            tokio::spawn,
            HashMapCache::default(),
        )
        .delay(self.window);
        loader.enable_all_cache(self.caching());
        let loader = Arc::new(loader);
        made.push((id, loader.clone() as Arc<dyn Any + Send + Sync>));
        loader
    }
}

/// What the fields selected on a list's objects will ask for: the look-ahead at those
/// objects, through each path that reaches them (a connection's `nodes` and `edges.node`).
pub struct Selected<'a>(pub &'a [Lookahead<'a>]);

impl Selected<'_> {
    /// Whether the dot-separated `path` is selected on the objects.
    pub fn has(&self, path: &str) -> bool {
        self.0.iter().any(|objects| {
            path.split('.')
                .fold(None::<Lookahead<'_>>, |at, field| match at {
                    None => Some(objects.field(field)),
                    Some(at) => Some(at.field(field)),
                })
                .is_some_and(|at| at.exists())
        })
    }

    /// `keys()` when `path` is selected; none (nothing to prime) otherwise.
    pub fn keys(&self, path: &str, keys: impl FnOnce() -> Vec<i64>) -> Vec<i64> {
        if self.has(path) { keys() } else { Vec::new() }
    }
}

/// Loads `keys` now, in one statement of `L`'s batch query, and primes the request's
/// loader with the rows, so the resolvers that ask for them next do not wait for a batch
/// window; returns the rows. Loads nothing outside queries (there is no cache to prime
/// there, and the resolvers batch as usual) or for no keys.
pub async fn prime<L, K>(ctx: &Context<'_>, keys: &[K]) -> Result<HashMap<K, L::Value>, AppError>
where
    L: PoolLoader + Loader<K, Error = AppError>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    let loaders = ctx.shared::<Loaders>()?;
    if keys.is_empty() || !loaders.caching() {
        return Ok(HashMap::new());
    }
    let mut seen = HashSet::with_capacity(keys.len());
    let keys: Vec<K> = keys.iter().filter(|k| seen.insert(*k)).cloned().collect();
    let loader = loaders.get::<L>();
    let values = loader.loader().load(&keys).await?;
    loader.feed_many(values.iter().map(|(k, v)| (k.clone(), v.clone()))).await;
    Ok(values)
}

/// Primes the request's loader `L` with rows already read (a to-one relation joined into
/// a list's own statement), so its resolvers neither query nor wait. Nothing outside
/// queries (see [`prime`]).
pub async fn feed<L, K>(
    ctx: &Context<'_>, rows: impl IntoIterator<Item = (K, L::Value)>,
) -> Result<(), AppError>
where
    L: PoolLoader + Loader<K, Error = AppError>,
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    let loaders = ctx.shared::<Loaders>()?;
    if loaders.caching() {
        loaders.get::<L>().feed_many(rows).await;
    }
    Ok(())
}

/// Declares a domain's DataLoader keyed by `i64` over one batch query `$load(conn, ids)`
/// (a repo function): the loader takes a pooled connection for the batch, and the rows
/// are keyed `one by` a field (one row per key), grouped `many by` a field (a list per
/// key, empty when there is none), or already a map.
macro_rules! batch_loader {
    ($(#[$doc:meta])* $name:ident => $value:ty, $load:path $(, $how:ident by $field:ident)?) => {
        $crate::graphql::loaders::pool_loader!($(#[$doc])* $name);

        impl async_graphql::dataloader::Loader<i64> for $name {
            type Value = $value;
            type Error = $crate::error::AppError;

            async fn load(
                &self,
                ids: &[i64],
            ) -> Result<std::collections::HashMap<i64, $value>, $crate::error::AppError> {
                let mut conn = self.0.get().await?;
                let rows = $load(&mut conn, ids).await?;
                Ok($crate::graphql::loaders::batch_loader!(@key rows, ids $(, $how $field)?))
            }
        }
    };
    (@key $rows:ident, $ids:ident, one $field:ident) => {
        $rows.into_iter().map(|row| (row.$field, row)).collect()
    };
    (@key $rows:ident, $ids:ident, many $field:ident) => {
        $crate::db::group_by_key($ids, $rows, |row| row.$field)
    };
    (@key $rows:ident, $ids:ident) => {
        $rows.into_iter().collect()
    };
}

pub(crate) use batch_loader;

/// Declares a loader type that holds the pool it queries, for a `Loader` written by hand
/// (keys other than `i64`, or more than one statement).
macro_rules! pool_loader {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        pub struct $name(pub $crate::db::DbPool);

        impl $crate::graphql::loaders::PoolLoader for $name {
            fn with_pool(pool: $crate::db::DbPool) -> Self {
                Self(pool)
            }
        }
    };
}

pub(crate) use pool_loader;
