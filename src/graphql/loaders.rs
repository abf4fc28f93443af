//! DataLoader helpers. Each domain defines its loaders (`<domain>/loaders.rs`); the
//! application attaches one of each to every request (`AppState::with_loaders`), so
//! batching and caching never cross requests or users, and a resolver reaches one with
//! `ctx.loader::<L>()`.

use std::time::Duration;

use async_graphql::dataloader::DataLoader;

use crate::error::AppError;
use crate::error::OrNotFound;

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
        self.load_one(key).await.or_not_found()
    }
}

/// How long a loader collects keys before it queries: async-graphql's default.
pub const DEFAULT_BATCH_WINDOW: Duration = Duration::from_millis(1);

/// Declares a domain's DataLoader keyed by `i64` over one batch query `$load(conn, ids)`
/// (a repo function): the loader takes a pooled connection for the batch, and the rows
/// are keyed `one by` a field (one row per key), grouped `many by` a field (a list per
/// key, empty when there is none), or already a map.
macro_rules! batch_loader {
    ($(#[$doc:meta])* $name:ident => $value:ty, $load:path $(, $how:ident by $field:ident)?) => {
        $(#[$doc])*
        pub struct $name(pub $crate::db::DbPool);

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
