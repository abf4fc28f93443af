//! E-mail through a real SMTP conversation, and the durable job queue behind it.

use std::sync::Arc;
use std::time::Duration;

use diesel::sql_types::{BigInt, Text};
use diesel_async::RunQueryDsl;
use lettre::message::Mailbox;
use serde_json::json;
use storefront::email::{Email, Mailer};
use storefront::jobs::{self, JobDeps, WorkerConfig};

use crate::common::smtp::SmtpSink;
use crate::common::{self, As, Kind, TestApp, field_errors};

const FROM: &str = "Storefront <noreply@storefront.example>";

pub struct RunningWorker {
    stop: tokio::sync::oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<()>,
}

/// A worker's settings for tests: quick polls, no schedule.
pub fn quick_worker() -> WorkerConfig {
    WorkerConfig {
        concurrency: 2,
        poll_interval: Duration::from_millis(100),
        schedule: false,
        ..WorkerConfig::default()
    }
}

impl RunningWorker {
    async fn start(app: &TestApp, sink: &SmtpSink) -> Self {
        let mailer = Mailer::smtp(&sink.url(), FROM.parse().unwrap(), Vec::new()).unwrap();
        Self::start_with(app, mailer, quick_worker())
    }

    /// The job runtime, supervised as `serve` runs it, with `mailer` and `config`.
    pub fn start_with(app: &TestApp, mailer: Mailer, config: WorkerConfig) -> Self {
        let deps = JobDeps { pool: app.pool.clone(), mailer: Arc::new(mailer), history_days: 7 };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let url = app.db.url.clone();
        let handle = tokio::spawn(async move {
            let (up, _) = tokio::sync::watch::channel(false);
            let define = storefront::tasks::define_all;
            let supervised = jobs::supervise(url, deps, config, define, stop_rx, up);
            let stopping = async move {
                let _ = stopped.await;
                let _ = stop_tx.send(true);
                std::future::pending::<()>().await;
            };
            tokio::select! {
                () = supervised => {}
                () = stopping => {}
            }
        });
        Self { stop, handle }
    }

    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(10), self.handle).await;
    }
}

async fn job_count(app: &TestApp, task: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = app.conn().await;
    let row: N = diesel::sql_query(
        "SELECT count(*) AS n FROM graphile_worker._private_jobs j \
         JOIN graphile_worker._private_tasks t ON t.id = j.task_id WHERE t.identifier = $1",
    )
    .bind::<Text, _>(task)
    .get_result(&mut conn)
    .await
    .unwrap();
    row.n
}

/// Makes retries due now instead of after their backoff.
async fn hurry_retries(app: &TestApp) {
    app.sql("UPDATE graphile_worker._private_jobs SET run_at = now() WHERE locked_at IS NULL")
        .await;
}

const REGISTER: &str = "mutation($u: String!, $e: String!) { register(input: { username: $u, password: \"tangerine-orbit-42\", email: $e, firstName: \"Joe\" }) { id } }";

