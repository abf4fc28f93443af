//! The course's load test (`locustfiles/browse_products.py`) against a running Storefront:
//! each virtual user creates its own cart, then browses a collection's products,
//! views a product and adds to its cart in the weights 2 : 4 : 1, thinking 1–5 s between
//! steps. Every request is one named GraphQL operation; an answer with `errors` counts
//! as a failure (GraphQL answers errors with HTTP 200).
//!
//! `CART_PRODUCTS=N` spreads the adds over products 1..=N (see [`cart_products`]).
//! `SERVICE_PID=<pid>` also reports the service's resident memory before and after the
//! run (the soak mode in the README runs it at a fixed rate for ten minutes).

use std::time::Duration;

use goose::prelude::*;
use serde_json::{Value, json};

/// The user's own cart (session data).
#[derive(Clone)]
struct Cart(String);

#[tokio::main]
async fn main() -> Result<(), GooseError> {
    let before = rss_kib();
    GooseAttack::initialize()?
        .register_scenario(
            scenario!("WebsiteUser")
                .set_wait_time(Duration::from_secs(1), Duration::from_secs(5))?
                .register_transaction(transaction!(create_cart).set_on_start())
                .register_transaction(transaction!(view_products).set_weight(2)?)
                .register_transaction(transaction!(view_product).set_weight(4)?)
                .register_transaction(transaction!(add_to_cart).set_weight(1)?),
        )
        .execute()
        .await?;
    if let (Some(before), Some(after)) = (before, rss_kib()) {
        println!("service RSS: {before} KiB at start, {after} KiB at end");
    }
    Ok(())
}

/// Products 1..=N that shoppers add to their carts: the Locust file's 10 unless
/// `CART_PRODUCTS` says otherwise. Carts hold the stock they take (for five minutes for a
/// guest), so a long run over ten products empties them and later adds are refused
/// (`Only 0 left in stock.`): the soak spreads its carts over the whole catalogue.
fn cart_products() -> i64 {
    std::env::var("CART_PRODUCTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(10)
}

/// The resident memory of `SERVICE_PID`, from `/proc`.
fn rss_kib() -> Option<u64> {
    let pid = std::env::var("SERVICE_PID").ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Sends one GraphQL operation named `name`; GraphQL errors fail the request.
async fn gql(
    user: &mut GooseUser,
    name: &'static str,
    query: &str,
    variables: Value,
) -> Result<Value, Box<TransactionError>> {
    let builder = user
        .get_request_builder(&GooseMethod::Post, "/graphql")?
        .json(&json!({ "query": query, "variables": variables }));
    let request = GooseRequest::builder()
        .set_request_builder(builder)
        .name(name)
        .build();
    let mut goose = user.request(request).await?;
    let text = match goose.response {
        Ok(response) => response.text().await.unwrap_or_default(),
        Err(_) => return Ok(Value::Null),
    };
    let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
    if body.get("errors").is_some() || body.get("data").is_none() {
        user.set_failure("graphql errors", &mut goose.request, None, Some(&text))?;
        return Ok(Value::Null);
    }
    Ok(body["data"].clone())
}

async fn create_cart(user: &mut GooseUser) -> TransactionResult {
    let data = gql(
        user,
        "createCart",
        "mutation { createCart { id } }",
        json!({}),
    )
    .await?;
    if let Some(id) = data["createCart"]["id"].as_str() {
        user.set_session_data(Cart(id.to_owned()));
    }
    Ok(())
}

async fn view_products(user: &mut GooseUser) -> TransactionResult {
    let collection = rand::random_range(2..=6);
    let query = "query($c: Int) { products(collectionId: $c) { nodes { id title unitPrice images { url } } } }";
    gql(user, "products", query, json!({ "c": collection })).await?;
    Ok(())
}

async fn view_product(user: &mut GooseUser) -> TransactionResult {
    let id = rand::random_range(1..=1000);
    let query = "query($id: Int!) { product(id: $id) { id title description unitPrice inventory collection { title } } }";
    gql(user, "product", query, json!({ "id": id })).await?;
    Ok(())
}

async fn add_to_cart(user: &mut GooseUser) -> TransactionResult {
    let Some(Cart(cart)) = user.get_session_data::<Cart>().cloned() else {
        return Ok(());
    };
    let product = rand::random_range(1..=cart_products());
    let query = "mutation($c: UUID!, $p: Int!) { addCartItem(cartId: $c, productId: $p, quantity: 1) { id } }";
    gql(
        user,
        "addCartItem",
        query,
        json!({ "c": cart, "p": product }),
    )
    .await?;
    Ok(())
}
