//! Checkout that is safe to retry: `createOrder(cartId, idempotencyKey)`.

use serde_json::json;

use crate::common::{As, Kind, TestApp, cart_with};

const ORDER: &str = "mutation($c: UUID!, $k: UUID) { createOrder(cartId: $c, idempotencyKey: $k) { id totalPrice } }";
const KEY: &str = "6f0c2b0e-4b1e-4c55-9a51-1d3c8f8f0a11";

/// A signed-in customer's token and a cart of theirs holding two of a product.
async fn customer_with_cart(app: &TestApp, username: &str) -> (String, String) {
    let ids = app.catalogue(&[("Lamp", "30.00", 50)]).await;
    let (_, token) = app.user(username, Kind::Customer).await;
    (token.clone(), cart_of(app, &token, ids[0]).await)
}

async fn cart_of(app: &TestApp, token: &str, product: i64) -> String {
    cart_with(app, Some(token), &[(product, 2)]).await
}

#[tokio::test]
async fn a_retry_with_the_key_gets_the_same_order() {
    let app = TestApp::new().await;
    let (token, cart) = customer_with_cart(&app, "ann").await;
    let vars = json!({ "c": cart, "k": KEY });
    let first = app.data(As::Token(&token), ORDER, vars.clone()).await;
    let retry = app.data(As::Token(&token), ORDER, vars).await;
    assert_eq!(first, retry);
    assert_eq!(first["createOrder"]["totalPrice"], json!(60));
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM orders").await, 1);
    // Without a key, the retry finds no cart, as before.
    let plain = json!({ "c": cart, "k": null });
    app.refused(As::Token(&token), ORDER, plain, "BAD_USER_INPUT").await;
}

#[tokio::test]
async fn the_key_with_another_cart_is_refused() {
    let app = TestApp::new().await;
    let (token, cart) = customer_with_cart(&app, "ann").await;
    app.data(As::Token(&token), ORDER, json!({ "c": cart, "k": KEY })).await;
    let product = app.count_sql("SELECT max(id) AS n FROM products").await;
    let other = cart_of(&app, &token, product).await;
    let errors = app.field_errors(As::Token(&token), ORDER, json!({ "c": other, "k": KEY })).await;
    assert_eq!(
        errors,
        json!({ "idempotencyKey": ["This idempotency key was already used for another cart."] })
    );
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM orders").await, 1);
}

#[tokio::test]
async fn keys_belong_to_their_user() {
    let app = TestApp::new().await;
    let (ann, ann_cart) = customer_with_cart(&app, "ann").await;
    let (bob, bob_cart) = customer_with_cart(&app, "bob").await;
    let by_ann = app.data(As::Token(&ann), ORDER, json!({ "c": ann_cart, "k": KEY })).await;
    let by_bob = app.data(As::Token(&bob), ORDER, json!({ "c": bob_cart, "k": KEY })).await;
    assert_ne!(by_ann["createOrder"]["id"], by_bob["createOrder"]["id"]);
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM orders").await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_retries_with_one_key_make_one_order() {
    let app = TestApp::new().await;
    let (token, cart) = customer_with_cart(&app, "ann").await;
    let vars = json!({ "c": cart, "k": KEY });
    let calls = (0..6).map(|_| app.data(As::Token(&token), ORDER, vars.clone()));
    let answers = futures_util::future::join_all(calls).await;
    let ids: Vec<_> = answers.iter().map(|a| a["createOrder"]["id"].clone()).collect();
    assert!(ids.iter().all(|id| *id == ids[0] && id.is_i64()), "{ids:?}");
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM orders").await, 1);
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM order_items").await, 1);
    let left = app.count_sql("SELECT inventory::bigint AS n FROM products").await;
    assert_eq!(left, 48, "the stock was taken once");
}
