//! Test harness: the throwaway PostgreSQL cluster, per-test databases, the app under test
//! and request helpers.

pub mod db;
pub mod factories;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel_async::pooled_connection::{ManagerConfig, RecyclingMethod};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::FutureExt;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use storefront::db::{DbConn, DbPool};
use storefront::{AppState, build_app};
use tower::ServiceExt;

pub use db::TestDb;

/// Counts the SQL statements run through the app's pool.
#[derive(Clone, Default)]
pub struct StatementCounter(Arc<AtomicUsize>);

impl StatementCounter {
    pub fn reset(&self) {
        self.0.store(0, Ordering::SeqCst);
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

struct CountStatements(Arc<AtomicUsize>);

impl Instrumentation for CountStatements {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// The service on its own database. Fields drop in order: the pool before the database.
pub struct TestApp {
    pub router: Router,
    pub pool: DbPool,
    pub statements: StatementCounter,
    /// Last, so the database is dropped after the pool.
    pub _db: TestDb,
}

impl TestApp {
    pub async fn new() -> Self {
        let db = TestDb::create().await;
        let statements = StatementCounter::default();
        let counter = statements.0.clone();
        let mut config = ManagerConfig::default();
        config.recycling_method = RecyclingMethod::Fast;
        config.custom_setup = Box::new(move |url| {
            let counter = counter.clone();
            async move {
                let mut conn = AsyncPgConnection::establish(url).await?;
                conn.set_instrumentation(CountStatements(counter));
                Ok(conn)
            }
            .boxed()
        });
        let pool = storefront::db::create_pool_with_config(&db.url, 5, config)
            .unwrap_or_else(|e| panic!("test pool: {e:#}"));
        // A wide batch window keeps batching deterministic on a busy 2-core machine
        // (debug builds resolve a 100-row page slower than the 1 ms default).
        let state =
            AppState::new(pool.clone()).with_batch_window(std::time::Duration::from_millis(25));
        let router = build_app(state);
        Self {
            router,
            pool,
            statements,
            _db: db,
        }
    }

    /// A connection for factories and direct checks.
    pub async fn conn(&self) -> DbConn {
        self.pool
            .get()
            .await
            .unwrap_or_else(|e| panic!("test connection: {e}"))
    }

    /// Sends a raw request through the router.
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .unwrap_or_else(|e| match e {});
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .into_body()
            .collect()
            .await
            .unwrap_or_else(|e| panic!("response body: {e}"))
            .to_bytes();
        (status, headers, body)
    }

    /// POSTs a GraphQL operation as JSON and returns the response document.
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let request = Request::post("/graphql")
            .header("content-type", "application/json")
            .body(Body::from(
                json!({ "query": query, "variables": variables }).to_string(),
            ))
            .unwrap_or_else(|e| panic!("request: {e}"));
        let (status, _, body) = self.send(request).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
        serde_json::from_slice(&body).unwrap_or_else(|e| panic!("JSON response: {e}"))
    }

    /// Runs `query` and returns its `data`, failing the test on any error.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        let response = self.gql(query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response:#}"
        );
        response["data"].clone()
    }

    /// Counts the statements one operation runs.
    pub async fn count_statements(&self, query: &str, variables: Value) -> usize {
        self.statements.reset();
        let _ = self.data(query, variables).await;
        self.statements.get()
    }
}

/// The single error of `response`, checked for its code and status.
pub fn error<'a>(response: &'a Value, code: &str, status: u16) -> &'a Value {
    let errors = response["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("expected errors in {response:#}"));
    assert_eq!(errors.len(), 1, "{response:#}");
    let error = &errors[0];
    assert_eq!(error["extensions"]["code"], code, "{response:#}");
    assert_eq!(error["extensions"]["status"], status, "{response:#}");
    error
}

/// The `extensions.fields` map of a BAD_USER_INPUT response.
pub fn field_errors(response: &Value) -> Value {
    error(response, "BAD_USER_INPUT", 400)["extensions"]["fields"].clone()
}
