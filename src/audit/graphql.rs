//! `auditLog` (superusers only), a Relay connection, newest first.

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::model::AuditRow;
use super::repo;
use crate::auth::guards::Superuser;
use crate::error::AppResult;
use crate::graphql::context::ContextExt;
use crate::graphql::pagination::{self, Connection, Counter, ID_DESC, IdBounds, PageRequest};

/// One recorded change.
#[derive(SimpleObject, Clone)]
pub struct AuditEntry {
    pub id: i64,
    /// The user who made the change (null once that user is deleted).
    pub actor_id: Option<i64>,
    /// `set_staff`, `grant_permission`, `deactivate_user`, `update_order`, …
    pub action: String,
    /// `user`, `group` or `order`.
    pub target_type: String,
    pub target_id: i64,
    /// The `x-request-id` of the request that made it.
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<AuditRow> for AuditEntry {
    fn from(row: AuditRow) -> Self {
        Self {
            id: row.id,
            actor_id: row.actor_id,
            action: row.action,
            target_type: row.target_type,
            target_id: row.target_id,
            request_id: row.request_id,
            created_at: row.created_at,
        }
    }
}

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
        let bounds = IdBounds::of(&page)?;
        let mut conn = ctx.conn().await?;
        let other_side = match bounds.probe {
            Some((id, newer)) => repo::any_beyond(&mut conn, id, newer).await?,
            None => false,
        };
        let rows = repo::page(&mut conn, page.limit, bounds.older_than, bounds.newer_than).await?;
        let rows = rows.into_iter().map(AuditEntry::from).collect();
        let (edges, page_info) = pagination::id_desc_page(rows, &page, other_side, |e| e.id);
        let counter = Counter::new(|mut conn| async move { repo::count(&mut conn).await });
        Ok(Connection::new(edges, page_info, counter))
    }
}
