//! Writing and paging the audit log.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::model::{Actor, AuditRow};

use crate::db::pagination::{IdRow, WholeTable};
use crate::db::schema::audit_log;
use crate::error::AppResult;

/// Records `action` on `(target_type, target_id)` by `actor`, inside the caller's
/// transaction.
pub async fn record(
    conn: &mut AsyncPgConnection, actor: &Actor, action: &str, target_type: &str, target_id: i64,
) -> AppResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_id.eq(actor.user_id),
            audit_log::action.eq(action),
            audit_log::target_type.eq(target_type),
            audit_log::target_id.eq(target_id),
            audit_log::request_id
                .eq(actor.request_id.as_deref().map(|id| id.chars().take(64).collect::<String>())),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The whole log, newest first (by id).
pub const WHOLE_LOG: WholeTable<AuditRow> = WholeTable::new(
    "audit_log",
    "id, actor_id, action, target_type, target_id, request_id, created_at",
    true,
);

impl IdRow for AuditRow {
    fn id(&self) -> i64 {
        self.id
    }
}

pub async fn count(conn: &mut AsyncPgConnection) -> AppResult<i64> {
    Ok(audit_log::table.count().get_result(conn).await?)
}
