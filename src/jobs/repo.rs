//! Reading the job queue (graphile_worker's tables) for staff.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, SmallInt, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use serde_json::Value as Json;

use super::SCHEMA;
use crate::db::pagination::KeysetSource;
use crate::db::sql::{Bind, Sql};
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

/// Every job with its state, as a subquery `q`: those in the queue, and the completed
/// ones the history keeps.
fn jobs_with_state() -> String {
    format!(
        "({} UNION ALL \
         SELECT h.job_id, h.task, 'COMPLETED', h.attempts, h.max_attempts, NULL, \
         h.created_at, h.run_at, h.completed_at FROM job_history h) q",
        queued_with_state()
    )
}

/// The jobs in the queue with their state (a `SELECT`, without the history).
fn queued_with_state() -> String {
    format!(
        "SELECT j.id, t.identifier AS kind, \
         CASE WHEN j.attempts >= j.max_attempts THEN 'FAILED' \
              WHEN j.locked_at IS NOT NULL THEN 'RUNNING' \
              WHEN j.run_at > now() THEN 'SCHEDULED' ELSE 'QUEUED' END AS state, \
         j.attempts, j.max_attempts, j.last_error, j.created_at, j.run_at, j.updated_at \
         FROM {SCHEMA}._private_jobs j JOIN {SCHEMA}._private_tasks t ON t.id = j.task_id"
    )
}

/// The jobs in a state (all when `None`), newest first (by id).
pub struct JobsIn(pub Option<&'static str>);

impl KeysetSource for JobsIn {
    type Row = JobRow;

    fn columns(&self) -> &str {
        "q.id, q.kind, q.state, q.attempts, q.max_attempts, q.last_error, q.created_at, \
         q.run_at, q.updated_at"
    }

    fn order(&self) -> Vec<(&'static str, bool)> {
        vec![("q.id", true)]
    }

    fn push_source(&self, sql: &mut Sql) {
        sql.push(&format!(" FROM {} WHERE TRUE", jobs_with_state()));
        if let Some(state) = self.0 {
            sql.push(" AND q.state = ").bind(Bind::Text(state.to_owned()));
        }
    }

    fn keys(&self, row: &JobRow) -> Vec<Json> {
        vec![Json::from(row.id)]
    }
}

#[derive(QueryableByName)]
struct One {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many jobs are in `state` (all when `None`).
pub async fn count(conn: &mut AsyncPgConnection, state: Option<&str>) -> AppResult<i64> {
    let sql = format!(
        "SELECT count(*) AS n FROM {} WHERE ($1::text IS NULL OR q.state = $1)",
        jobs_with_state()
    );
    let row: One = diesel::sql_query(sql).bind::<Nullable<Text>, _>(state).get_result(conn).await?;
    Ok(row.n)
}

/// How many jobs of the queue are in each state that has any (the history is not read).
pub async fn depth_by_state(conn: &mut AsyncPgConnection) -> AppResult<Vec<(String, i64)>> {
    #[derive(QueryableByName)]
    struct Depth {
        #[diesel(sql_type = Text)]
        state: String,
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let sql =
        format!("SELECT q.state, count(*) AS n FROM ({}) q GROUP BY q.state", queued_with_state());
    let rows: Vec<Depth> = diesel::sql_query(sql).load(conn).await?;
    Ok(rows.into_iter().map(|d| (d.state, d.n)).collect())
}

/// Keys whose values a stored payload never shows.
const SECRET_KEYS: [&str; 4] = ["token", "password", "secret", "code"];

/// `payload` with the value of every secret-looking key (at any depth) replaced.
pub fn scrubbed(payload: &Json) -> Json {
    match payload {
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(key, value)| {
                    let lower = key.to_ascii_lowercase();
                    let secret = SECRET_KEYS.iter().any(|s| lower.contains(s));
                    let value = if secret { Json::from("[scrubbed]") } else { scrubbed(value) };
                    (key.clone(), value)
                })
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(scrubbed).collect()),
        other => other.clone(),
    }
}

/// A completed job as the history keeps it.
#[derive(diesel::Insertable, Debug, Clone)]
#[diesel(table_name = crate::db::schema::job_history)]
pub struct Completed {
    pub job_id: i64,
    pub task: String,
    pub payload: Json,
    pub attempts: i16,
    pub max_attempts: i16,
    pub created_at: DateTime<Utc>,
    pub run_at: DateTime<Utc>,
}

/// Keeps a completed job in the history (once: a job id is recorded at most once).
pub async fn record_completed(conn: &mut AsyncPgConnection, job: &Completed) -> AppResult<()> {
    use crate::db::schema::job_history;
    diesel::insert_into(job_history::table)
        .values(job)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets completed jobs older than `days`.
pub async fn prune_history(conn: &mut AsyncPgConnection, days: u32) -> AppResult<usize> {
    let deleted = diesel::sql_query(
        "DELETE FROM job_history WHERE completed_at < now() - make_interval(days => $1)",
    )
    .bind::<diesel::sql_types::Integer, _>(i32::try_from(days).unwrap_or(i32::MAX))
    .execute(conn)
    .await?;
    Ok(deleted)
}
