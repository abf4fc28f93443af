//! Writing and paging the audit log.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::model::{Actor, AuditRow};
use serde_json::Value as Json;

use crate::db::pagination::{KeysetSource, id_binds};
use crate::db::schema::audit_log;
use crate::db::sql::{Bind, Sql};
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
pub struct WholeLog;

impl KeysetSource for WholeLog {
    type Row = AuditRow;

    fn columns(&self) -> &str {
        "id, actor_id, action, target_type, target_id, request_id, created_at"
    }

    fn order(&self) -> Vec<(&'static str, bool)> {
        vec![("id", true)]
    }

    fn push_source(&self, sql: &mut Sql) {
        sql.push(" FROM audit_log WHERE TRUE");
    }

    fn binds(&self, keys: &[Json]) -> Option<Vec<Bind>> {
        id_binds(keys)
    }

    fn keys(&self, row: &AuditRow) -> Vec<Json> {
        vec![Json::from(row.id)]
    }
}

pub async fn count(conn: &mut AsyncPgConnection) -> AppResult<i64> {
    Ok(audit_log::table.count().get_result(conn).await?)
}
