//! DataLoaders of the orders domain.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::model::OrderItemRow;
use super::repo;
use crate::db::DbPool;
use crate::error::AppError;

/// `Order.items`.
pub struct ItemsByOrderId(pub DbPool);

impl Loader<i64> for ItemsByOrderId {
    type Value = Vec<OrderItemRow>;
    type Error = AppError;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, Vec<OrderItemRow>>, AppError> {
        let mut conn = self.0.get().await?;
        repo::items_by_order_ids(&mut conn, ids).await
    }
}
