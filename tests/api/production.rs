//! Production mode and honest failure answers: the real binary with a configured
//! database, coded refusals, panics, security headers, and a PostgreSQL outage.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use serde_json::{Value, json};
use storefront::app::AppOptions;
use storefront::db::embedded::{ClusterOptions, EmbeddedCluster};

use crate::common::{As, TestApp, error, post_graphql, send_to, test_auth};

const BIN: &str = env!("CARGO_BIN_EXE_storefront");

/// `storefront <args>` with a clean environment plus `vars`.
fn storefront(args: &[&str], vars: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RUST_LOG", "warn")
        .current_dir(env!("CARGO_TARGET_TMPDIR"));
    for (key, value) in vars {
        command.env(key, value);
    }
    command
}

async fn count(app: &TestApp, table: &str) -> i64 {
    app.count_sql(&format!("SELECT count(*) AS n FROM {table}")).await
}

#[tokio::test]
async fn production_refuses_to_start_without_a_jwt_secret() {
    let app = TestApp::new().await;
    for role in ["serve", "worker"] {
        let output = storefront(&[role], &[("DATABASE_URL", &app.db.url)]).output().unwrap();
        assert!(!output.status.success(), "{role} started");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("JWT_SECRET"), "{role}: {stderr}");
    }
    assert_eq!(count(&app, "users").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_a_configured_database_creates_no_accounts_or_demo_data() {
    let app = TestApp::new().await;
    let secret = "production-secret-0123456789-abcdefghij";
    let mut child = storefront(
        &["serve"],
        &[
            ("DATABASE_URL", &app.db.url),
            ("JWT_SECRET", secret),
            ("BIND_ADDR", "127.0.0.1:0"),
            ("RUN_WORKERS", "false"),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let banner = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find(|line| line.starts_with("Storefront is running"))
    })
    .await
    .unwrap()
    .unwrap_or_else(|| panic!("serve did not start"));
    assert!(banner.contains("GraphQL: http://127.0.0.1:"), "{banner}");
    assert!(!banner.contains("GraphiQL"), "{banner}");
    let addr = banner
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_else(|| panic!("{banner}"))
        .to_owned();
    // GraphiQL is off in production mode; the API answers.
    let page = http_get(&addr, "/graphql", "text/html").await;
    assert!(page.starts_with("HTTP/1.1 404"), "{page}");
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(count(&app, "users").await, 0);
    assert_eq!(count(&app, "products").await, 0);

    // `seed` loads the catalogue, and the accounts only when asked.
    let vars = [("DATABASE_URL", app.db.url.as_str()), ("JWT_SECRET", secret)];
    let status = storefront(&["seed"], &vars).stdout(Stdio::null()).status().unwrap();
    assert!(status.success());
    assert_eq!(count(&app, "products").await, 1_000);
    assert_eq!(count(&app, "users").await, 0);
    let status = storefront(&["seed", "--force", "--demo-accounts"], &vars)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(count(&app, "users").await, 2);
}

/// A raw HTTP/1.1 GET; the whole response as text.
async fn http_get(addr: &str, path: &str, accept: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    let _ =
        tokio::time::timeout(Duration::from_secs(10), stream.read_to_string(&mut response)).await;
    response
}

#[tokio::test]
async fn graphiql_and_introspection_follow_their_switches() {
    let app = TestApp::with_options(AppOptions {
        graphiql: false,
        introspection: false,
        ..AppOptions::default()
    })
    .await;
    let request =
        Request::get("/graphql").header(header::ACCEPT, "text/html").body(Body::empty()).unwrap();
    let (status, _, _) = app.send(request).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = app.gql(As::Anon, "{ __schema { queryType { name } } }", json!({})).await;
    assert_eq!(response["data"]["__schema"], Value::Null, "{response}");
    // Defaults: both on.
    let app = TestApp::new().await;
    let response = app.gql(As::Anon, "{ __schema { queryType { name } } }", json!({})).await;
    assert_eq!(response["data"]["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = TestApp::new().await;
    for (uri, accept) in [("/graphql", "text/html"), ("/healthz", "application/json")] {
        let request = Request::get(uri).header(header::ACCEPT, accept).body(Body::empty()).unwrap();
        let (_, headers, _) = app.send(request).await;
        assert_eq!(headers["x-content-type-options"], "nosniff", "{uri}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{uri}");
        assert_eq!(headers["x-frame-options"], "DENY", "{uri}");
    }
}

#[tokio::test]
async fn refusals_before_execution_are_coded_with_the_request_id() {
    let app = TestApp::new().await;
    let big = format!("{{\"query\":\"{{ __typename }}\",\"pad\":\"{}\"}}", "x".repeat(1_100_000));
    let cases = [
        (
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(big)),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("{ __typename }")),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            Request::get("/graphql?query=mutation%20%7B%20logoutEverywhere%20%7D")
                .body(Body::empty()),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
        (
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from("{ not json")),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (request, expected) in cases {
        let request = request.unwrap();
        let (status, headers, body) = app.send(request).await;
        assert_eq!(status, expected);
        let response: Value = serde_json::from_slice(&body).unwrap_or_default();
        let error = error(&response, "BAD_USER_INPUT", expected.as_u16());
        assert_eq!(
            error["extensions"]["requestId"],
            headers["x-request-id"].to_str().unwrap_or_default(),
            "{response}"
        );
    }
}

#[tokio::test]
async fn resolver_errors_carry_the_request_id() {
    let app = TestApp::new().await;
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-request-id", "client-chosen-id-42")
        .body(Body::from(json!({ "query": "{ product(id: 999999) { id } }" }).to_string()))
        .unwrap();
    let (_, headers, body) = app.send(request).await;
    assert_eq!(headers["x-request-id"], "client-chosen-id-42");
    let response: Value = serde_json::from_slice(&body).unwrap_or_default();
    assert_eq!(
        error(&response, "NOT_FOUND", 404)["extensions"]["requestId"],
        "client-chosen-id-42"
    );
}

#[tokio::test]
async fn a_panic_is_answered_with_a_coded_internal_error() {
    let logs = crate::common::capture_logs();
    let app = TestApp::new().await;
    let routes = axum::Router::new().route(
        "/boom",
        get(|| async {
            if std::hint::black_box(true) {
                panic!("resolver bug");
            }
            "unreachable"
        }),
    );
    let router = storefront::http::with_layers(routes, &app.state);
    let request = Request::get("/boom").body(Body::empty()).unwrap();
    let response = tower::ServiceExt::oneshot(router, request).await.unwrap_or_else(|e| match e {});
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let id = response.headers()["x-request-id"].to_str().unwrap_or_default().to_owned();
    let body = http_body_util::BodyExt::collect(response.into_body()).await.unwrap().to_bytes();
    let response: Value = serde_json::from_slice(&body).unwrap_or_default();
    let error = error(&response, "INTERNAL_SERVER_ERROR", 500);
    assert_eq!(error["message"], "Internal server error");
    assert_eq!(error["extensions"]["requestId"], id.as_str());
    assert!(
        logs.lines().iter().any(|l| l.contains(&id) && l.contains("a request panicked")),
        "{:#?}",
        logs.lines()
    );
}

#[tokio::test]
async fn slow_clients_are_disconnected_after_the_header_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::new().await;
    let served = crate::common::ws::Served::with_header_timeout(
        app.router.clone(),
        Duration::from_millis(500),
    )
    .await;
    let mut stream = tokio::net::TcpStream::connect(served.addr).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut buffer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut buffer)).await;
    assert!(read.is_ok(), "the connection was still open after 5 s");
}

