//! Orders: atomic checkout, scoping, staff updates, events and subscriptions.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::{Value, json};
use storefront::app::AppOptions;
use storefront::auth::model::UserRow;
use storefront::db::schema::{carts, order_items, orders, products};
use storefront::orders::events::{Listener, OrderEvent, OrderEvents, OrderSubscriber};

use crate::common::ws::{Served, WsClient};
use crate::common::{As, Kind, TestApp, cart_with, error, factories, field_errors, post_graphql};

const ORDER: &str = "mutation($c: UUID!) { createOrder(cartId: $c) { id customerId placedAt paymentStatus totalPrice items { productId unitPrice quantity product { title unitPrice } } } }";

async fn inventory(app: &TestApp, id: i64) -> i32 {
    let mut conn = app.conn().await;
    products::table.find(id).select(products::inventory).get_result(&mut conn).await.unwrap()
}

async fn counts(app: &TestApp) -> (i64, i64, i64) {
    let mut conn = app.conn().await;
    let o: i64 = orders::table.count().get_result(&mut conn).await.unwrap();
    let i: i64 = order_items::table.count().get_result(&mut conn).await.unwrap();
    let c: i64 = carts::table.count().get_result(&mut conn).await.unwrap();
    (o, i, c)
}

/// A catalogue of `(title, price, inventory, quantity)`, the customer ann, and a guest cart
/// holding `quantity` of each product.
async fn ann_and_a_cart(
    products: &[(&str, &str, i32, i32)],
) -> (TestApp, Vec<i64>, (UserRow, String), String) {
    let app = TestApp::new().await;
    let specs: Vec<_> =
        products.iter().map(|&(title, price, stock, _)| (title, price, stock)).collect();
    let ids = app.catalogue(&specs).await;
    let ann = app.user("ann", Kind::Customer).await;
    let lines: Vec<_> = ids.iter().zip(products).map(|(id, line)| (*id, line.3)).collect();
    let cart = cart_with(&app, None, &lines).await;
    (app, ids, ann, cart)
}

#[tokio::test]
async fn checkout_turns_a_cart_into_an_order_atomically() {
    let (app, ids, (ann, token), cart) =
        ann_and_a_cart(&[("Laptop", "1000.00", 15, 10), ("Mouse", "50.00", 30, 20)]).await;
    app.refused(As::Anon, ORDER, json!({ "c": cart }), "UNAUTHENTICATED").await;

    let order =
        app.data(As::Token(&token), ORDER, json!({ "c": cart })).await["createOrder"].clone();
    let mut conn = app.conn().await;
    let customer = factories::customer_of(&mut conn, ann.id).await;
    drop(conn);
    assert_eq!(order["customerId"], customer);
    assert_eq!(order["paymentStatus"], "PENDING");
    assert_eq!(order["totalPrice"], json!(11000));
    let placed: chrono::DateTime<chrono::Utc> =
        order["placedAt"].as_str().and_then(|s| s.parse().ok()).unwrap_or_default();
    assert!((chrono::Utc::now() - placed).num_seconds() < 60);
    assert_eq!(
        order["items"],
        json!([
            { "productId": ids[0], "unitPrice": 1000, "quantity": 10, "product": { "title": "Laptop", "unitPrice": 1000 } },
            { "productId": ids[1], "unitPrice": 50, "quantity": 20, "product": { "title": "Mouse", "unitPrice": 50 } }
        ])
    );
    assert_eq!(
        (inventory(&app, ids[0]).await, inventory(&app, ids[1]).await),
        (5, 10),
        "stock was taken"
    );
    let cart_query = "query($c: UUID!) { cart(id: $c) { id } }";
    app.refused(As::Default, cart_query, json!({ "c": cart }), "NOT_FOUND").await;
    assert_eq!(counts(&app).await, (1, 2, 0), "the cart and its lines are gone");

    // The prices paid do not follow later price changes.
    let staff = app.user("staff", Kind::Staff).await.1;
    let patch_product_mutation =
        "mutation($id: Int!) { patchProduct(id: $id, input: { unitPrice: 1200 }) { id } }";
    app.data(As::Token(&staff), patch_product_mutation, json!({ "id": ids[0] })).await;
    let again_query =
        "query($id: Int!) { order(id: $id) { items { unitPrice product { unitPrice } } } }";
    let again = app.data(As::Token(&token), again_query, json!({ "id": order["id"] })).await;
    assert_eq!(
        again["order"]["items"][0],
        json!({ "unitPrice": 1000, "product": { "unitPrice": 1200 } })
    );
}

