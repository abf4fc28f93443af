//! Test harness: the throwaway PostgreSQL cluster, per-test databases, the app under test
//! and request helpers.

pub mod browser;
pub mod db;
pub mod factories;
pub mod instance;
pub mod smtp;
pub mod ws;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel_async::pooled_connection::{ManagerConfig, RecyclingMethod};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use futures_util::FutureExt;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use storefront::app::AppOptions;
use storefront::auth::Auth;
use storefront::auth::jwt::JwtKeys;
use storefront::auth::model::UserRow;
use storefront::auth::password::Passwords;
use storefront::db::{DbConn, DbPool};
use storefront::{AppState, build_app};
use tower::ServiceExt;

pub use db::TestDb;

/// Counts the SQL statements run through the app's pool, and keeps their text.
#[derive(Clone, Default)]
pub struct StatementCounter(Arc<AtomicUsize>, Arc<std::sync::Mutex<Vec<String>>>);

impl StatementCounter {
    pub fn reset(&self) {
        self.0.store(0, Ordering::SeqCst);
        self.statements().clear();
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    /// How many statements since the last reset contain `text`.
    pub fn containing(&self, text: &str) -> usize {
        self.statements().iter().filter(|sql| sql.contains(text)).count()
    }

    fn statements(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.1.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

struct CountStatements(StatementCounter);

impl Instrumentation for CountStatements {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            self.0.0.fetch_add(1, Ordering::SeqCst);
            self.0.statements().push(query.to_string());
        }
    }
}

/// The service on its own database. Fields drop in order: the pool before the database.
pub struct TestApp {
    pub router: Router,
    /// The state behind the router (to begin a shutdown, build more routes, …).
    pub state: AppState,
    pub pool: DbPool,
    pub auth: Auth,
    /// This test's `MEDIA_ROOT` (removed with the app).
    pub media: MediaDir,
    /// `Authorization` value sent by [`gql`](Self::gql) and [`data`](Self::data).
    pub default_authorization: Option<String>,
    pub statements: StatementCounter,
    /// Last, so the database is dropped after the pool.
    pub db: TestDb,
}

impl TestApp {
    /// An app with the default options, but without the per-address throttles (every
    /// in-process request comes from the same unknown address; the throttle tests turn
    /// them on).
    pub async fn new() -> Self {
        Self::with_options(AppOptions {
            throttles: storefront::throttle::Throttles::new(false),
            ..AppOptions::default()
        })
        .await
    }

    /// An app with its own options (hold time, event subscribers, …) on a new database.
    pub async fn with_options(options: AppOptions) -> Self {
        let db = TestDb::create().await;
        let statements = StatementCounter::default();
        let counter = statements.clone();
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
        // Like the service: every pooled connection has the budget's statement timeout.
        let url = storefront::db::with_session_settings(&db.url, options.budget.statement_timeout);
        let pool = storefront::db::create_pool_with_config(&url, 5, config).expect("test pool");
        // A wide batch window keeps batching deterministic on a busy 2-core machine
        // (debug builds resolve a 100-row page slower than the 1 ms default).
        let auth = test_auth(Duration::from_secs(86_400));
        let media = MediaDir::new();
        let mut options = options;
        if options.batch_window.is_zero() {
            options.batch_window = Duration::from_millis(25);
        }
        options.settings.media.root = media.0.clone();
        let state = AppState::with_options(pool.clone(), auth.clone(), options);
        let router = build_app(state.clone());
        Self { router, state, pool, auth, media, default_authorization: None, statements, db }
    }

    /// An app for statement-count tests, with the service's own (short) batch window:
    /// a statement count that grew with the page would mean a list stopped priming its
    /// relations, which is what these tests must catch.
    pub async fn counting() -> Self {
        Self::with_options(AppOptions {
            batch_window: COUNTING_BATCH_WINDOW,
            throttles: storefront::throttle::Throttles::new(false),
            ..AppOptions::default()
        })
        .await
    }

    /// [`counting`](Self::counting) with staff as the default caller.
    pub async fn counting_as_staff() -> Self {
        let mut app = Self::counting().await;
        let (_, token) = app.user("staff", Kind::Staff).await;
        app.default_authorization = Some(format!("Bearer {token}"));
        app
    }

    /// An app whose default requests come from a staff user (for catalogue writes).
    pub async fn as_staff() -> Self {
        let mut app = Self::new().await;
        let (_, token) = app.user("staff", Kind::Staff).await;
        app.default_authorization = Some(format!("Bearer {token}"));
        app
    }

    /// A connection for factories and direct checks.
    pub async fn conn(&self) -> DbConn {
        self.pool.get().await.expect("test connection")
    }

    /// The single `n` (a `bigint`) of a counting statement, e.g.
    /// `SELECT count(*) AS n FROM users`.
    pub async fn count_sql(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.conn().await;
        let row: Count =
            diesel_async::RunQueryDsl::get_result(diesel::sql_query(sql), &mut conn).await.unwrap();
        row.n
    }

