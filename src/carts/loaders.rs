//! DataLoaders of the cart domain.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use crate::db::DbPool;
use crate::error::AppError;

/// `Product.availableInventory`: inventory minus live holds.
pub struct AvailableByProductId(pub DbPool);

impl Loader<i64> for AvailableByProductId {
    type Value = i64;
    type Error = AppError;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, i64>, AppError> {
        let mut conn = self.0.get().await?;
        Ok(crate::inventory::available_inventory(&mut conn, ids)
            .await?
            .into_iter()
            .collect())
    }
}
