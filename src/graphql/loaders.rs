//! The request's DataLoaders, created per request so batching (and any caching) never
//! crosses requests or users.

use std::time::Duration;

use async_graphql::dataloader::DataLoader;

use crate::auth::loaders::UserById;
use crate::carts::loaders::AvailableByProductId;
use crate::catalog::loaders::{
    CollectionById, FirstProductsByCollection, ProductById, ProductsCountByCollectionId,
    ReviewsByProductId,
};
use crate::customers::loaders::CustomerById;
use crate::db::DbPool;
use crate::error::AppError;
use crate::images::loaders::ImagesByProductId;
use crate::orders::loaders::ItemsByOrderId;

pub struct Loaders {
    pub product_by_id: DataLoader<ProductById>,
    pub collection_by_id: DataLoader<CollectionById>,
    pub products_count_by_collection: DataLoader<ProductsCountByCollectionId>,
    pub reviews_by_product: DataLoader<ReviewsByProductId>,
    pub first_products_by_collection: DataLoader<FirstProductsByCollection>,
    pub user_by_id: DataLoader<UserById>,
    pub customer_by_id: DataLoader<CustomerById>,
    pub available_by_product: DataLoader<AvailableByProductId>,
    pub items_by_order: DataLoader<ItemsByOrderId>,
    pub images_by_product: DataLoader<ImagesByProductId>,
}

pub use crate::db::group_by_key;

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

impl Loaders {
    /// Loaders that wait `window` after the first key before querying, so sibling
    /// resolvers of a list land in one batch.
    pub fn new(pool: &DbPool, window: Duration) -> Self {
        fn loader<T: Send + Sync + 'static>(inner: T, window: Duration) -> DataLoader<T> {
            DataLoader::new(inner, tokio::spawn).delay(window)
        }
        Self {
            product_by_id: loader(ProductById(pool.clone()), window),
            collection_by_id: loader(CollectionById(pool.clone()), window),
            products_count_by_collection: loader(ProductsCountByCollectionId(pool.clone()), window),
            reviews_by_product: loader(ReviewsByProductId(pool.clone()), window),
            first_products_by_collection: loader(FirstProductsByCollection(pool.clone()), window),
            user_by_id: loader(UserById(pool.clone()), window),
            customer_by_id: loader(CustomerById(pool.clone()), window),
            available_by_product: loader(AvailableByProductId(pool.clone()), window),
            items_by_order: loader(ItemsByOrderId(pool.clone()), window),
            images_by_product: loader(ImagesByProductId(pool.clone()), window),
        }
    }
}
