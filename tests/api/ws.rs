//! graphql-transport-ws over a real WebSocket: every protocol rule, the budget, and
//! authentication that does not outlive its token.

use std::time::Duration;

use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::json;
use storefront::app::AppOptions;
use storefront::auth::jwt::{Claims, TokenType};
use storefront::config::Budget;
use storefront::db::schema::users;

use crate::common::ws::{Served, WsClient};
use crate::common::{As, Kind, TestApp};

const WATCH_ORDERS: &str = "subscription { orderCreated { id } }";

async fn app() -> TestApp {
    let budget = Budget {
        ws_init_timeout: Duration::from_millis(500),
        ws_max_operations: 2,
        ws_max_message_bytes: 4 * 1024,
        ..Budget::default()
    };
    TestApp::with_options(AppOptions { budget, ..AppOptions::default() }).await
}

/// The app served on a real socket, and a client connected to it as a staff user.
async fn as_staff(app: &TestApp) -> (Served, WsClient) {
    let served = Served::start(app.router.clone()).await;
    let (_, staff) = app.user("staff", Kind::Staff).await;
    let client = WsClient::connect(served.addr, Some(&staff)).await;
    (served, client)
}

#[tokio::test]
async fn subscribe_before_init_is_unauthorized_and_init_must_come_in_time() {
    let app = app().await;
    let served = Served::start(app.router.clone()).await;
    let mut early = WsClient::open(served.addr).await;
    early.subscribe("1", "{ __typename }").await;
    assert_eq!(early.expect_close(4401).await, "Unauthorized");
    let mut silent = WsClient::open(served.addr).await;
    assert_eq!(
        silent.expect_close_within(4408, Duration::from_secs(3)).await,
        "Connection initialisation timeout"
    );
}

#[tokio::test]
async fn ping_pong_init_once_and_unknown_messages() {
    let app = app().await;
    let served = Served::start(app.router.clone()).await;
    let mut client = WsClient::open(served.addr).await;
    client.send(json!({ "type": "ping" })).await;
    assert_eq!(client.next().await, json!({ "type": "pong" }));
    client.send(json!({ "type": "connection_init", "payload": {} })).await;
    assert_eq!(client.next().await["type"], "connection_ack");
    client.send(json!({ "type": "ping" })).await;
    assert_eq!(client.next().await["type"], "pong");
    client.send(json!({ "type": "connection_init" })).await;
    assert_eq!(client.expect_close(4429).await, "Too many initialisation requests");
    for bad in [
        json!({ "type": "launch_missiles" }).to_string(),
        json!({ "id": "1", "type": "next", "payload": {} }).to_string(),
        "not json".to_owned(),
        json!({ "type": "subscribe", "payload": { "query": "{ __typename }" } }).to_string(),
    ] {
        let mut client = WsClient::connect(served.addr, None).await;
        client.send_text(bad.clone()).await;
        client.expect_close(4400).await;
    }
}

#[tokio::test]
async fn operations_complete_both_ways_and_ids_are_unique_while_active() {
    let app = app().await;
    let (_served, mut client) = as_staff(&app).await;
    // A query over the socket: one `next`, then the server's `complete`.
    client.subscribe("q", "{ __typename }").await;
    assert_eq!(
        client.next().await,
        json!({ "id": "q", "type": "next", "payload": { "data": { "__typename": "Query" } } })
    );
    assert_eq!(client.next().await, json!({ "id": "q", "type": "complete" }));
    // A finished id may be used again.
    client.subscribe("q", "{ __typename }").await;
    assert_eq!(client.next().await["type"], "next");
    assert_eq!(client.next().await["type"], "complete");
    // The client completes a running subscription; its id is free again.
    client.subscribe("s", WATCH_ORDERS).await;
    client.send(json!({ "id": "s", "type": "complete" })).await;
    client.subscribe("s", WATCH_ORDERS).await;
    client.expect_silence(Duration::from_millis(300)).await;
    // A second subscribe with an id that is still active closes the socket.
    client.subscribe("s", WATCH_ORDERS).await;
    assert_eq!(client.expect_close(4409).await, "Subscriber for s already exists");
}

