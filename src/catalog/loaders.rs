//! DataLoaders of the catalogue: one per relation, created per request.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::model::{CollectionRow, PRODUCT_KIND, ProductRow, ReviewRow};
use super::repo::{self, ProductOrdering};
use crate::db::group_by_key;
use crate::db::pagination::{Direction, PageRequest};
use crate::error::AppError;
use crate::graphql::loaders::{batch_loader, pool_loader};
use crate::promotions::model::PromotionRow;
use crate::tags::model::TaggedRow;

batch_loader!(
    /// `Product.collection`, `OrderItem.product`, `Collection.featuredProduct`, …
    ProductById => ProductRow, repo::products_by_ids, one by id
);

batch_loader!(
    /// `Product.collection`.
    CollectionById => CollectionRow, repo::collections_by_ids, one by id
);

batch_loader!(
    /// `Product.reviews` (empty list for products without reviews).
    ReviewsByProductId => Vec<ReviewRow>, repo::reviews_by_product_ids, many by product_id
);

/// The first (or last) page of `Collection.products` when no cursor is given.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CollectionPageKey {
    pub collection_id: i64,
    pub ordering: ProductOrdering,
    pub direction: Direction,
    pub limit: i64,
}

impl CollectionPageKey {
    /// The key of collection `collection_id`'s page for `page` in `ordering`, when that
    /// is a first (or last) page; `None` after a cursor (such a page reads on its own).
    pub fn first_page(
        collection_id: i64, ordering: &ProductOrdering, page: &PageRequest,
    ) -> Option<Self> {
        let first = page.after.is_none() && page.before.is_none();
        first.then(|| Self {
            collection_id,
            ordering: ordering.clone(),
            direction: page.direction,
            limit: page.limit,
        })
    }
}

pool_loader!(
    /// Batches the first page of every collection in a list into one windowed query per
    /// distinct page shape (normally exactly one).
    FirstProductsByCollection
);

impl Loader<CollectionPageKey> for FirstProductsByCollection {
    type Value = Vec<ProductRow>;
    type Error = AppError;

    async fn load(
        &self, keys: &[CollectionPageKey],
    ) -> Result<HashMap<CollectionPageKey, Vec<ProductRow>>, AppError> {
        let mut shapes: HashMap<(ProductOrdering, Direction, i64), Vec<i64>> = HashMap::new();
        for key in keys {
            shapes
                .entry((key.ordering.clone(), key.direction, key.limit))
                .or_default()
                .push(key.collection_id);
        }
        let mut conn = self.0.get().await?;
        let mut pages = HashMap::new();
        for ((ordering, direction, limit), ids) in shapes {
            let rows =
                repo::first_products_by_collection(&mut conn, &ids, &ordering, direction, limit)
                    .await?;
            let grouped = group_by_key(&ids, rows, |r| r.collection_id);
            for (collection_id, rows) in grouped {
                let key = CollectionPageKey {
                    collection_id,
                    ordering: ordering.clone(),
                    direction,
                    limit,
                };
                pages.insert(key, rows);
            }
        }
        Ok(pages)
    }
}

batch_loader!(
    /// `Product.tags` (empty list for untagged products).
    TagsByProductId => Vec<TaggedRow>, tags_of_products, many by object_id
);

/// The tags of products `ids` (the loader's batch).
async fn tags_of_products(
    conn: &mut diesel_async::AsyncPgConnection, ids: &[i64],
) -> Result<Vec<TaggedRow>, AppError> {
    crate::tags::repo::tags_of(conn, PRODUCT_KIND, ids).await
}

pool_loader!(
    /// `Product.likesCount`.
    LikesByProductId
);

impl Loader<i64> for LikesByProductId {
    type Value = i64;
    type Error = AppError;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, i64>, AppError> {
        let mut conn = self.0.get().await?;
        let counts = crate::likes::repo::counts(&mut conn, PRODUCT_KIND, ids).await?;
        // Every key gets a value (0 without likes), so a primed page asks for none again.
        let mut all: HashMap<i64, i64> = ids.iter().map(|id| (*id, 0)).collect();
        all.extend(counts);
        Ok(all)
    }
}

pool_loader!(
    /// `Product.viewerHasLiked`, keyed by `(user id, product id)`.
    LikedByUser
);

impl Loader<(i64, i64)> for LikedByUser {
    type Value = bool;
    type Error = AppError;

    async fn load(&self, keys: &[(i64, i64)]) -> Result<HashMap<(i64, i64), bool>, AppError> {
        let users: Vec<i64> = keys.iter().map(|(user, _)| *user).collect();
        let products: Vec<i64> = keys.iter().map(|(_, product)| *product).collect();
        let mut conn = self.0.get().await?;
        let liked =
            crate::likes::repo::liked_by(&mut conn, PRODUCT_KIND, &users, &products).await?;
        let liked: std::collections::HashSet<(i64, i64)> = liked.into_iter().collect();
        Ok(keys.iter().map(|key| (*key, liked.contains(key))).collect())
    }
}

pool_loader!(
    /// `Product.promotions` (empty list for products without any).
    PromotionsByProductId
);

impl Loader<i64> for PromotionsByProductId {
    type Value = Vec<PromotionRow>;
    type Error = AppError;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<PromotionRow>>, AppError> {
        let mut conn = self.0.get().await?;
        let rows = crate::promotions::repo::of_products(&mut conn, ids).await?;
        let grouped = group_by_key(ids, rows, |(product, _)| *product);
        Ok(grouped
            .into_iter()
            .map(|(id, rows)| (id, rows.into_iter().map(|(_, row)| row).collect()))
            .collect())
    }
}

batch_loader!(
    /// `Product.unitsSold` (staff only; 0 for products never sold).
    UnitsSoldByProductId => i64, crate::reports::repo::units_sold
);
