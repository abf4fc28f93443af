//! Rows of the audit log.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::audit_log;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log, check_for_backend(diesel::pg::Pg))]
pub struct AuditRow {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target_type: String,
    pub target_id: i64,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Who did it, and in which request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub request_id: Option<String>,
}