#[tokio::test]
async fn invalid_documents_get_one_error_message_and_the_budget_applies() {
    let app = app().await;
    let served = Served::start(app.router.clone()).await;
    let mut client = WsClient::connect(served.addr, None).await;
    client.subscribe("1", "{ noSuchField }").await;
    let error = client.next().await;
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(error["id"], "1");
    assert_eq!(error["payload"][0]["extensions"]["code"], "BAD_USER_INPUT");
    client.expect_silence(Duration::from_millis(300)).await;
    let nested =
        "{ products(first:100){ nodes{ collection{ products(first:100){ nodes{ id } } } } } }";
    client.subscribe("2", nested).await;
    let error = client.next().await;
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(error["payload"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX");
    assert_eq!(
        error["payload"][0]["extensions"]["cost"],
        json!({ "requested": 10_301, "maximum": 5_000 })
    );
    client.expect_silence(Duration::from_millis(300)).await;
    // A NUL character is refused over the socket too.
    client
        .send(json!({ "id": "3", "type": "subscribe", "payload": {
            "query": "query($s: String) { products(search: $s) { totalCount } }",
            "variables": { "s": "a\u{0}" } } }))
        .await;
    let error = client.next().await;
    assert_eq!(error["type"], "error", "{error}");
    assert_eq!(
        error["payload"][0]["extensions"]["fields"],
        json!({ "search": ["Null characters are not allowed."] })
    );
}

#[tokio::test]
async fn operations_and_message_sizes_are_capped_per_socket() {
    let app = app().await;
    let (_served, mut client) = as_staff(&app).await;
    client.subscribe("1", WATCH_ORDERS).await;
    client.subscribe("2", WATCH_ORDERS).await;
    client.subscribe("3", WATCH_ORDERS).await;
    let refused = client.next().await;
    assert_eq!(refused["id"], "3");
    assert_eq!(refused["type"], "error");
    assert_eq!(refused["payload"][0]["extensions"]["code"], "RATE_LIMITED");
    assert_eq!(refused["payload"][0]["extensions"]["status"], 429);
    // The socket stays open.
    client.send(json!({ "type": "ping" })).await;
    assert_eq!(client.next().await["type"], "pong");
    // A message over WS_MAX_MESSAGE_BYTES closes it with 1009.
    client
        .send(json!({ "id": "4", "type": "subscribe", "payload": { "query": format!("{{ __typename }} #{}", "x".repeat(5_000)) } }))
        .await;
    client.expect_close(1009).await;
}

#[tokio::test]
async fn bad_tokens_are_forbidden_and_expiry_closes_the_socket() {
    let app = app().await;
    let served = Served::start(app.router.clone()).await;
    let mut client = WsClient::open(served.addr).await;
    client
        .send(json!({ "type": "connection_init", "payload": { "Authorization": "Bearer not-a-token" } }))
        .await;
    assert_eq!(client.expect_close(4403).await, "Forbidden");

    let (staff, _) = app.user("staff", Kind::Staff).await;
    let session = app.session(&staff).await;
    let sid = storefront::auth::jwt::JwtKeys::new(
        crate::common::TEST_SECRET,
        Duration::from_secs(60),
        Duration::from_secs(60),
    )
    .decode(&session.access)
    .and_then(|claims| claims.sid);
    let now = Utc::now().timestamp();
    let short = app
        .auth
        .jwt
        .sign(&Claims {
            token_type: TokenType::Access,
            exp: now + 4,
            iat: now,
            jti: "short-lived".to_owned(),
            user_id: staff.id,
            sid,
        })
        .unwrap();
    let mut client = WsClient::connect(served.addr, Some(&short)).await;
    client.subscribe("1", WATCH_ORDERS).await;
    assert_eq!(client.expect_close_within(4403, Duration::from_secs(8)).await, "Forbidden");
}

#[tokio::test]
async fn deactivation_and_losing_staff_close_the_socket_within_5_seconds() {
    let app = app().await;
    let served = Served::start(app.router.clone()).await;
    let [(staff, staff_token), (other, other_token)] =
        app.users([("staff", Kind::Staff), ("other", Kind::Staff)]).await;
    let mut demoted = WsClient::connect(served.addr, Some(&staff_token)).await;
    demoted.subscribe("1", WATCH_ORDERS).await;
    let mut deactivated = WsClient::connect(served.addr, Some(&other_token)).await;
    deactivated.subscribe("1", WATCH_ORDERS).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut conn = app.conn().await;
    diesel::update(users::table.find(staff.id))
        .set(users::is_staff.eq(false))
        .execute(&mut conn)
        .await
        .unwrap();
    diesel::update(users::table.find(other.id))
        .set(users::is_active.eq(false))
        .execute(&mut conn)
        .await
        .unwrap();
    demoted.expect_close_within(4403, Duration::from_secs(5)).await;
    deactivated.expect_close_within(4403, Duration::from_secs(5)).await;
}

#[tokio::test]
async fn shutdown_closes_sockets_with_going_away() {
    let app = app().await;
    let served = Served::start(app.router.clone()).await;
    let mut client = WsClient::connect(served.addr, None).await;
    app.state.begin_shutdown();
    assert_eq!(client.expect_close(1001).await, "Going away");
}

#[tokio::test]
async fn signing_out_closes_the_sessions_sockets() {
    let app = app().await;
    let served = Served::start(app.router.clone()).await;
    let (staff, _) = app.user("staff", Kind::Staff).await;
    let session = app.session(&staff).await;
    let mut client = WsClient::connect(served.addr, Some(&session.access)).await;
    client.subscribe("1", WATCH_ORDERS).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let logout_mutation = "mutation($r: String!) { logout(refresh: $r) }";
    app.data(As::Default, logout_mutation, serde_json::json!({ "r": session.refresh })).await;
    client.expect_close_within(4403, Duration::from_secs(5)).await;
}
