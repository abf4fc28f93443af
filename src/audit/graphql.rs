//! `auditLog` (superusers only), a Relay connection, newest first.

use async_graphql::{Context, Object};

use super::model::AuditRow;
use super::repo;
use crate::auth::guards::Superuser;
use crate::db::pagination::read_page;
use crate::error::AppResult;
use crate::graphql::context::ContextExt;
use crate::graphql::pagination::{Connection, Counter, ID_DESC, PageRequest};

/// One recorded change (the row is the API type).
pub type AuditEntry = AuditRow;

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Privilege changes, (de)activations and order changes, newest first (superusers).
    #[graphql(
        guard = "Superuser",
        directive = crate::graphql::limits::list_size::apply(None, crate::graphql::limits::first_or_last(), crate::graphql::limits::page_fields(), Some(false))
    )]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> AppResult<Connection<AuditEntry>> {
        let page = PageRequest::new(first, after, last, before, ID_DESC)?;
        let mut conn = ctx.conn().await?;
        let rows = read_page(&mut conn, &repo::WholeLog, &page).await?;
        let counter = Counter::new(|mut conn| async move { repo::count(&mut conn).await });
        Ok(Connection::from_keyset(
            rows,
            &page,
            ID_DESC,
            |row| row,
            counter,
        ))
    }
}
