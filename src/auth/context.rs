//! The caller, as resolvers see it: the authenticated [`Viewer`] the transport attached
//! to the request, and the token and password services.

use std::sync::Arc;

use async_graphql::Context;

use super::Auth;
use super::viewer::Viewer;
use crate::error::AppError;
use crate::graphql::context::ContextExt;

pub trait ViewerExt {
    /// Token keys and the password hasher (schema-level data).
    fn auth(&self) -> Result<&Auth, AppError>;
    /// The authenticated caller, or `UNAUTHENTICATED`.
    fn viewer(&self) -> Result<&Viewer, AppError>;
    /// The caller when authenticated.
    fn viewer_opt(&self) -> Option<&Viewer>;
}

impl ViewerExt for Context<'_> {
    fn auth(&self) -> Result<&Auth, AppError> {
        self.shared::<Auth>()
    }

    fn viewer(&self) -> Result<&Viewer, AppError> {
        self.viewer_opt().ok_or(AppError::Unauthenticated)
    }

    fn viewer_opt(&self) -> Option<&Viewer> {
        self.data_opt::<Arc<Viewer>>().map(AsRef::as_ref)
    }
}
