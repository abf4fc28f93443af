//! Reading the job queue (graphile_worker's tables) for staff.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Nullable, SmallInt, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::SCHEMA;
use crate::error::AppResult;

/// A job as staff see it; `state` is `QUEUED`, `SCHEDULED`, `RUNNING` or `FAILED`.
#[derive(QueryableByName, Debug, Clone)]
pub struct JobRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = SmallInt)]
    pub attempts: i16,
    #[diesel(sql_type = SmallInt)]
    pub max_attempts: i16,
    #[diesel(sql_type = Nullable<Text>)]
    pub last_error: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub run_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    pub updated_at: DateTime<Utc>,
}

/// Every job with its state, as a subquery `q`.
fn jobs_with_state() -> String {
    format!(
        "(SELECT j.id, t.identifier AS kind, \
         CASE WHEN j.attempts >= j.max_attempts THEN 'FAILED' \
              WHEN j.locked_at IS NOT NULL THEN 'RUNNING' \
              WHEN j.run_at > now() THEN 'SCHEDULED' ELSE 'QUEUED' END AS state, \
         j.attempts, j.max_attempts, j.last_error, j.created_at, j.run_at, j.updated_at \
         FROM {SCHEMA}._private_jobs j JOIN {SCHEMA}._private_tasks t ON t.id = j.task_id) q"
    )
}

/// A newest-first page of jobs in `state` (all when `None`): `limit + 1` rows older than
/// `older_than` or newer than `newer_than`.
pub async fn page(
    conn: &mut AsyncPgConnection,
    state: Option<&str>,
    limit: i64,
    older_than: Option<i64>,
    newer_than: Option<i64>,
) -> AppResult<Vec<JobRow>> {
    let order = if newer_than.is_some() { "ASC" } else { "DESC" };
    let sql = format!(
        "SELECT * FROM {} WHERE ($1::text IS NULL OR q.state = $1) \
         AND ($2::bigint IS NULL OR q.id < $2) AND ($3::bigint IS NULL OR q.id > $3) \
         ORDER BY q.id {order} LIMIT $4",
        jobs_with_state()
    );
    Ok(diesel::sql_query(sql)
        .bind::<Nullable<Text>, _>(state)
        .bind::<Nullable<BigInt>, _>(older_than)
        .bind::<Nullable<BigInt>, _>(newer_than)
        .bind::<BigInt, _>(limit + 1)
        .load(conn)
        .await?)
}

#[derive(QueryableByName)]
struct One {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = Bool)]
    found: bool,
}

/// How many jobs are in `state` (all when `None`).
pub async fn count(conn: &mut AsyncPgConnection, state: Option<&str>) -> AppResult<i64> {
    let sql = format!(
        "SELECT count(*) AS n FROM {} WHERE ($1::text IS NULL OR q.state = $1)",
        jobs_with_state()
    );
    let row: One = diesel::sql_query(sql)
        .bind::<Nullable<Text>, _>(state)
        .get_result(conn)
        .await?;
    Ok(row.n)
}

/// Whether jobs in `state` newer (`newer = true`) or older than `id` exist.
pub async fn any_beyond(
    conn: &mut AsyncPgConnection,
    state: Option<&str>,
    id: i64,
    newer: bool,
) -> AppResult<bool> {
    let comparison = if newer { ">" } else { "<" };
    let sql = format!(
        "SELECT EXISTS (SELECT 1 FROM {} WHERE ($1::text IS NULL OR q.state = $1) \
         AND q.id {comparison} $2) AS found",
        jobs_with_state()
    );
    let row: Exists = diesel::sql_query(sql)
        .bind::<Nullable<Text>, _>(state)
        .bind::<BigInt, _>(id)
        .get_result(conn)
        .await?;
    Ok(row.found)
}