/// `GET /readyz`: the status and the body.
async fn ready(router: &axum::Router) -> (StatusCode, Value) {
    let request = Request::get("/readyz").body(Body::empty()).unwrap();
    let (status, _, body) = send_to(router, request).await;
    (status, serde_json::from_slice::<Value>(&body).unwrap_or_default())
}

/// A private cluster that this test stops and starts.
fn outage_cluster(dir: &std::path::Path) -> EmbeddedCluster {
    EmbeddedCluster::start(&ClusterOptions::new(dir).setting("fsync", "off")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_unavailable_while_postgres_is_down_then_recovery() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("outage-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]));
    let start = {
        let dir = dir.clone();
        move || {
            let dir = dir.clone();
            async move { tokio::task::spawn_blocking(move || outage_cluster(&dir)).await.unwrap() }
        }
    };
    let cluster = start().await;
    let url = cluster.url("postgres");
    storefront::server::migrate(&url).await.unwrap();
    let pool = storefront::db::create_pool(&url, 2).unwrap();
    let state = storefront::AppState::with_options(
        pool,
        test_auth(Duration::from_secs(600)),
        AppOptions::default(),
    );
    let router = storefront::build_app(state);
    let ask = async |router: &axum::Router| {
        let (status, headers, body) =
            post_graphql(router, None, None, "{ products { totalCount } }", json!({})).await;
        (status, headers.get("retry-after").cloned(), body)
    };
    let health = async |router: &axum::Router| {
        let request = Request::get("/healthz").body(Body::empty()).unwrap();
        send_to(router, request).await.0
    };
    let (status, _, response) = ask(&router).await;
    assert_eq!((status, &response["data"]["products"]["totalCount"]), (StatusCode::OK, &json!(0)));

    let stopped = tokio::task::spawn_blocking(move || cluster.release()).await.unwrap().unwrap();
    assert!(stopped);
    for _ in 0..2 {
        let (status, retry, response) = ask(&router).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{response}");
        assert_eq!(retry.as_ref().and_then(|v| v.to_str().ok()), Some("1"));
        error(&response, "SERVICE_UNAVAILABLE", 503);
    }
    assert_eq!(health(&router).await, StatusCode::SERVICE_UNAVAILABLE);
    let not_ready = json!({ "ready": false, "failing": ["database"] });
    assert_eq!(ready(&router).await, (StatusCode::SERVICE_UNAVAILABLE, not_ready));

    let cluster = start().await;
    let mut recovered = false;
    for _ in 0..50 {
        let (status, _, _) = ask(&router).await;
        if status == StatusCode::OK {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(recovered, "the service did not recover");
    assert_eq!(health(&router).await, StatusCode::OK);
    assert_eq!(ready(&router).await.0, StatusCode::OK);
    let _ = tokio::task::spawn_blocking(move || cluster.release()).await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Waits until `up` reads `want` (panics after `seconds`).
async fn wait_until(up: &mut tokio::sync::watch::Receiver<bool>, want: bool, seconds: u64) {
    let waited =
        tokio::time::timeout(Duration::from_secs(seconds), up.wait_for(|now| *now == want)).await;
    assert!(
        matches!(waited, Ok(Ok(_))),
        "the job runtime was not {} within {seconds} s",
        if want { "up" } else { "down" }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_job_runtime_restarts_after_the_database_restarts() {
    use storefront::jobs::{self, JobDeps, WorkerConfig};
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("jobs-outage-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]));
    let start = |dir: std::path::PathBuf| async move {
        tokio::task::spawn_blocking(move || outage_cluster(&dir)).await.unwrap()
    };
    let cluster = start(dir.clone()).await;
    let url = cluster.url("postgres");
    storefront::server::migrate(&url).await.unwrap();
    let pool = storefront::db::create_pool(&url, 4).unwrap();
    let sink = crate::common::smtp::SmtpSink::start().await;
    let from = "Storefront <noreply@storefront.example>".parse().unwrap();
    let deps = JobDeps {
        pool: pool.clone(),
        mailer: std::sync::Arc::new(
            storefront::email::Mailer::smtp(&sink.url(), from, Vec::new()).unwrap(),
        ),
        history_days: 7,
    };
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let (up_tx, mut up) = tokio::sync::watch::channel(false);
    let config = WorkerConfig {
        heartbeat: Duration::from_secs(1),
        sweep_threshold: Duration::from_secs(3),
        ..crate::mail::quick_worker()
    };
    let define = storefront::tasks::define_all;
    let supervisor = tokio::spawn(jobs::supervise(url, deps, config, define, stopped, up_tx));
    wait_until(&mut up, true, 30).await;

    assert!(tokio::task::spawn_blocking(move || cluster.release()).await.unwrap().unwrap());
    wait_until(&mut up, false, 60).await;
    let cluster = start(dir.clone()).await;
    wait_until(&mut up, true, 60).await;

    let mut conn = pool.get().await.unwrap();
    let auth = test_auth(Duration::from_secs(600));
    let user =
        crate::common::factories::user(&mut conn, &auth, "back", crate::common::Kind::Customer)
            .await;
    let task = jobs::task::SEND_WELCOME_EMAIL;
    jobs::enqueue(&mut conn, task, json!({ "user_id": user.id }), None).await.unwrap();
    drop(conn);
    let mail = sink.wait_for(1, 30).await;
    assert_eq!(mail[0].to, ["back@example.com"]);
    stop.send(true).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(15), supervisor).await;
    drop(pool);
    let _ = tokio::task::spawn_blocking(move || cluster.release()).await;
    let _ = std::fs::remove_dir_all(&dir);
}
