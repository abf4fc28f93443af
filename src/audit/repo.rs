//! Writing and paging the audit log.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::model::{Actor, AuditRow};
use crate::db::schema::audit_log;
use crate::error::AppResult;

/// Records `action` on `(target_type, target_id)` by `actor`, inside the caller's
/// transaction.
pub async fn record(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    action: &str,
    target_type: &str,
    target_id: i64,
) -> AppResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_id.eq(actor.user_id),
            audit_log::action.eq(action),
            audit_log::target_type.eq(target_type),
            audit_log::target_id.eq(target_id),
            audit_log::request_id.eq(actor
                .request_id
                .as_deref()
                .map(|id| id.chars().take(64).collect::<String>())),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// A page of entries, newest first: `limit` rows after (older than) or before (newer
/// than) an id; `limit + 1` are read to tell whether more exist.
pub async fn page(
    conn: &mut AsyncPgConnection,
    limit: i64,
    older_than: Option<i64>,
    newer_than: Option<i64>,
) -> AppResult<Vec<AuditRow>> {
    let mut query = audit_log::table
        .select(AuditRow::as_select())
        .limit(limit + 1)
        .into_boxed();
    if let Some(id) = older_than {
        query = query.filter(audit_log::id.lt(id));
    }
    if let Some(id) = newer_than {
        query = query
            .filter(audit_log::id.gt(id))
            .order(audit_log::id.asc());
    } else {
        query = query.order(audit_log::id.desc());
    }
    Ok(query.load(conn).await?)
}

/// Whether entries newer (`newer = true`) or older than `id` exist.
pub async fn any_beyond(conn: &mut AsyncPgConnection, id: i64, newer: bool) -> AppResult<bool> {
    let query = if newer {
        audit_log::table.filter(audit_log::id.gt(id)).into_boxed()
    } else {
        audit_log::table.filter(audit_log::id.lt(id)).into_boxed()
    };
    Ok(diesel::select(diesel::dsl::exists(query))
        .get_result(conn)
        .await?)
}

pub async fn count(conn: &mut AsyncPgConnection) -> AppResult<i64> {
    Ok(audit_log::table.count().get_result(conn).await?)
}
