//! `auditLog` (superusers only), a Relay connection, newest first.

use async_graphql::{Context, Object};
use storefront_macros::paged;

use super::model::AuditRow;
use super::repo;
use crate::auth::guards::Superuser;
use crate::db::pagination::read_page;
use crate::error::AppResult;
use crate::graphql::context::ContextExt;
use crate::graphql::pagination::{Connection, Counter, ID_DESC, PageArgs, PageRequest};

/// One recorded change (the row is the API type).
pub type AuditEntry = AuditRow;

#[derive(Default)]
pub struct AuditQuery;

#[paged]
#[Object]
impl AuditQuery {
    /// Privilege changes, (de)activations and order changes, newest first (superusers).
    #[graphql(guard = "Superuser")]
    async fn audit_log(
        &self, ctx: &Context<'_>, #[graphql(default = 20)] page: PageArgs,
    ) -> AppResult<Connection<AuditEntry>> {
        let page = PageRequest::new(page, ID_DESC)?;
        let mut conn = ctx.conn().await?;
        let rows = read_page(&mut conn, &repo::WHOLE_LOG, &page).await?;
        let counter = Counter::new(|mut conn| async move { repo::count(&mut conn).await });
        Ok(Connection::from_keyset(rows, &page, ID_DESC, |row| row, counter))
    }
}
