//! DataLoader helpers. Each domain defines its loaders (`<domain>/loaders.rs`); the
//! application attaches one of each to every request (`AppState::with_loaders`), so
//! batching and caching never cross requests or users, and a resolver reaches one with
//! `ctx.loader::<L>()`.

use std::time::Duration;

use async_graphql::dataloader::DataLoader;

use crate::error::AppError;

/// `load_one` for a row that must exist: `NOT_FOUND` when it does not.
pub trait LoadRequired<K, V> {
    fn load_required(&self, key: K) -> impl Future<Output = Result<V, AppError>> + Send;
}

impl<K, T> LoadRequired<K, T::Value> for DataLoader<T>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    T: async_graphql::dataloader::Loader<K, Error = AppError>,
{
    async fn load_required(&self, key: K) -> Result<T::Value, AppError> {
        self.load_one(key).await?.ok_or_else(AppError::not_found)
    }
}

/// How long a loader collects keys before it queries: async-graphql's default.
pub const DEFAULT_BATCH_WINDOW: Duration = Duration::from_millis(1);
