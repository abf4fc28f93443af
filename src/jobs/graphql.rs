//! Staff visibility of the queue (the notes' Flower) and `notifyCustomers`.

use super::enqueue;
use super::repo::{self, JobRow};
use crate::auth::guards::Staff;
use crate::db::pagination::read_page;
use crate::error::AppResult;
use crate::graphql::context::ContextExt;
use crate::graphql::pagination::{Connection, Counter, ID_DESC, PageArgs, PageRequest};
use crate::validation;
use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};
use storefront_macros::paged;

/// Where a job is. Completed jobs leave the queue, and stay listed for `JOB_HISTORY_DAYS`.
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
    /// Ran to completion (kept for `JOB_HISTORY_DAYS`).
    Completed,
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

fn state_of(text: &str) -> JobState {
    match text {
        "FAILED" => JobState::Failed,
        "COMPLETED" => JobState::Completed,
        "RUNNING" => JobState::Running,
        "SCHEDULED" => JobState::Scheduled,
        _ => JobState::Queued,
    }
}

fn state_name(state: JobState) -> &'static str {
    match state {
        JobState::Failed => "FAILED",
        JobState::Completed => "COMPLETED",
        JobState::Running => "RUNNING",
        JobState::Scheduled => "SCHEDULED",
        JobState::Queued => "QUEUED",
    }
}

impl From<JobRow> for Job {
    fn from(r: JobRow) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            state: state_of(&r.state),
            attempts: i32::from(r.attempts),
            max_attempts: i32::from(r.max_attempts),
            last_error: r.last_error,
            created_at: r.created_at,
            run_at: r.run_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Default)]
pub struct JobsQuery;

#[paged]
#[Object]
impl JobsQuery {
    /// Jobs in the queue, newest first, as a Relay connection (staff only).
    #[graphql(guard = "Staff")]
    async fn jobs(
        &self, ctx: &Context<'_>, state: Option<JobState>, #[graphql(default = 20)] page: PageArgs,
    ) -> AppResult<Connection<Job>> {
        let page = PageRequest::new(page, ID_DESC)?;
        let name = state.map(state_name);
        let mut conn = ctx.conn().await?;
        let rows = read_page(&mut conn, &repo::JobsIn(name), &page).await?;
        let counter =
            Counter::new(move |mut conn| async move { repo::count(&mut conn, name).await });
        Ok(Connection::from_keyset(rows, &page, ID_DESC, Job::from, counter))
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
            super::task::NOTIFY_CUSTOMERS,
            serde_json::json!({ "message": message.unwrap_or_default() }),
            Some(5),
        )
        .await?;
        Ok(JobReceipt { id, state: JobState::Queued })
    }
}
