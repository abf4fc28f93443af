//! Typed access to what a resolver needs from the context, as `AppError`s (never panics).

use async_graphql::Context;

use crate::db::{DbConn, DbPool};
use crate::error::AppError;
use crate::graphql::loaders::Loaders;

pub trait ContextExt {
    /// The database pool (schema-level data).
    fn pool(&self) -> Result<&DbPool, AppError>;
    /// The request's DataLoaders.
    fn loaders(&self) -> Result<&Loaders, AppError>;
    /// A pooled connection: take it late, give it back early (never hold it across a
    /// loader call).
    fn conn(&self) -> impl Future<Output = Result<DbConn, AppError>> + Send;
}

impl ContextExt for Context<'_> {
    fn pool(&self) -> Result<&DbPool, AppError> {
        self.data::<DbPool>()
            .map_err(|_| AppError::internal(anyhow::anyhow!("no database pool in the schema")))
    }

    fn loaders(&self) -> Result<&Loaders, AppError> {
        self.data::<Loaders>()
            .map_err(|_| AppError::internal(anyhow::anyhow!("no loaders in the request")))
    }

    async fn conn(&self) -> Result<DbConn, AppError> {
        Ok(self.pool()?.get().await?)
    }
}