    /// One collection "C" with products of `(title, price, inventory)`; their ids in order.
    pub async fn catalogue(&self, specs: &[(&str, &str, i32)]) -> Vec<i64> {
        let mut conn = self.conn().await;
        factories::catalogue(&mut conn, specs).await
    }

    /// Runs one SQL statement directly (a schema change or bulk write a test needs).
    pub async fn sql(&self, sql: &str) {
        let mut conn = self.conn().await;
        diesel_async::RunQueryDsl::execute(diesel::sql_query(sql), &mut conn).await.unwrap();
    }

    /// Sends a raw request through the router.
    pub async fn send(&self, request: Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
        send_to(&self.router, request).await
    }

    /// A GET of `path` through the router with `headers` (name, value).
    pub async fn get(
        &self, path: &str, headers: &[(&str, &str)],
    ) -> (StatusCode, HeaderMap, Bytes) {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// The `Authorization` value `caller` sends.
    fn authorization(&self, caller: As<'_>) -> Option<String> {
        match caller {
            As::Default => self.default_authorization.clone(),
            As::Anon => None,
            As::Token(token) => Some(format!("Bearer {token}")),
            As::Header(value) => Some(value.to_owned()),
        }
    }

    /// An operation as `caller` from the client address `peer`: status, headers and body.
    pub async fn call(
        &self, caller: As<'_>, peer: &str, query: &str, variables: Value,
    ) -> (StatusCode, HeaderMap, Value) {
        let authorization = self.authorization(caller);
        post_graphql(&self.router, authorization.as_deref(), Some(peer), query, variables).await
    }

    /// POSTs a GraphQL operation as JSON, as `caller`, and returns the response document
    /// (which must come with `200 OK`).
    pub async fn gql(&self, caller: As<'_>, query: &str, variables: Value) -> Value {
        let authorization = self.authorization(caller);
        let (status, _, body) =
            post_graphql(&self.router, authorization.as_deref(), None, query, variables).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// The `data` of an operation run as `caller`, failing the test on any error.
    pub async fn data(&self, caller: As<'_>, query: &str, variables: Value) -> Value {
        let response = self.gql(caller, query, variables).await;
        assert!(response.get("errors").is_none(), "unexpected errors: {response:#}");
        response["data"].clone()
    }

    /// An access token for `user`, in a new session (as a sign-in would make).
    pub async fn token(&self, user: &UserRow) -> String {
        self.session(user).await.access
    }

    /// A new session of `user`: its access and refresh tokens.
    pub async fn session(&self, user: &UserRow) -> storefront::auth::sessions::Tokens {
        let mut conn = self.conn().await;
        storefront::auth::sessions::start(&mut conn, &self.auth.jwt, user.id)
            .await
            .expect("session")
    }

    /// A new user (through the repo, with its customer) and an access token.
    pub async fn user(&self, username: &str, kind: Kind) -> (UserRow, String) {
        let mut conn = self.conn().await;
        let user = factories::user(&mut conn, &self.auth, username, kind).await;
        drop(conn);
        let token = self.token(&user).await;
        (user, token)
    }

    /// Settings whose cart holds last `signed_in` and `guest` seconds.
    pub fn holds(signed_in: u64, guest: u64) -> storefront::app::Settings {
        let defaults = storefront::app::Settings::default();
        let hold = storefront::carts::model::HoldPolicy {
            signed_in: Duration::from_secs(signed_in),
            guest: Duration::from_secs(guest),
            ..defaults.hold
        };
        storefront::app::Settings { hold, ..defaults }
    }

    /// Several users at once, as [`TestApp::user`] makes them, in the order given.
    pub async fn users<const N: usize>(&self, users: [(&str, Kind); N]) -> [(UserRow, String); N] {
        let mut made = Vec::with_capacity(N);
        for (username, kind) in users {
            made.push(self.user(username, kind).await);
        }
        made.try_into().expect("one user for each name")
    }

    /// The one error of an operation run as `caller`, which must have `code` and the
    /// status that goes with it.
    pub async fn refused(
        &self, caller: As<'_>, query: &str, variables: Value, code: &str,
    ) -> Value {
        let status = match code {
            "UNAUTHENTICATED" => 401,
            "FORBIDDEN" => 403,
            "NOT_FOUND" => 404,
            "METHOD_NOT_ALLOWED" => 405,
            "RATE_LIMITED" => 429,
            "SERVICE_UNAVAILABLE" => 503,
            _ => 400,
        };
        let response = self.gql(caller, query, variables).await;
        error(&response, code, status).clone()
    }

    /// The field errors of an operation run as `caller`, which must be refused with
    /// `BAD_USER_INPUT`.
    pub async fn field_errors(&self, caller: As<'_>, query: &str, variables: Value) -> Value {
        let response = self.gql(caller, query, variables).await;
        field_errors(&response)
    }

    /// Counts the statements one operation runs as `caller` (including the token's user
    /// lookup), failing the test on any error.
    pub async fn count_statements(&self, caller: As<'_>, query: &str, variables: Value) -> usize {
        self.statements.reset();
        let _ = self.data(caller, query, variables).await;
        self.statements.get()
    }
}

/// Sends a raw request through `router`: status, headers and body.
pub async fn send_to(
    router: &axum::Router, request: Request<Body>,
) -> (StatusCode, HeaderMap, Bytes) {
    let response = router.clone().oneshot(request).await.unwrap_or_else(|e| match e {});
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, body)
}

/// The one way tests send GraphQL: a JSON POST to `router`, with an optional
/// `Authorization` value, from an optional client address (the socket peer), answered
/// with status, headers and the body as JSON (a string when it is not JSON).
pub async fn post_graphql(
    router: &axum::Router, authorization: Option<&str>, peer: Option<&str>, query: &str,
    variables: Value,
) -> (StatusCode, HeaderMap, Value) {
    let mut request = Request::post("/graphql").header("content-type", "application/json");
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let body = json!({ "query": query, "variables": variables }).to_string();
    let mut request = request.body(Body::from(body)).unwrap();
    if let Some(peer) = peer {
        let addr: std::net::SocketAddr = format!("{peer}:40000").parse().unwrap();
        request.extensions_mut().insert(axum::extract::ConnectInfo(addr));
    }
    let (status, headers, body) = send_to(router, request).await;
    let body = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    (status, headers, body)
}

/// Who sends a request: the app's default caller (anonymous, or staff for
/// `TestApp::as_staff`), nobody, a user's access token, or a raw `Authorization` value.
#[derive(Clone, Copy, Debug)]
pub enum As<'a> {
    Default,
    Anon,
    Token(&'a str),
    Header(&'a str),
}

/// A private media folder under the target directory, removed on drop.
pub struct MediaDir(pub std::path::PathBuf);

impl MediaDir {
    fn new() -> Self {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("media-{}", uuid::Uuid::new_v4().simple()));
        Self(dir)
    }

    /// Files stored so far (relative paths, sorted).
    pub fn files(&self) -> Vec<String> {
        let dir = self.0.join("store/images");
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| format!("store/images/{}", e.file_name().to_string_lossy()))
            .collect();
        names.sort();
        names
    }
}

impl Drop for MediaDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The batch window of statement-count tests: the service's own. The lists these tests
/// read prime their relations by look-ahead, so no count depends on how fast sibling
/// resolvers reach a loader.
pub const COUNTING_BATCH_WINDOW: Duration = storefront::graphql::loaders::DEFAULT_BATCH_WINDOW;

/// Who a factory user is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Customer,
    Staff,
    Superuser,
    /// A superuser without `is_staff`.
    SuperuserNotStaff,
    Inactive,
}