#[tokio::test]
async fn checkout_validation_in_order() {
    let app = TestApp::new().await;
    let ids = app.catalogue(&[("A", "1.00", 10)]).await;
    let [(_, ann), (_, bob)] = app.users([("ann", Kind::Customer), ("bob", Kind::Customer)]).await;
    let unknown = app.gql(As::Token(&ann), ORDER, json!({ "c": uuid::Uuid::new_v4() })).await;
    assert_eq!(
        field_errors(&unknown),
        json!({ "cartId": ["No cart with the given ID was found."] })
    );
    let malformed = app.gql(As::Token(&ann), ORDER, json!({ "c": "invalid-cart-id" })).await;
    let message =
        error(&malformed, "BAD_USER_INPUT", 400)["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("Must be a valid UUID."), "{message}");
    let empty = cart_with(&app, None, &[]).await;
    let response = app.gql(As::Token(&ann), ORDER, json!({ "c": empty })).await;
    assert_eq!(field_errors(&response), json!({ "cartId": ["The cart is empty."] }));
    app.data(As::Default, "query($c: UUID!) { cart(id: $c) { id } }", json!({ "c": empty })).await;
    // Someone else's cart is as good as missing; one's own cart works.
    let bobs = cart_with(&app, Some(&bob), &[(ids[0], 1)]).await;
    let theirs = app.gql(As::Token(&ann), ORDER, json!({ "c": bobs })).await;
    assert_eq!(
        field_errors(&theirs),
        json!({ "cartId": ["No cart with the given ID was found."] })
    );
    app.data(As::Token(&bob), ORDER, json!({ "c": bobs })).await;
    assert_eq!(counts(&app).await.0, 1);
}

#[tokio::test]
async fn a_shortfall_rolls_everything_back() {
    let (app, ids, (_, ann), cart) =
        ann_and_a_cart(&[("A", "1.00", 10, 4), ("B", "2.00", 10, 6)]).await;
    // Stock of B drops behind the cart's back (a sale elsewhere, an inventory count).
    app.sql(&format!("UPDATE products SET inventory = 5 WHERE id = {}", ids[1])).await;
    let before = counts(&app).await;
    let response = app.gql(As::Token(&ann), ORDER, json!({ "c": cart })).await;
    assert_eq!(field_errors(&response), json!({ "cartId": ["Only 5 left in stock."] }));
    assert_eq!(counts(&app).await, before, "no order, no items, the cart intact");
    assert_eq!(
        (inventory(&app, ids[0]).await, inventory(&app, ids[1]).await),
        (10, 5),
        "A's stock was given back"
    );
    let lines_query = "query($c: UUID!) { cart(id: $c) { items { quantity } } }";
    let lines = app.data(As::Default, lines_query, json!({ "c": cart })).await;
    assert_eq!(lines["cart"]["items"], json!([{ "quantity": 4 }, { "quantity": 6 }]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cart_is_ordered_once_even_by_concurrent_requests() {
    let app = TestApp::new().await;
    let ids = app.catalogue(&[("A", "1.00", 1000)]).await;
    let (_, ann) = app.user("ann", Kind::Customer).await;
    for _ in 0..5 {
        let cart = cart_with(&app, None, &[(ids[0], 3)]).await;
        let (a, b) = tokio::join!(
            app.gql(As::Token(&ann), ORDER, json!({ "c": cart })),
            app.gql(As::Token(&ann), ORDER, json!({ "c": cart }))
        );
        let ok: Vec<&Value> = [&a, &b].into_iter().filter(|r| r.get("errors").is_none()).collect();
        assert_eq!(ok.len(), 1, "{a} {b}");
        let failed = if a.get("errors").is_some() { &a } else { &b };
        assert_eq!(
            field_errors(failed),
            json!({ "cartId": ["No cart with the given ID was found."] })
        );
    }
    assert_eq!(counts(&app).await.0, 5);
    assert_eq!(inventory(&app, ids[0]).await, 1000 - 15);
}

/// Three orders, by ann, bob and ann again: the app, ann's and staff's tokens, the ids.
async fn three_orders() -> (TestApp, String, String, Vec<i64>) {
    let app = TestApp::new().await;
    let ids = app.catalogue(&[("A", "1.00", 100)]).await;
    let [(_, ann), (_, bob), (_, staff)] =
        app.users([("ann", Kind::Customer), ("bob", Kind::Customer), ("staff", Kind::Staff)]).await;
    let mut placed = Vec::new();
    for token in [&ann, &bob, &ann] {
        let cart = cart_with(&app, None, &[(ids[0], 1)]).await;
        let order = app.data(As::Token(token), ORDER, json!({ "c": cart })).await;
        placed.push(order["createOrder"]["id"].as_i64().unwrap());
    }
    (app, ann, staff, placed)
}

const ORDERS: &str = "{ orders(first: 10) { totalCount nodes { id } } }";

async fn order_ids(app: &TestApp, caller: As<'_>) -> Vec<i64> {
    let data = app.data(caller, ORDERS, json!({})).await;
    let nodes = data["orders"]["nodes"].as_array().unwrap();
    nodes.iter().filter_map(|x| x["id"].as_i64()).collect()
}

#[tokio::test]
async fn customers_see_their_own_orders_and_staff_see_all() {
    let (app, ann, staff, placed) = three_orders().await;
    assert_eq!(
        order_ids(&app, As::Token(&ann)).await,
        [placed[2], placed[0]],
        "own orders, newest first"
    );
    assert_eq!(order_ids(&app, As::Token(&staff)).await, [placed[2], placed[1], placed[0]]);
    app.refused(As::Anon, ORDERS, json!({}), "UNAUTHENTICATED").await;
    let one = "query($id: Int!) { order(id: $id) { id } }";
    let bobs = json!({ "id": placed[1] });
    app.refused(As::Token(&ann), one, bobs.clone(), "NOT_FOUND").await;
    app.data(As::Token(&staff), one, bobs).await;
}

#[tokio::test]
async fn a_user_without_a_customer_sees_no_orders_and_gets_none_created() {
    let app = TestApp::new().await;
    let (carl, token) = app.user("carl", Kind::Customer).await;
    let mut conn = app.conn().await;
    diesel::delete(
        storefront::db::schema::customers::table
            .filter(storefront::db::schema::customers::user_id.eq(carl.id)),
    )
    .execute(&mut conn)
    .await
    .unwrap();
    drop(conn);
    let orders = app.data(As::Token(&token), ORDERS, json!({})).await;
    assert_eq!(orders["orders"]["totalCount"], 0);
    let mut conn = app.conn().await;
    let customer = storefront::customers::repo::find_by_user(&mut conn, carl.id).await;
    assert!(customer.unwrap().is_none());
}

#[tokio::test]
async fn only_staff_update_and_delete_orders() {
    let (app, ann, staff, placed) = three_orders().await;
    let update = "mutation($id: Int!, $s: PaymentStatus!) { updateOrder(id: $id, paymentStatus: $s) { id paymentStatus items { quantity } } }";
    let complete = json!({ "id": placed[0], "s": "COMPLETE" });
    app.refused(As::Token(&ann), update, complete.clone(), "FORBIDDEN").await;
    let updated = app.data(As::Token(&staff), update, complete).await;
    assert_eq!(
        updated["updateOrder"],
        json!({ "id": placed[0], "paymentStatus": "COMPLETE", "items": [{ "quantity": 1 }] })
    );
    let bad = json!({ "id": placed[0], "s": "completed" });
    app.refused(As::Token(&staff), update, bad, "BAD_USER_INPUT").await;
    let missing = json!({ "id": 99999, "s": "FAILED" });
    app.refused(As::Token(&staff), update, missing, "NOT_FOUND").await;

    let delete = "mutation($id: Int!) { deleteOrder(id: $id) }";
    let first = json!({ "id": placed[0] });
    app.refused(As::Token(&ann), delete, first.clone(), "FORBIDDEN").await;
    let deleted = app.data(As::Token(&staff), delete, first.clone()).await;
    assert_eq!(deleted["deleteOrder"], true);
    app.refused(As::Token(&staff), delete, first, "NOT_FOUND").await;
    assert_eq!(counts(&app).await.1, 2, "the deleted order's items went with it");
}

#[tokio::test]
async fn an_order_page_runs_a_fixed_number_of_statements() {
    let app = TestApp::counting().await;
    let ids = app.catalogue(&[("A", "1.00", 1000), ("B", "2.00", 1000)]).await;
    let (_, staff) = app.user("staff", Kind::Staff).await;
    for i in 0..12 {
        let (_, token) = app.user(&format!("buyer{i}"), Kind::Customer).await;
        let cart = cart_with(&app, None, &[(ids[0], 1), (ids[1], 2)]).await;
        app.data(As::Token(&token), ORDER, json!({ "c": cart })).await;
    }
    let query = "query($n: Int) { orders(first: $n) { nodes { items { product { title } } customer { user { username } } invoice { number url } } } }";
    let small = app.count_statements(As::Token(&staff), query, json!({ "n": 2 })).await;
    let large = app.count_statements(As::Token(&staff), query, json!({ "n": 50 })).await;
    assert_eq!(small, large);
    assert!(large <= 7, "{large} statements (the token's user lookup included)");
}

/// A subscriber that records what it sees.
struct Recorder(Arc<Mutex<Vec<OrderEvent>>>);

impl OrderSubscriber for Recorder {
    fn name(&self) -> &str {
        "recorder"
    }
    fn on_event<'a>(&'a self, event: &'a OrderEvent) -> BoxFuture<'a, anyhow::Result<()>> {
        async move {
            self.0.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.push(event.clone());
            Ok(())
        }
        .boxed()
    }
}

/// A subscriber that always fails (or panics).
struct Broken(bool);

impl OrderSubscriber for Broken {
    fn name(&self) -> &str {
        "broken"
    }
    fn on_event<'a>(&'a self, _: &'a OrderEvent) -> BoxFuture<'a, anyhow::Result<()>> {
        let panics = self.0;
        async move {
            if panics {
                panic!("subscriber bug");
            }
            anyhow::bail!("mail server down")
        }
        .boxed()
    }
}

#[tokio::test]
async fn order_created_is_published_after_commit_and_subscribers_are_isolated() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let events = OrderEvents::new(vec![
        Arc::new(Broken(true)),
        Arc::new(Broken(false)),
        Arc::new(Recorder(seen.clone())),
    ]);
    let (app, listener) = app_with_events(events).await;
    let ids = app.catalogue(&[("A", "1.00", 1)]).await;
    let (ann, token) = app.user("ann", Kind::Customer).await;

    // A rolled-back order publishes nothing.
    let too_many = cart_with(&app, None, &[(ids[0], 1)]).await;
    app.sql(&format!("UPDATE products SET inventory = 0 WHERE id = {}", ids[0])).await;
    app.refused(As::Token(&token), ORDER, json!({ "c": too_many }), "BAD_USER_INPUT").await;
    app.sql(&format!("UPDATE products SET inventory = 1 WHERE id = {}", ids[0])).await;

    let order =
        app.data(As::Token(&token), ORDER, json!({ "c": too_many })).await["createOrder"]["id"]
            .as_i64()
            .unwrap_or_default();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen.lock().map(|s| s.is_empty()).unwrap_or(true)
        && tokio::time::Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let recorded = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert_eq!(recorded.len(), 1, "exactly one event, for the committed order: {recorded:?}");
    assert_eq!((recorded[0].order_id, recorded[0].user_id), (order, ann.id));
    listener.stop();
}

/// An app whose order events go to `events`, with the listener that `serve` runs.
async fn app_with_events(events: OrderEvents) -> (TestApp, Listener) {
    let app =
        TestApp::with_options(AppOptions { events: events.clone(), ..AppOptions::default() }).await;
    let mut listener = Listener::spawn(app.db.url.clone(), events);
    listener.ready().await;
    (app, listener)
}

/// An app that listens for order events (as `serve` does) and serves WebSockets.
async fn listening_app() -> (TestApp, Listener, Served) {
    let (app, listener) = app_with_events(OrderEvents::default()).await;
    let served = Served::start(app.router.clone()).await;
    (app, listener, served)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscriptions_see_orders_placed_through_another_instance() {
    // Instance A serves WebSockets and listens; instance B shares the database.
    let (a, listener, served) = listening_app().await;
    let addr = served.addr;
    let pool_b = storefront::db::create_pool(&a.db.url, 2).unwrap();
    let b = storefront::build_app(storefront::AppState::new(pool_b, a.auth.clone()));

    let ids = a.catalogue(&[("A", "1.00", 100)]).await;
    let (_, staff) = a.user("staff", Kind::Staff).await;
    let (_, ann_token) = a.user("ann", Kind::Customer).await;

    let mut staff_ws = WsClient::connect(addr, Some(&staff)).await;
    staff_ws.send(json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { orderCreated { id customerId items { quantity } } }" } })).await;
    let mut ann_ws = WsClient::connect(addr, Some(&ann_token)).await;
    ann_ws.send(json!({ "id": "2", "type": "subscribe", "payload": { "query": "subscription { myOrderUpdated { id paymentStatus } }" } })).await;
    // Only staff may watch every order.
    let mut nosy = WsClient::connect(addr, Some(&ann_token)).await;
    nosy.send(json!({ "id": "3", "type": "subscribe", "payload": { "query": "subscription { orderCreated { id } }" } })).await;
    let refused = nosy.next().await;
    assert_eq!(refused["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN", "{refused}");
    tokio::time::sleep(Duration::from_millis(200)).await;

    // Place the order through instance B.
    let gql_b = async |token: &str, query: &str, variables: Value| -> Value {
        let bearer = format!("Bearer {token}");
        post_graphql(&b, Some(&bearer), None, query, variables).await.2
    };
    let cart = cart_with(&a, None, &[(ids[0], 2)]).await;
    let placed = gql_b(
        &ann_token,
        "mutation($c: UUID!) { createOrder(cartId: $c) { id } }",
        json!({ "c": cart }),
    )
    .await;
    let order_id =
        placed["data"]["createOrder"]["id"].as_i64().unwrap_or_else(|| panic!("{placed}"));

    let created = staff_ws.next().await;
    assert_eq!(created["type"], "next");
    assert_eq!(created["payload"]["data"]["orderCreated"]["id"], order_id);
    assert_eq!(created["payload"]["data"]["orderCreated"]["items"], json!([{ "quantity": 2 }]));
    let mine = ann_ws.next().await;
    assert_eq!(
        mine["payload"]["data"]["myOrderUpdated"],
        json!({ "id": order_id, "paymentStatus": "PENDING" })
    );

    gql_b(
        &staff,
        "mutation($id: Int!) { updateOrder(id: $id, paymentStatus: COMPLETE) { id } }",
        json!({ "id": order_id }),
    )
    .await;
    let paid = ann_ws.next().await;
    assert_eq!(
        paid["payload"]["data"]["myOrderUpdated"],
        json!({ "id": order_id, "paymentStatus": "COMPLETE" })
    );
    listener.stop();
    drop(served);
}

/// However many sockets watch new orders, each event reads its order once on an instance:
/// the subscriptions share that one read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_share_one_read_of_each_new_order() {
    let (a, listener, served) = listening_app().await;
    let ids = a.catalogue(&[("A", "1.00", 100)]).await;
    let (_, staff) = a.user("staff", Kind::Staff).await;
    let (_, ann) = a.user("ann", Kind::Customer).await;
    let mut sockets = Vec::new();
    for _ in 0..5 {
        let mut ws = WsClient::connect(served.addr, Some(&staff)).await;
        ws.send(json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { orderCreated { id } }" } })).await;
        sockets.push(ws);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The order is placed through another instance's pool, so only the reads that
    // deliver it run on this one.
    let cart = cart_with(&a, None, &[(ids[0], 1)]).await;
    let pool_b = storefront::db::create_pool(&a.db.url, 2).unwrap();
    let b = storefront::build_app(storefront::AppState::new(pool_b, a.auth.clone()));
    a.statements.reset();
    let bearer = format!("Bearer {ann}");
    let placed = post_graphql(
        &b,
        Some(&bearer),
        None,
        "mutation($c: UUID!) { createOrder(cartId: $c) { id } }",
        json!({ "c": cart }),
    )
    .await
    .2;
    let order_id = &placed["data"]["createOrder"]["id"];
    for ws in &mut sockets {
        let next = ws.next().await;
        assert_eq!(next["payload"]["data"]["orderCreated"]["id"], *order_id, "{next}");
    }
    assert_eq!(a.statements.containing("FROM orders"), 1);
    listener.stop();
    drop(served);
}
