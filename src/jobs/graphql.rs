//! Staff visibility of the queue (the notes' Flower) and `notifyCustomers`.

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Integer, Nullable, SmallInt, Text, Timestamptz};
use diesel_async::RunQueryDsl;

use super::{SCHEMA, enqueue};
use crate::error::{AppError, AppResult};
use crate::graphql::context::ContextExt;
use crate::graphql::guards::Staff;
use crate::validation;

/// Where a job is. Completed jobs leave the queue.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    /// Waiting for its time (a delayed job, or a retry after a failure).
    Scheduled,
    /// A worker has it.
    Running,
    /// Used up its attempts; kept for inspection.
    Failed,
}

/// A job in the queue.
#[derive(SimpleObject, Debug, Clone)]
pub struct Job {
    pub id: i64,
    /// The task, e.g. `send_order_confirmation`.
    pub kind: String,
    pub state: JobState,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub run_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A queued job's receipt.
#[derive(SimpleObject, Debug, Clone)]
pub struct JobReceipt {
    pub id: i64,
    pub state: JobState,
}

#[derive(QueryableByName)]
struct JobRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = SmallInt)]
    attempts: i16,
    #[diesel(sql_type = SmallInt)]
    max_attempts: i16,
    #[diesel(sql_type = Nullable<Text>)]
    last_error: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    run_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
}

fn state_of(text: &str) -> JobState {
    match text {
        "FAILED" => JobState::Failed,
        "RUNNING" => JobState::Running,
        "SCHEDULED" => JobState::Scheduled,
        _ => JobState::Queued,
    }
}

fn state_name(state: JobState) -> &'static str {
    match state {
        JobState::Failed => "FAILED",
        JobState::Running => "RUNNING",
        JobState::Scheduled => "SCHEDULED",
        JobState::Queued => "QUEUED",
    }
}

#[derive(Default)]
pub struct JobsQuery;

#[Object]
impl JobsQuery {
    /// Jobs in the queue, newest first (staff only). `after` is the last id seen.
    #[graphql(
        guard = "Staff",
        directive = crate::graphql::limits::list_size::apply(None, crate::graphql::limits::first_only(), None, Some(false))
    )]
    async fn jobs(
        &self,
        ctx: &Context<'_>,
        state: Option<JobState>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> AppResult<Vec<Job>> {
        let first = first.clamp(0, 100);
        let after = match after {
            None => i64::MAX,
            Some(cursor) => cursor
                .trim()
                .parse::<i64>()
                .map_err(|_| AppError::bad_input("after", "Invalid cursor."))?,
        };
        let sql = format!(
            "SELECT * FROM (SELECT j.id, t.identifier AS kind, \
             CASE WHEN j.attempts >= j.max_attempts THEN 'FAILED' \
                  WHEN j.locked_at IS NOT NULL THEN 'RUNNING' \
                  WHEN j.run_at > now() THEN 'SCHEDULED' ELSE 'QUEUED' END AS state, \
             j.attempts, j.max_attempts, j.last_error, j.created_at, j.run_at, j.updated_at \
             FROM {SCHEMA}._private_jobs j JOIN {SCHEMA}._private_tasks t ON t.id = j.task_id) q \
             WHERE q.id < $1 AND ($2::text IS NULL OR q.state = $2) ORDER BY q.id DESC LIMIT $3"
        );
        let mut conn = ctx.conn().await?;
        let rows: Vec<JobRow> = diesel::sql_query(sql)
            .bind::<BigInt, _>(after)
            .bind::<Nullable<Text>, _>(state.map(state_name))
            .bind::<Integer, _>(first)
            .load(&mut conn)
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| Job {
                id: r.id,
                kind: r.kind,
                state: state_of(&r.state),
                attempts: i32::from(r.attempts),
                max_attempts: i32::from(r.max_attempts),
                last_error: r.last_error,
                created_at: r.created_at,
                run_at: r.run_at,
                updated_at: r.updated_at,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct JobsMutation;

#[Object]
impl JobsMutation {
    /// Mails every customer in the background and answers at once (staff only).
    #[graphql(guard = "Staff")]
    async fn notify_customers(&self, ctx: &Context<'_>, message: String) -> AppResult<JobReceipt> {
        let mut errors = crate::error::FieldErrors::new();
        let message = validation::char_field(&mut errors, "message", &message, Some(10_000), false);
        errors.into_result()?;
        let mut conn = ctx.conn().await?;
        let id = enqueue(
            &mut conn,
            super::tasks::NOTIFY_CUSTOMERS,
            serde_json::json!({ "message": message.unwrap_or_default() }),
            Some(5),
        )
        .await?;
        Ok(JobReceipt {
            id,
            state: JobState::Queued,
        })
    }
}
