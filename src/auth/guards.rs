//! Authorisation guards, in one module.
//!
//! Anonymous callers get `UNAUTHENTICATED`, authenticated callers without the right get
//! `FORBIDDEN`; a guard runs before its resolver, so a refused mutation writes nothing.

use async_graphql::{Context, Guard};

use super::context::ViewerExt;
use crate::error::AppError;

/// `IsAuthenticated`.
pub struct Authenticated;

impl Guard for Authenticated {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        ctx.viewer()?;
        Ok(())
    }
}

/// `IsAdminUser`: authenticated and `is_staff`.
pub struct Staff;

impl Guard for Staff {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        if ctx.viewer()?.is_staff() { Ok(()) } else { Err(AppError::Forbidden.into()) }
    }
}

/// An active superuser: privilege administration and the audit log.
pub struct Superuser;

impl Guard for Superuser {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let viewer = ctx.viewer()?;
        if viewer.user.is_superuser && viewer.user.is_active {
            Ok(())
        } else {
            Err(AppError::Forbidden.into())
        }
    }
}

/// `IsAdminOrReadOnly` for catalogue writes: reads are open, every write is staff-only.
pub struct CatalogWrite;

impl Guard for CatalogWrite {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        Staff.check(ctx).await
    }
}

/// `user.has_perm("<app_label>.<codename>")`.
pub struct HasPerm(pub &'static str);

impl Guard for HasPerm {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        if ctx.viewer()?.has_perm(self.0).await? { Ok(()) } else { Err(AppError::Forbidden.into()) }
    }
}
