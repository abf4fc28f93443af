//! DataLoaders of the customer domain.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::model::CustomerRow;
use super::repo;
use crate::db::DbPool;
use crate::error::AppError;

/// `Order.customer` and other links to customers.
pub struct CustomerById(pub DbPool);

impl Loader<i64> for CustomerById {
    type Value = CustomerRow;
    type Error = AppError;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, CustomerRow>, AppError> {
        let mut conn = self.0.get().await?;
        let rows = repo::customers_by_ids(&mut conn, ids).await?;
        Ok(rows.into_iter().map(|row| (row.id, row)).collect())
    }
}
