//! What an operator relies on: liveness and readiness, metrics, JSON logs, and a job
//! runtime that heals itself (a killed worker's jobs run again, failures reach ADMINS,
//! completed jobs stay listed).

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{Value, json};
use storefront::email::Mailer;
use storefront::jobs::{self, WorkerConfig};

use crate::common::smtp::SmtpSink;
use crate::common::{As, Kind, TestApp, factories};
use crate::mail::{RunningWorker, quick_worker};

const FROM: &str = "Storefront <noreply@storefront.example>";

async fn get(app: &TestApp, uri: &str, authorization: Option<&str>) -> (StatusCode, Value) {
    let headers: Vec<_> = authorization.map(|v| ("authorization", v)).into_iter().collect();
    let (status, _, body) = app.get(uri, &headers).await;
    let body = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    (status, body)
}

#[tokio::test]
async fn livez_and_readyz_answer_200_when_all_is_well() {
    let app = TestApp::new().await;
    assert_eq!(get(&app, "/livez", None).await.0, StatusCode::OK);
    let (status, body) = get(&app, "/readyz", None).await;
    assert_eq!((status, body), (StatusCode::OK, json!({ "ready": true })));
}

#[tokio::test]
async fn readyz_names_a_part_that_is_down_then_turns_200_when_it_is_back() {
    let app = TestApp::new().await;
    let (up, watched) = tokio::sync::watch::channel(false);
    app.state.health.watch("jobs", watched);
    let (status, body) = get(&app, "/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body, json!({ "ready": false, "failing": ["jobs"] }));
    up.send(true).unwrap();
    assert_eq!(get(&app, "/readyz", None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_draining_instance_is_not_ready_but_still_answers_requests() {
    let app = TestApp::new().await;
    app.state.health.begin_draining();
    let (status, body) = get(&app, "/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["failing"], json!(["draining"]));
    let data = app.data(As::Anon, "{ products { totalCount } }", json!({})).await;
    assert_eq!(data["products"]["totalCount"], 0);
    assert_eq!(get(&app, "/livez", None).await.0, StatusCode::OK);
}

#[tokio::test]
async fn readyz_wants_this_builds_migrations() {
    let app = TestApp::new().await;
    app.sql(
        "DELETE FROM __diesel_schema_migrations \
         WHERE version = (SELECT max(version) FROM __diesel_schema_migrations)",
    )
    .await;
    let (status, body) = get(&app, "/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["failing"], json!(["migrations"]));
}

/// The value of the metric line that starts with `prefix` (name and labels), if any.
fn metric(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.starts_with(prefix))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
}

async fn metrics_text(app: &TestApp) -> String {
    let (status, body) = get(app, "/metrics", None).await;
    assert_eq!(status, StatusCode::OK);
    body.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn metrics_count_requests_by_operation_and_errors_by_code() {
    let app = TestApp::new().await;
    let shop = "query ShopFront { products { totalCount } }";
    app.data(As::Anon, shop, json!({})).await;
    let count =
        "storefront_graphql_request_duration_seconds_count{operation=\"ShopFront\",outcome=\"ok\"}";
    let text = metrics_text(&app).await;
    let before = metric(&text, count).unwrap_or_else(|| panic!("{text}"));
    app.data(As::Anon, shop, json!({})).await;
    app.gql(As::Anon, "query Missing { product(id: 999999) { id } }", json!({})).await;
    let text = metrics_text(&app).await;
    assert_eq!(metric(&text, count), Some(before + 1.0), "{text}");
    let missing = "storefront_graphql_request_duration_seconds_count{operation=\"Missing\",outcome=\"error\"}";
    assert!(metric(&text, missing).is_some(), "{text}");
    assert!(
        metric(&text, "storefront_graphql_errors_total{code=\"NOT_FOUND\"}").unwrap_or(0.0) >= 1.0,
        "{text}"
    );
    for gauge in [
        "storefront_db_pool_size",
        "storefront_http_requests_in_flight",
        "storefront_job_queue_depth{state=\"QUEUED\"}",
    ] {
        assert!(metric(&text, gauge).is_some(), "{gauge} missing from {text}");
    }
}

#[tokio::test]
async fn an_operation_name_too_long_or_beyond_the_label_cap_counts_as_other() {
    use storefront::telemetry::{MAX_OPERATION_NAME_CHARS, operation_label};
    let long = "L".repeat(MAX_OPERATION_NAME_CHARS + 1);
    assert_eq!(operation_label(Some(&long)), "other");
    assert_eq!(operation_label(None), "anonymous");
    for i in 0..storefront::telemetry::MAX_OPERATION_NAMES {
        operation_label(Some(&format!("Op{i}")));
    }
    assert_eq!(operation_label(Some("OneTooMany")), "other");
}

#[tokio::test]
async fn metrics_want_the_token_when_one_is_set() {
    let app = TestApp::with_options(storefront::app::AppOptions {
        metrics_token: Some("scrape-me-please".to_owned()),
        ..storefront::app::AppOptions::default()
    })
    .await;
    assert_eq!(get(&app, "/metrics", None).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(get(&app, "/metrics", Some("Bearer wrong")).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = get(&app, "/metrics", Some("Bearer scrape-me-please")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.as_str().unwrap_or_default().contains("storefront_db_pool_size"));
}

#[tokio::test]
async fn json_logs_carry_the_request_id_operation_user_and_status() {
    let app = TestApp::new().await;
    let (user, token) = app.user("logged", Kind::Customer).await;
    let logs = crate::common::CapturedLogs::default();
    let writer = logs.clone();
    let filter = storefront::telemetry::log_filter(false, None);
    let subscriber = storefront::telemetry::json_logs(filter, move || writer.clone());
    let _default = tracing::subscriber::set_default(subscriber);
    app.data(As::Token(&token), "query Me { me { username } }", json!({})).await;
    let lines: Vec<Value> = logs
        .lines()
        .iter()
        .map(|line| serde_json::from_str(line).expect("one JSON object a line"))
        .collect();
    let access = lines
        .iter()
        .find(|line| line["span"]["operation"] == "Me" && line.get("status").is_some())
        .unwrap_or_else(|| panic!("no access log line in {lines:#?}"));
    assert_eq!(access["status"], 200);
    assert_eq!(access["span"]["user_id"], user.id);
    assert!(access["span"]["request_id"].as_str().is_some_and(|id| id.len() == 36));
    assert!(access.get("latency").is_some(), "{access}");
}

/// An order of `username`'s with its confirmation queued; returns the order's id.
async fn order_to_confirm(app: &TestApp, username: &str) -> i64 {
    let mut conn = app.conn().await;
    let user = factories::user(&mut conn, &app.auth, username, Kind::Customer).await;
    let customer = factories::customer_of(&mut conn, user.id).await;
    let products = factories::catalogue(&mut conn, &[("Mug", "9.50", 5)]).await;
    factories::order_for(&mut conn, customer, products[0]).await;
    drop(conn);
    let order = app
        .count_sql(&format!("SELECT max(id) AS n FROM orders WHERE customer_id = {customer}"))
        .await;
    queue_confirmation(app, order).await;
    order
}

async fn queue_confirmation(app: &TestApp, order: i64) {
    let mut conn = app.conn().await;
    let task = jobs::task::SEND_ORDER_CONFIRMATION;
    jobs::enqueue(&mut conn, task, json!({ "order_id": order }), None).await.unwrap();
}

/// Starts `storefront worker` on the app's database, sending mail to `sink`, with a
/// one-second heartbeat.
fn worker_process(app: &TestApp, sink: &SmtpSink) -> tokio::process::Child {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_storefront"))
        .arg("worker")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &app.db.url)
        .env("JWT_SECRET", "a-test-secret-of-at-least-32-characters")
        .env("EMAIL_URL", sink.url())
        .env("JOB_HEARTBEAT_SECONDS", "1")
        .env("JOB_SWEEP_THRESHOLD_SECONDS", "3")
        .env("RUST_LOG", "warn")
        .kill_on_drop(true)
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("the storefront binary")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_held_by_a_killed_worker_runs_again_and_mails_once() {
    let app = TestApp::new().await;
    let sink = SmtpSink::start().await;
    let order = order_to_confirm(&app, "killed").await;
    sink.stall_next(1);
    let mut child = worker_process(&app, &sink);
    sink.wait_for_stalled(1, 60).await;
    child.start_kill().unwrap();
    let _ = child.wait().await;
    let locked =
        "SELECT count(*) AS n FROM graphile_worker._private_jobs WHERE locked_by IS NOT NULL";
    assert_eq!(app.count_sql(locked).await, 1, "the dead worker holds the job");

    let mailer = Mailer::smtp(&sink.url(), FROM.parse().unwrap(), Vec::new()).unwrap();
    let config = WorkerConfig {
        heartbeat: Duration::from_secs(1),
        sweep_threshold: Duration::from_secs(3),
        ..quick_worker()
    };
    let worker = RunningWorker::start_with(&app, mailer, config);
    let mail = sink.wait_for(1, 30).await;
    assert_eq!(mail.len(), 1);
    let confirmed = format!(
        "SELECT count(*) AS n FROM orders WHERE id = {order} AND confirmation_sent_at IS NOT NULL"
    );
    assert_eq!(app.count_sql(&confirmed).await, 1);

    // A second run of the confirmation (its worker died after sending) sends nothing.
    queue_confirmation(&app, order).await;
    let completed = "SELECT count(*) AS n FROM job_history WHERE task = 'send_order_confirmation'";
    for _ in 0..100 {
        if app.count_sql(completed).await == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.count_sql(completed).await, 2);
    assert_eq!(sink.messages().len(), 1, "the order was confirmed once");
    worker.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_that_fails_for_good_is_reported_to_the_admins() {
    let app = TestApp::new().await;
    let sink = SmtpSink::start().await;
    let admins = vec!["Ops <ops@storefront.example>".parse().unwrap()];
    let mailer = Mailer::smtp(&sink.url(), FROM.parse().unwrap(), admins).unwrap();
    let (user, _) = app.user("welcomed", Kind::Customer).await;
    let mut conn = app.conn().await;
    let task = jobs::task::SEND_WELCOME_EMAIL;
    jobs::enqueue(&mut conn, task, json!({ "user_id": user.id }), Some(1)).await.unwrap();
    drop(conn);
    sink.fail_next(1);
    let worker = RunningWorker::start_with(&app, mailer, quick_worker());
    let mail = sink.wait_for(1, 30).await;
    worker.stop().await;
    assert_eq!(mail[0].to, ["ops@storefront.example"]);
    assert!(
        mail[0].data.contains("send_welcome_email") && mail[0].data.contains("failed for good"),
        "{}",
        mail[0].data
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completed_jobs_stay_listed_for_staff() {
    let mut app = TestApp::new().await;
    let (_, staff) = app.user("staff", Kind::Staff).await;
    app.default_authorization = Some(format!("Bearer {staff}"));
    let sink = SmtpSink::start().await;
    order_to_confirm(&app, "listed").await;
    let mailer = Mailer::smtp(&sink.url(), FROM.parse().unwrap(), Vec::new()).unwrap();
    let worker = RunningWorker::start_with(&app, mailer, quick_worker());
    sink.wait_for(1, 30).await;
    let query = "{ jobs(state: COMPLETED) { totalCount nodes { kind state attempts } } }";
    let mut data = Value::Null;
    for _ in 0..100 {
        data = app.data(As::Default, query, json!({})).await;
        // The page and its count are two statements: wait for the row on the page (a job
        // completing between them can be counted before it is listed).
        if data["jobs"]["nodes"].as_array().is_some_and(|nodes| !nodes.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    worker.stop().await;
    assert_eq!(
        data["jobs"]["nodes"],
        json!([{ "kind": "send_order_confirmation", "state": "COMPLETED", "attempts": 1 }])
    );
    assert_eq!(data["jobs"]["totalCount"], 1);
}

#[test]
fn stored_payloads_are_scrubbed_of_secrets() {
    let payload = json!({ "reset_id": 7, "token": "abc", "nested": { "newPassword": "x" } });
    assert_eq!(
        storefront::jobs::repo::scrubbed(&payload),
        json!({ "reset_id": 7, "token": "[scrubbed]", "nested": { "newPassword": "[scrubbed]" } })
    );
}

/// A router over `app`'s database with the SQL profiler on (as `DEBUG=true` turns it on
/// in the embedded default), or off.
fn profiling_router(app: &TestApp, on: bool) -> axum::Router {
    let state = storefront::AppState::with_options(
        app.pool.clone(),
        app.auth.clone(),
        storefront::app::AppOptions {
            debug_sql: on.then(|| app.db.url.clone()),
            ..storefront::app::AppOptions::default()
        },
    );
    storefront::build_app(state)
}

async fn profiled_answer(router: &axum::Router, header: Option<&str>) -> Value {
    let mut request = Request::post("/graphql").header("content-type", "application/json");
    if let Some(value) = header {
        request = request.header("x-debug-sql", value);
    }
    let body = json!({ "query": "{ collections { title productsCount } }" }).to_string();
    let (_, _, body) =
        crate::common::send_to(router, request.body(Body::from(body)).unwrap()).await;
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn with_the_sql_profiler_on_a_request_that_asks_sees_its_statements() {
    let app = TestApp::new().await;
    app.catalogue(&[("Spoon", "1.00", 1)]).await;
    let router = profiling_router(&app, true);
    let answer = profiled_answer(&router, Some("1")).await;
    assert_eq!(answer["data"]["collections"][0]["title"], "C");
    let debug = &answer["extensions"]["debug"];
    assert!(debug["durationMs"].as_f64().is_some(), "{answer:#}");
    let sql = debug["sql"].as_array().expect("statements");
    assert_eq!(sql.len(), 1, "{debug:#}");
    assert!(sql[0]["statement"].as_str().unwrap().contains("collections"));
    assert!(sql[0]["ms"].as_f64().is_some_and(|ms| ms >= 0.0));
    assert!(profiled_answer(&router, None).await.get("extensions").is_none());
    let off = profiling_router(&app, false);
    assert!(profiled_answer(&off, Some("1")).await.get("extensions").is_none());
}