/// Test auth services: a fixed secret and cheap argon2 parameters.
pub fn test_auth(access_ttl: Duration) -> Auth {
    let jwt = JwtKeys::new(TEST_SECRET, access_ttl, Duration::from_secs(86_400));
    Auth::new(jwt, Passwords::fast().unwrap())
}

pub const TEST_SECRET: &[u8] = b"test-secret-test-secret-test-secret!";

/// The single error of `response`, checked for its code and status.
pub fn error<'a>(response: &'a Value, code: &str, status: u16) -> &'a Value {
    let errors =
        response["errors"].as_array().unwrap_or_else(|| panic!("expected errors in {response:#}"));
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

/// Log lines written through `tracing` in this process (installed on first use).
#[derive(Clone, Default)]
pub struct CapturedLogs(Arc<std::sync::Mutex<Vec<u8>>>);

impl CapturedLogs {
    pub fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).lines().map(str::to_owned).collect()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut bytes) = self.0.lock() {
            bytes.extend_from_slice(buf);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Captures this process's log lines (text format, `info` and above, without colours).
pub fn capture_logs() -> CapturedLogs {
    static LOGS: std::sync::OnceLock<CapturedLogs> = std::sync::OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = CapturedLogs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || writer.clone())
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        logs
    })
    .clone()
}

/// A new cart (the caller's with a token, else a guest cart) holding `lines` of
/// `(product id, quantity)`; its id.
pub async fn cart_with(app: &TestApp, token: Option<&str>, lines: &[(i64, i32)]) -> String {
    const ADD: &str = "mutation($c: UUID!, $p: Int!, $q: Int!) { addCartItem(cartId: $c, productId: $p, quantity: $q) { id } }";
    let caller = || token.map_or(As::Default, As::Token);
    let data = app.data(caller(), "mutation { createCart { id } }", json!({})).await;
    let id = data["createCart"]["id"].as_str().unwrap().to_owned();
    for (product, quantity) in lines {
        let vars = json!({ "c": id, "p": product, "q": quantity });
        app.data(caller(), ADD, vars).await;
    }
    id
}

/// Reads a child's output line by line until `announced` finds what it waits for in one (at
/// most `within`), then keeps reading the rest in the background, so the child never
/// blocks on a full pipe.
pub async fn announced<T>(
    output: impl tokio::io::AsyncRead + Unpin + Send + 'static, within: Duration,
    announced: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(output).lines();
    let found = tokio::time::timeout(within, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(found) = announced(&line) {
                return Some(found);
            }
        }
        None
    });
    let found = found.await.ok().flatten();
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    found
}