/// Registers `username` with `email` (and the password of REGISTER) through the API.
async fn register(app: &TestApp, username: &str, email: &str) {
    let vars = json!({ "u": username, "e": email });
    app.data(As::Default, REGISTER, vars).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_sends_a_templated_welcome_mail() {
    let app = TestApp::new().await;
    let sink = SmtpSink::start().await;
    register(&app, "joe", "joe@example.com").await;
    assert_eq!(job_count(&app, "send_welcome_email").await, 1);

    let worker = RunningWorker::start(&app, &sink).await;
    let messages = sink.wait_for(1, 20).await;
    worker.stop().await;
    let welcome = messages
        .iter()
        .find(|m| m.data.contains("Subject: Welcome to Storefront, joe!"))
        .unwrap_or_else(|| panic!("{messages:#?}"));
    assert_eq!(welcome.to, ["joe@example.com"]);
    assert!(welcome.data.contains("From: Storefront <noreply@storefront.example>"));
    assert!(welcome.data.contains("multipart/alternative"), "text and HTML parts");
    assert!(welcome.data.contains("text/plain") && welcome.data.contains("text/html"));
    assert_eq!(job_count(&app, "send_welcome_email").await, 0, "done jobs leave the queue");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_sends_a_confirmation_with_the_invoice_attached() {
    let app = TestApp::new().await;
    let sink = SmtpSink::start().await;
    let (_, token) = app.user("joe", Kind::Customer).await;
    let p = app.catalogue(&[("Laptop", "999.99", 5)]).await[0];
    let cart = common::cart_with(&app, None, &[(p, 2)]).await;
    let order_mutation = "mutation($c: UUID!) { createOrder(cartId: $c) { id } }";
    let order = app.data(As::Token(&token), order_mutation, json!({ "c": cart })).await["createOrder"]["id"]
        .clone();
    assert_eq!(job_count(&app, "send_order_confirmation").await, 1);

    let worker = RunningWorker::start(&app, &sink).await;
    let messages = sink.wait_for(1, 20).await;
    worker.stop().await;
    let confirmation = messages
        .iter()
        .find(|m| m.data.contains(&format!("Subject: Your Storefront order #{order}")))
        .unwrap_or_else(|| panic!("{messages:#?}"));
    assert!(
        confirmation.data.contains("Laptop") && confirmation.data.contains("1999.98"),
        "lines and total"
    );
    assert!(
        confirmation.data.contains("filename=\"invoice-") && confirmation.data.contains(".pdf\""),
        "the invoice is attached (tests/api/invoices.rs reads it back)"
    );
    assert_eq!(job_count(&app, "send_order_confirmation").await, 0, "done jobs leave the queue");
}

#[tokio::test]
async fn a_rolled_back_order_queues_no_mail() {
    let app = TestApp::new().await;
    let (_, token) = app.user("ann", Kind::Customer).await;
    let p = app.catalogue(&[("Coffee", "9.99", 3)]).await[0];
    let cart = common::cart_with(&app, None, &[(p, 3)]).await;
    app.sql("UPDATE products SET inventory = 1").await;
    let failed_mutation = "mutation($c: UUID!) { createOrder(cartId: $c) { id } }";
    let failed = app.gql(As::Token(&token), failed_mutation, json!({ "c": cart })).await;
    assert_eq!(field_errors(&failed), json!({ "cartId": ["Only 1 left in stock."] }));
    assert_eq!(job_count(&app, "send_order_confirmation").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_smtp_failure_is_retried_and_a_lasting_one_ends_visibly_failed() {
    let app = TestApp::new().await;
    let sink = SmtpSink::start().await;
    let (_, staff) = app.user("staff", Kind::Staff).await;
    sink.fail_next(1);
    register(&app, "joe", "joe@example.com").await;
    let worker = RunningWorker::start(&app, &sink).await;
    // The first attempt fails (451); the retry, made due at once, succeeds.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while sink.messages().is_empty() && tokio::time::Instant::now() < deadline {
        hurry_retries(&app).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(sink.messages().len(), 1, "delivered after a retry");

    // A job that keeps failing stops after its attempts and stays visible.
    sink.fail_next(1000);
    let mut conn = app.conn().await;
    jobs::enqueue(&mut conn, "send_welcome_email", json!({ "user_id": 2 }), Some(2)).await.unwrap();
    drop(conn);
    let failed_jobs = "{ jobs(state: FAILED) { totalCount nodes { kind attempts maxAttempts lastError state } } }";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut failed = json!([]);
    while tokio::time::Instant::now() < deadline {
        hurry_retries(&app).await;
        failed = app.data(As::Token(&staff), failed_jobs, json!({})).await["jobs"]["nodes"].clone();
        if failed.as_array().is_some_and(|a| !a.is_empty()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    worker.stop().await;
    let job = &failed[0];
    assert_eq!(
        (job["kind"].as_str(), job["attempts"].as_i64(), job["maxAttempts"].as_i64()),
        (Some("send_welcome_email"), Some(2), Some(2)),
        "{failed}"
    );
    assert!(
        job["lastError"]
            .as_str()
            .is_some_and(|e| e.contains("451") || e.to_lowercase().contains("temporary")),
        "{job}"
    );
    let (_, customer) = app.user("ann", Kind::Customer).await;
    app.refused(As::Token(&customer), failed_jobs, json!({}), "FORBIDDEN").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_worker_loses_nothing() {
    let app = TestApp::new().await;
    let sink = SmtpSink::start().await;
    for i in 0..8 {
        register(&app, &format!("user{i}"), &format!("user{i}@example.com")).await;
    }
    let first = RunningWorker::start(&app, &sink).await;
    sink.wait_for(1, 20).await;
    first.stop().await;
    let second = RunningWorker::start(&app, &sink).await;
    let messages = sink.wait_for(8, 30).await;
    second.stop().await;
    let mut recipients: Vec<String> = messages.iter().flat_map(|m| m.to.clone()).collect();
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 8, "every queued mail was sent");
    assert_eq!(job_count(&app, "send_welcome_email").await, 0);
}

fn token_in(data: &str) -> String {
    data.split(|c: char| !c.is_ascii_hexdigit())
        .find(|word| word.len() == 64)
        .unwrap_or_else(|| panic!("no token in {data}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_reset_by_mail_end_to_end() {
    let app = TestApp::new().await;
    let sink = SmtpSink::start().await;
    register(&app, "joe", "joe@example.com").await;
    let request = "mutation($e: String!) { requestPasswordReset(email: $e) }";
    assert_eq!(
        app.data(As::Default, request, json!({ "e": "nobody@example.com" })).await["requestPasswordReset"],
        true
    );
    assert_eq!(job_count(&app, "send_password_reset").await, 0, "no mail for unknown addresses");
    assert_eq!(
        app.data(As::Default, request, json!({ "e": "JOE@example.com" })).await["requestPasswordReset"],
        true
    );
    let worker = RunningWorker::start(&app, &sink).await;
    let messages = sink.wait_for(2, 20).await;
    worker.stop().await;
    let mail = messages
        .iter()
        .find(|m| m.data.contains("Subject: Reset your Storefront password"))
        .unwrap_or_else(|| panic!("{messages:#?}"));
    let token = token_in(&mail.data);

    let reset = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }";
    let weak = app.gql(As::Default, reset, json!({ "t": token, "p": "password" })).await;
    assert_eq!(field_errors(&weak), json!({ "newPassword": ["This password is too common."] }));
    assert_eq!(
        app.data(As::Default, reset, json!({ "t": token, "p": "brand-new-orbit-7" })).await["resetPassword"],
        true,
        "a refused password leaves the token usable"
    );
    let create_token_mutation =
        "mutation { createToken(username: \"joe\", password: \"brand-new-orbit-7\") { access } }";
    app.data(As::Default, create_token_mutation, json!({})).await;
    let again = app.gql(As::Default, reset, json!({ "t": token, "p": "another-orbit-8" })).await;
    assert_eq!(
        field_errors(&again),
        json!({ "token": ["Invalid or expired token."] }),
        "single use"
    );
}

#[tokio::test]
async fn an_expired_reset_token_is_refused() {
    let app = TestApp::new().await;
    app.user("joe", Kind::Customer).await;
    let reset = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }";
    let mut conn = app.conn().await;
    diesel::sql_query("INSERT INTO password_resets (user_id, token_hash, expires_at) SELECT id, $1, now() - interval '1 minute' FROM users")
        .bind::<Text, _>(storefront::auth::repo::hash_token(&"e".repeat(64)))
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);
    let expired =
        app.gql(As::Default, reset, json!({ "t": "e".repeat(64), "p": "another-orbit-8" })).await;
    assert_eq!(field_errors(&expired), json!({ "token": ["Invalid or expired token."] }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notify_customers_mails_every_customer_in_the_background() {
    let app = TestApp::new().await;
    let sink = SmtpSink::start().await;
    let [(_, staff), (_, customer)] =
        app.users([("staff", Kind::Staff), ("ann", Kind::Customer)]).await;
    app.user("bob", Kind::Customer).await;
    let notify = "mutation { notifyCustomers(message: \"Summer sale!\") { id state } }";
    app.refused(As::Token(&customer), notify, json!({}), "FORBIDDEN").await;
    let receipt = app.data(As::Token(&staff), notify, json!({})).await["notifyCustomers"].clone();
    assert!(receipt["id"].is_i64());
    assert_eq!(receipt["state"], "QUEUED");
    let listed =
        app.data(As::Token(&staff), "{ jobs { nodes { id kind state } } }", json!({})).await;
    assert_eq!(
        listed["jobs"]["nodes"][0],
        json!({ "id": receipt["id"], "kind": "notify_customers", "state": "QUEUED" })
    );
    let worker = RunningWorker::start(&app, &sink).await;
    let messages = sink.wait_for(3, 20).await;
    worker.stop().await;
    let mut to: Vec<String> = messages.iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["ann@example.com", "bob@example.com", "staff@example.com"]);
    assert!(messages.iter().all(|m| m.data.contains("Summer sale!")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_deletes_carts_untouched_for_three_months() {
    let app = TestApp::new().await;
    let sink = SmtpSink::start().await;
    let old = app
        .data(As::Default, "mutation { createCart { id } }", json!({}))
        .await["createCart"]["id"]
        .clone();
    let fresh = app
        .data(As::Default, "mutation { createCart { id } }", json!({}))
        .await["createCart"]["id"]
        .clone();
    let mut conn = app.conn().await;
    diesel::sql_query(
        "UPDATE carts SET updated_at = now() - interval '91 days' WHERE id = $1::uuid",
    )
    .bind::<Text, _>(old.as_str().unwrap_or_default())
    .execute(&mut conn)
    .await
    .unwrap();
    // What the nightly cron entry queues.
    jobs::enqueue(&mut conn, "cleanup_carts", json!({}), None).await.unwrap();
    drop(conn);
    let worker = RunningWorker::start(&app, &sink).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while job_count(&app, "cleanup_carts").await > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    worker.stop().await;
    let cart = "query($c: UUID!) { cart(id: $c) { id } }";
    app.refused(As::Default, cart, json!({ "c": old }), "NOT_FOUND").await;
    app.data(As::Default, cart, json!({ "c": fresh })).await;
    assert!(jobs::CRONTAB.contains("cleanup_carts"));
}

#[tokio::test]
async fn headers_cannot_be_injected_and_files_are_the_default_transport() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("mail-{}", uuid::Uuid::new_v4().simple()));
    let mailer = Mailer::files(&dir, FROM.parse().unwrap(), Vec::new()).unwrap();
    let evil = Mailbox::new(
        Some("Eve\r\nBcc: victim@example.com".to_owned()),
        "eve@example.com".parse().unwrap(),
    );
    let email = Email {
        to: vec![evil],
        subject: "Hello\r\nBcc: victim@example.com".to_owned(),
        text: "hi".to_owned(),
        html: Some("<p>hi</p>".to_owned()),
        attachments: Vec::new(),
    };
    let formatted =
        String::from_utf8_lossy(&mailer.message(email.clone()).unwrap().formatted()).into_owned();
    assert!(!formatted.lines().any(|l| l.to_ascii_lowercase().starts_with("bcc:")), "{formatted}");
    mailer.send(email).await.unwrap();
    let files: Vec<_> = std::fs::read_dir(&dir).into_iter().flatten().flatten().collect();
    assert_eq!(files.len(), 1);
    assert!(files[0].file_name().to_string_lossy().ends_with(".eml"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Rows of every table (ours and the job queue's) whose text contains `needle`.
async fn rows_containing(app: &TestApp, needle: &str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct Table {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let mut conn = app.conn().await;
    let tables: Vec<Table> = diesel::sql_query(
        "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) AS name \
         FROM information_schema.tables \
         WHERE table_schema IN ('public', 'graphile_worker') AND table_type = 'BASE TABLE'",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let mut found = Vec::new();
    for table in tables {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = BigInt)]
            n: i64,
        }
        let hits: Count = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM {} t WHERE t::text LIKE '%' || $1 || '%'",
            table.name
        ))
        .bind::<Text, _>(needle)
        .get_result(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{}: {e}", table.name));
        if hits.n > 0 {
            found.push(table.name);
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_tokens_are_retired_and_never_stored() {
    let app = TestApp::new().await;
    let sink = SmtpSink::start().await;
    let (_, token) = app.user("joe", Kind::Customer).await;
    let request = "mutation { requestPasswordReset(email: \"joe@example.com\") }";
    app.data(As::Default, request, json!({})).await;
    app.data(As::Default, request, json!({})).await;
    let worker = RunningWorker::start(&app, &sink).await;
    let messages = sink.wait_for(1, 20).await;
    // The first request was retired by the second before its mail went out: one mail.
    tokio::time::sleep(Duration::from_millis(500)).await;
    worker.stop().await;
    let resets: Vec<_> = sink
        .messages()
        .into_iter()
        .filter(|m| m.data.contains("Subject: Reset your Storefront password"))
        .collect();
    assert_eq!(resets.len(), 1, "{messages:#?}");
    let raw = token_in(&resets[0].data);
    assert_eq!(
        rows_containing(&app, &raw).await,
        Vec::<String>::new(),
        "the raw token is stored nowhere"
    );
    // A successful reset retires every token and ends every session.
    let reset = "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }";
    app.data(As::Default, reset, json!({ "t": raw, "p": "brand-new-orbit-7" })).await;
    app.refused(As::Token(&token), "{ me { id } }", json!({}), "UNAUTHENTICATED").await;
    assert_eq!(count_live_resets(&app).await, 0, "no reset request of the user is live");
}

async fn count_live_resets(app: &TestApp) -> i64 {
    app.count_sql("SELECT count(*) AS n FROM password_resets WHERE used_at IS NULL").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_email_change_is_announced_to_the_old_address() {
    let app = TestApp::new().await;
    let sink = SmtpSink::start().await;
    let (_, token) = app.user("ann", Kind::Customer).await;
    app.data(As::Token(&token),
        "mutation { updateMe(input: { email: \"ann.new@example.com\", currentPassword: \"a-strong-pass-9\" }) { email } }",
        json!({}),
    )
    .await;
    let worker = RunningWorker::start(&app, &sink).await;
    let messages = sink.wait_for(1, 20).await;
    worker.stop().await;
    let notice = messages
        .iter()
        .find(|m| m.data.contains("Subject: Your Storefront e-mail address was changed"))
        .unwrap_or_else(|| panic!("{messages:#?}"));
    assert_eq!(notice.to, vec!["ann@example.com".to_owned()]);
}

#[tokio::test]
async fn jobs_are_a_relay_connection_newest_first() {
    let app = TestApp::new().await;
    let (_, staff) = app.user("staff", Kind::Staff).await;
    for i in 0..5 {
        app.user(&format!("u{i}"), Kind::Customer).await;
        let notify_customers_mutation =
            "mutation($m: String!) { notifyCustomers(message: $m) { id } }";
        app.data(As::Token(&staff), notify_customers_mutation, json!({ "m": format!("news {i}") }))
            .await;
    }
    let page = "query($a: String) { jobs(state: QUEUED, first: 2, after: $a) { totalCount pageInfo { hasNextPage hasPreviousPage endCursor } nodes { id kind } } }";
    let first = app.data(As::Token(&staff), page, json!({ "a": null })).await;
    assert_eq!(first["jobs"]["totalCount"], 5);
    assert_eq!(first["jobs"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(first["jobs"]["pageInfo"]["hasPreviousPage"], false);
    let ids: Vec<i64> = first["jobs"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["id"].as_i64())
        .collect();
    assert!(ids.len() == 2 && ids[0] > ids[1], "{first}");
    let cursor = first["jobs"]["pageInfo"]["endCursor"].clone();
    let second = app.data(As::Token(&staff), page, json!({ "a": cursor })).await;
    assert_eq!(second["jobs"]["pageInfo"]["hasPreviousPage"], true);
    let next: Vec<i64> = second["jobs"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n["id"].as_i64())
        .collect();
    assert!(next.iter().all(|id| *id < ids[1]), "{second}");
    let too_many =
        app.gql(As::Token(&staff), "{ jobs(first: 101) { totalCount } }", json!({})).await;
    assert_eq!(
        field_errors(&too_many),
        json!({ "first": ["Ensure this value is less than or equal to 100."] })
    );
}
