//! Invoices: gap-free yearly numbers issued with the order, the PDF made once (read back
//! with a PDF parser), mailed with the confirmation and downloadable by owner and staff.

use axum::http::{StatusCode, header};
use bytes::Bytes;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde_json::json;
use storefront::email::Mailer;
use storefront::error::AppError;
use storefront::invoices::repo::issue;
use storefront::orders::model::OrderRow;

use crate::common::smtp::SmtpSink;
use crate::common::{As, Kind, TestApp, cart_with};
use crate::mail::{RunningWorker, quick_worker};

const ADD: &str = "mutation($c: UUID!, $p: Int!, $q: Int!) { addCartItem(cartId: $c, productId: $p, quantity: $q) { id } }";
const ORDER: &str =
    "mutation($c: UUID!) { createOrder(cartId: $c) { id invoice { number issuedAt url } } }";

/// The text of every page of `pdf`, parsed back with lopdf.
pub fn pdf_text(pdf: &[u8]) -> (usize, String) {
    let document = lopdf::Document::load_mem(pdf).expect("a PDF lopdf can read");
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    let text = document.extract_text(&pages).expect("the PDF's text");
    (pages.len(), text)
}

/// A cart of `token`'s holding `quantity` of `product`.
async fn cart(app: &TestApp, token: &str, product: i64, quantity: i32) -> String {
    cart_with(app, Some(token), &[(product, quantity)]).await
}

/// Places an order of `quantity` × `product` for `token`; the `createOrder` payload.
async fn order(app: &TestApp, token: &str, product: i64, quantity: i32) -> serde_json::Value {
    let cart = cart(app, token, product, quantity).await;
    let placed = app.data(As::Token(token), ORDER, json!({ "c": cart })).await;
    placed["createOrder"].clone()
}

fn year() -> i32 {
    chrono::Datelike::year(&chrono::Utc::now())
}

