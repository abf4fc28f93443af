//! DataLoaders of product images.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::model::ProductImageRow;
use super::repo;
use crate::db::DbPool;
use crate::db::group_by_key;
use crate::error::AppError;

/// `Product.images` (empty for products without images).
pub struct ImagesByProductId(pub DbPool);

impl Loader<i64> for ImagesByProductId {
    type Value = Vec<ProductImageRow>;
    type Error = AppError;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<ProductImageRow>>, AppError> {
        let mut conn = self.0.get().await?;
        let rows = repo::for_products(&mut conn, ids).await?;
        Ok(group_by_key(ids, rows, |r| r.product_id))
    }
}
