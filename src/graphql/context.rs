//! Typed access to what a resolver needs from the context, as `AppError`s (never panics).

use async_graphql::Context;

use std::sync::Arc;

use crate::auth::Auth;
use crate::auth::viewer::Viewer;
use crate::db::{DbConn, DbPool};
use crate::error::AppError;
use crate::graphql::loaders::Loaders;

pub trait ContextExt {
    /// The database pool (schema-level data).
    fn pool(&self) -> Result<&DbPool, AppError>;
    /// The request's DataLoaders.
    fn loaders(&self) -> Result<&Loaders, AppError>;
    /// Token keys and the password hasher (schema-level data).
    fn auth(&self) -> Result<&Auth, AppError>;
    /// Service tunables.
    fn settings(&self) -> Result<&crate::app::Settings, AppError>;
    /// The authenticated caller, or `UNAUTHENTICATED`.
    fn viewer(&self) -> Result<&Viewer, AppError>;
    /// The caller when authenticated.
    fn viewer_opt(&self) -> Option<&Viewer>;
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

    fn loaders(&self) -> Result<&Loaders, AppError> {
        self.data::<Loaders>()
            .map_err(|_| AppError::internal(anyhow::anyhow!("no loaders in the request")))
    }

    fn auth(&self) -> Result<&Auth, AppError> {
        self.data::<Auth>()
            .map_err(|_| AppError::internal(anyhow::anyhow!("no auth services in the schema")))
    }

    fn settings(&self) -> Result<&crate::app::Settings, AppError> {
        self.data::<crate::app::Settings>()
            .map_err(|_| AppError::internal(anyhow::anyhow!("no settings in the schema")))
    }

    fn viewer(&self) -> Result<&Viewer, AppError> {
        self.viewer_opt().ok_or(AppError::Unauthenticated)
    }

    fn viewer_opt(&self) -> Option<&Viewer> {
        self.data_opt::<Arc<Viewer>>().map(AsRef::as_ref)
    }

    fn client_addr(&self) -> &str {
        self.data_opt::<crate::http::ClientAddr>()
            .map_or("unknown", |c| c.0.as_str())
    }

    fn request_id(&self) -> Option<&str> {
        self.data_opt::<crate::http::RequestId>()
            .map(|id| id.0.as_str())
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
