//! Typed access to what a resolver needs from the context, as `AppError`s (never panics).

use async_graphql::Context;

use std::any::Any;

use std::sync::Arc;

use crate::graphql::loaders::{Loaders, PoolLoader, RequestLoader};

use crate::db::{DbConn, DbPool};
use crate::error::AppError;

/// The request's id (`x-request-id`), in every log line and every error; the transports
/// attach it to each request.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The client's address as the transport saw it (see `crate::http` for trusted proxies).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientAddr(pub String);

pub trait ContextExt {
    /// The database pool (schema-level data).
    fn pool(&self) -> Result<&DbPool, AppError>;
    /// Schema- or request-level data of type `T` (a service, a policy), which the
    /// application attached when it built the schema or the request.
    fn shared<T: Any + Send + Sync>(&self) -> Result<&T, AppError>;
    /// The request's DataLoader over `L` (one per loader type, made on first use).
    fn loader<L: PoolLoader>(&self) -> Result<Arc<RequestLoader<L>>, AppError> {
        Ok(self.shared::<Loaders>()?.get::<L>())
    }
    /// The client's address (`unknown` when there is no socket, as in in-process tests).
    fn client_addr(&self) -> &str;
    /// The request's id, when the transport set one.
    fn request_id(&self) -> Option<&str>;
    /// Counts this request against a per-address throttle (`RATE_LIMITED` when over).
    fn throttle(&self, limit: crate::throttle::Limit) -> Result<(), AppError>;
    /// Counts this request against a throttle keyed by something else than the address.
    fn throttle_key(&self, limit: crate::throttle::Limit, key: &str) -> Result<(), AppError>;
    /// A pooled connection: take it late, give it back early (never hold it across a
    /// loader call).
    fn conn(&self) -> impl Future<Output = Result<DbConn, AppError>> + Send;
}

impl ContextExt for Context<'_> {
    fn pool(&self) -> Result<&DbPool, AppError> {
        self.data::<DbPool>()
            .map_err(|_| AppError::internal(anyhow::anyhow!("no database pool in the schema")))
    }

    fn shared<T: Any + Send + Sync>(&self) -> Result<&T, AppError> {
        self.data::<T>().map_err(|_| {
            AppError::internal(anyhow::anyhow!("no {} in the context", std::any::type_name::<T>()))
        })
    }

    fn client_addr(&self) -> &str {
        self.data_opt::<ClientAddr>().map_or("unknown", |c| c.0.as_str())
    }

    fn request_id(&self) -> Option<&str> {
        self.data_opt::<RequestId>().map(|id| id.0.as_str())
    }

    fn throttle(&self, limit: crate::throttle::Limit) -> Result<(), AppError> {
        self.throttle_key(limit, self.client_addr())
    }

    fn throttle_key(&self, limit: crate::throttle::Limit, key: &str) -> Result<(), AppError> {
        match self.data_opt::<crate::throttle::Throttles>() {
            Some(throttles) => throttles.check(limit, key),
            None => Ok(()),
        }
    }

    async fn conn(&self) -> Result<DbConn, AppError> {
        Ok(self.pool()?.get().await?)
    }
}
