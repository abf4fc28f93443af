//! DataLoaders of product images.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::model::ProductImageRow;
use super::repo;
use crate::db::DbPool;
use crate::error::AppError;

/// `Product.images` (empty for products without images).
pub struct ImagesByProductId(pub DbPool);

impl Loader<i64> for ImagesByProductId {
    type Value = Vec<ProductImageRow>;
    type Error = AppError;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<ProductImageRow>>, AppError> {
        let mut conn = self.0.get().await?;
        let mut grouped: HashMap<i64, Vec<ProductImageRow>> =
            ids.iter().map(|id| (*id, Vec::new())).collect();
        for row in repo::for_products(&mut conn, ids).await? {
            grouped.entry(row.product_id).or_default().push(row);
        }
        Ok(grouped)
    }
}
