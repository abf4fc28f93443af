//! Rows of the audit log.

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::audit_log;

/// One recorded change.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable, SimpleObject)]
#[diesel(table_name = audit_log, check_for_backend(diesel::pg::Pg))]
#[graphql(name = "AuditEntry")]
pub struct AuditRow {
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

/// Who did it, and in which request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub request_id: Option<String>,
}
