//! DataLoaders of the identity domain.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;

use super::model::UserRow;
use super::repo;
use crate::db::DbPool;
use crate::error::AppError;

/// `Customer.user` and other links to users.
pub struct UserById(pub DbPool);

impl Loader<i64> for UserById {
    type Value = UserRow;
    type Error = AppError;

    async fn load(&self, ids: &[i64]) -> Result<HashMap<i64, UserRow>, AppError> {
        let mut conn = self.0.get().await?;
        let rows = repo::users_by_ids(&mut conn, ids).await?;
        Ok(rows.into_iter().map(|row| (row.id, row)).collect())
    }
}