async fn get_invoice(app: &TestApp, url: &str, token: Option<&str>) -> (StatusCode, String, Bytes) {
    let path = url.trim_start_matches("http://127.0.0.1:8000");
    let bearer = token.map(|token| format!("Bearer {token}"));
    let headers: Vec<_> = bearer.iter().map(|b| ("authorization", b.as_str())).collect();
    let (status, headers, body) = app.get(path, &headers).await;
    let kind = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn numbers_are_gap_free_and_unique_under_concurrent_orders() {
    let app = TestApp::new().await;
    let ids = app.catalogue(&[("Lamp", "30.00", 100), ("Rare", "5.00", 1)]).await;
    let mut buyers = Vec::new();
    for i in 0..8 {
        let (_, token) = app.user(&format!("buyer{i}"), Kind::Customer).await;
        let cart = cart(&app, &token, ids[0], 1).await;
        buyers.push((token, cart));
    }
    // An order that rolls back (the stock is short) between the others takes no number.
    let (_, short) = app.user("short", Kind::Customer).await;
    let short_cart = cart(&app, &short, ids[1], 1).await;
    app.sql("UPDATE products SET inventory = 0 WHERE title = 'Rare'").await;
    let placing =
        buyers.iter().map(|(token, cart)| app.gql(As::Token(token), ORDER, json!({ "c": cart })));
    let failing = app.gql(As::Token(&short), ORDER, json!({ "c": short_cart }));
    let (answers, refused) = tokio::join!(futures_util::future::join_all(placing), failing);
    assert_eq!(refused["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{refused}");
    let mut numbers: Vec<String> = answers
        .iter()
        .map(|a| a["data"]["createOrder"]["invoice"]["number"].as_str().unwrap().to_owned())
        .collect();
    numbers.sort();
    let expected: Vec<String> = (1..=8).map(|n| format!("{}-{n:06}", year())).collect();
    assert_eq!(numbers, expected, "one number each, no gaps, none shared");
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM invoices").await, 8);
    // The next order continues the sequence.
    let (_, late) = app.user("late", Kind::Customer).await;
    let next = order(&app, &late, ids[0], 1).await;
    assert_eq!(next["invoice"]["number"], format!("{}-000009", year()));

    // A second invoice for an order is refused; a transaction that took a number and
    // rolled back gives it back.
    let mut conn = app.conn().await;
    let order_id = next["id"].as_i64().unwrap();
    assert!(issue(&mut conn, order_id).await.is_err());
    let rolled_back = conn
        .transaction::<(), AppError, _>(async |conn| {
            let row: OrderRow = diesel::sql_query(
                "INSERT INTO orders (customer_id) SELECT customer_id FROM orders LIMIT 1 RETURNING *",
            )
            .get_result(&mut *conn)
            .await?;
            assert_eq!(issue(conn, row.id).await?, format!("{}-000010", year()));
            Err(AppError::not_found())
        })
        .await;
    assert!(rolled_back.is_err());
    drop(conn);
    let after = order(&app, &late, ids[0], 1).await;
    assert_eq!(after["invoice"]["number"], format!("{}-000010", year()));
}

#[tokio::test]
async fn the_invoice_comes_with_the_order() {
    let app = TestApp::new().await;
    let ids = app.catalogue(&[("Lamp", "30.00", 10)]).await;
    let (_, token) = app.user("ann", Kind::Customer).await;
    let placed = order(&app, &token, ids[0], 2).await;
    let number = format!("{}-000001", year());
    assert_eq!(placed["invoice"]["number"], number);
    assert_eq!(placed["invoice"]["url"], format!("http://127.0.0.1:8000/invoices/{number}.pdf"));
    let issued =
        chrono::DateTime::parse_from_rfc3339(placed["invoice"]["issuedAt"].as_str().unwrap())
            .unwrap();
    assert!((chrono::Utc::now() - issued.to_utc()).num_seconds().abs() < 60);
    // Listed orders load their invoices in one batch.
    let list = "{ orders(first: 10) { edges { node { id invoice { number } } } } }";
    let listed = app.data(As::Token(&token), list, json!({})).await;
    assert_eq!(listed["orders"]["edges"][0]["node"]["invoice"]["number"], number);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_confirmation_carries_the_pdf_and_a_rerun_makes_no_second_invoice() {
    let app = TestApp::new().await;
    let sink = SmtpSink::start().await;
    let ids = app.catalogue(&[("Walnut desk", "249.50", 10)]).await;
    let (_, token) = app.user("joe", Kind::Customer).await;
    let placed = order(&app, &token, ids[0], 2).await;
    let number = placed["invoice"]["number"].as_str().unwrap().to_owned();
    let start = || {
        let from = "Storefront <noreply@storefront.example>".parse().unwrap();
        RunningWorker::start_with(
            &app,
            Mailer::smtp(&sink.url(), from, Vec::new()).unwrap(),
            quick_worker(),
        )
    };
    let worker = start();
    let messages = sink.wait_for(1, 20).await;
    worker.stop().await;
    let first = attachment(&messages[0].data, &format!("invoice-{number}.pdf"));
    assert!(messages[0].data.contains("Content-Type: application/pdf"));
    assert!(!messages[0].data.contains("receipt-"), "the PDF replaces the text receipt");
    let (pages, text) = pdf_text(&first);
    assert_eq!(pages, 1);
    for expected in [
        number.as_str(),
        "Walnut desk",
        "249.50",
        "499.00",
        "Storefront",
        "noreply@storefront.example",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text:?}");
    }
    assert!(text.contains(&format!("Order #{}", placed["id"])), "{text:?}");

    // The job again, as after a crash between sending and recording it.
    app.sql("UPDATE orders SET confirmation_sent_at = NULL").await;
    let mut conn = app.conn().await;
    let payload = json!({ "order_id": placed["id"] });
    storefront::jobs::enqueue(
        &mut conn,
        storefront::jobs::task::SEND_ORDER_CONFIRMATION,
        payload,
        None,
    )
    .await
    .unwrap();
    drop(conn);
    let worker = start();
    let messages = sink.wait_for(2, 20).await;
    worker.stop().await;
    let second = attachment(&messages[1].data, &format!("invoice-{number}.pdf"));
    assert_eq!(first, second, "the same document, not a second one");
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM invoices").await, 1);
    assert_eq!(app.count_sql("SELECT max(last_seq)::bigint AS n FROM invoice_years").await, 1);
}

/// The decoded body of the attachment named `filename` in a raw MIME message.
fn attachment(message: &str, filename: &str) -> Vec<u8> {
    use base64::Engine;
    let at = message
        .find(&format!("filename=\"{filename}\""))
        .unwrap_or_else(|| panic!("{filename} attached in {message}"));
    let rest = &message[at..];
    let body = &rest[rest.find("\r\n\r\n").unwrap() + 4..];
    let encoded: String = body.lines().take_while(|line| !line.starts_with("--")).collect();
    base64::engine::general_purpose::STANDARD.decode(encoded.trim()).unwrap()
}

#[tokio::test]
async fn only_the_owner_and_staff_download_it() {
    let app = TestApp::new().await;
    let ids = app.catalogue(&[("Lamp", "30.00", 10)]).await;
    let [(_, owner), (_, other), (_, staff)] =
        app.users([("ann", Kind::Customer), ("bob", Kind::Customer), ("sam", Kind::Staff)]).await;
    let placed = order(&app, &owner, ids[0], 3).await;
    let url = placed["invoice"]["url"].as_str().unwrap();
    let number = placed["invoice"]["number"].as_str().unwrap();

    // Downloaded before the job ran: rendered now and kept.
    let (status, kind, pdf) = get_invoice(&app, url, Some(&owner)).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "application/pdf"));
    let (_, text) = pdf_text(&pdf);
    assert!(text.contains(number) && text.contains("90.00"), "{text:?}");
    let (status, _, by_staff) = get_invoice(&app, url, Some(&staff)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_staff, pdf, "the kept document");
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM invoices WHERE pdf IS NOT NULL").await, 1);

    for token in [Some(other.as_str()), None] {
        let (status, _, body) = get_invoice(&app, url, token).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    }
    let unknown = format!("/invoices/{}-999999.pdf", year());
    for path in [unknown.as_str(), "/invoices/nonsense.pdf", "/invoices/2026-000001"] {
        let (status, _, _) = get_invoice(&app, path, Some(&staff)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
    }
    let (status, _, body) = get_invoice(&app, url, Some("not-a-token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body:?}");
}

#[tokio::test]
async fn long_invoices_run_over_pages() {
    let app = TestApp::new().await;
    let titles: Vec<String> =
        (1..=35).map(|i| format!("Product {i} \u{2014} \u{ab}special\u{bb} edition")).collect();
    let specs: Vec<(&str, &str, i32)> = titles.iter().map(|t| (t.as_str(), "10.25", 5)).collect();
    let ids = app.catalogue(&specs).await;
    let (_, token) = app.user("zoe", Kind::Customer).await;
    app.sql("UPDATE users SET first_name = 'Zo\u{eb}', last_name = '\u{c4}ngstr\u{f6}m'").await;
    let cart = cart(&app, &token, ids[0], 1).await;
    for id in &ids[1..] {
        let vars = json!({ "c": cart, "p": id, "q": 2 });
        app.data(As::Token(&token), ADD, vars).await;
    }
    let placed = app.data(As::Token(&token), ORDER, json!({ "c": cart })).await;
    let url = placed["createOrder"]["invoice"]["url"].as_str().unwrap();
    let (status, _, pdf) = get_invoice(&app, url, Some(&token)).await;
    assert_eq!(status, StatusCode::OK);
    let (pages, text) = pdf_text(&pdf);
    assert_eq!(pages, 2, "30 lines a page");
    for expected in [
        titles[0].as_str(),
        titles[34].as_str(),
        "Zo\u{eb} \u{c4}ngstr\u{f6}m",
        "10.25",
        "20.50",
        "707.25",
    ] {
        assert!(text.contains(expected), "{expected:?} in {text:?}");
    }
}
