//! Carts: guests and owners, lines, merging, totals, holds and the race for the last unit.

use std::time::Duration;

use serde_json::{Value, json};
use storefront::app::AppOptions;

use crate::common::{As, Kind, TestApp, error, field_errors};

const CREATE: &str = "mutation { createCart { id items { id } totalPrice itemsCount } }";
const ADD: &str = "mutation($c: UUID!, $p: Int!, $q: Int) { addCartItem(cartId: $c, productId: $p, quantity: $q) { id productId quantity totalPrice } }";
const CART: &str = "query($id: UUID!) { cart(id: $id) { id itemsCount totalPrice items { id quantity totalPrice product { id title unitPrice } } } }";

async fn new_cart(app: &TestApp, token: Option<&str>) -> String {
    let data = match token {
        Some(token) => app.data(As::Token(token), CREATE, json!({})).await,
        None => app.data(As::Default, CREATE, json!({})).await,
    };
    data["createCart"]["id"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn guests_create_empty_carts_with_their_own_random_ids() {
    let app = TestApp::new().await;
    let created = app.data(As::Default, CREATE, json!({})).await["createCart"].clone();
    let id = created["id"].as_str().unwrap_or_default().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok_and(|u| u.get_version_num() == 4));
    assert_eq!(created["items"], json!([]));
    assert_eq!(created["totalPrice"], json!(0));
    assert_ne!(new_cart(&app, None).await, id, "every cart gets its own id");
}

#[tokio::test]
async fn guests_fill_carts_whose_totals_follow_the_current_price() {
    let app = TestApp::new().await;
    let ids = app.catalogue(&[("Coffee Mug", "8.99", 50), ("T-Shirt", "25.00", 50)]).await;
    let id = new_cart(&app, None).await;
    let first =
        app.data(As::Default, ADD, json!({ "c": id, "p": ids[0], "q": 10 })).await["addCartItem"]
            .clone();
    assert_eq!((first["productId"].as_i64(), first["quantity"].as_i64()), (Some(ids[0]), Some(10)));
    let merged =
        app.data(As::Default, ADD, json!({ "c": id, "p": ids[0], "q": 10 })).await["addCartItem"]
            .clone();
    assert_eq!(merged["id"], first["id"], "adding again raises the same line");
    assert_eq!(merged["quantity"], 20);
    let one_mutation =
        "mutation($c: UUID!, $p: Int!) { addCartItem(cartId: $c, productId: $p) { quantity } }";
    let one = app.data(As::Default, one_mutation, json!({ "c": id, "p": ids[1] })).await;
    assert_eq!(one["addCartItem"]["quantity"], 1, "quantity defaults to 1");
    let update = "mutation($c: UUID!, $i: Int!, $q: Int!) { updateCartItem(cartId: $c, id: $i, quantity: $q) { id quantity totalPrice } }";
    let updated = app.data(As::Default, update, json!({ "c": id, "i": first["id"], "q": 2 })).await;
    assert_eq!(updated["updateCartItem"]["totalPrice"], json!(17.98));

    let cart = app.data(As::Default, CART, json!({ "id": id })).await["cart"].clone();
    assert_eq!(cart["totalPrice"], json!(42.98));
    assert_eq!(cart["itemsCount"], 3);
    assert_eq!(
        cart["items"][0]["product"],
        json!({ "id": ids[0], "title": "Coffee Mug", "unitPrice": 8.99 })
    );
    assert_eq!(cart["items"][1]["totalPrice"], json!(25));

    // Totals follow the current price.
    let mut conn = app.conn().await;
    storefront::catalog::repo::update_product(
        &mut conn,
        ids[1],
        &storefront::catalog::model::ProductChanges {
            unit_price: Some(rust_decimal::Decimal::new(3000, 2)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    drop(conn);
    assert_eq!(
        app.data(As::Default, CART, json!({ "id": id })).await["cart"]["totalPrice"],
        json!(47.98)
    );
}

#[tokio::test]
async fn cart_reads_list_the_lines_in_at_most_three_statements() {
    let app = TestApp::counting().await;
    let ids = app.catalogue(&[("A", "1.00", 50), ("B", "2.00", 50)]).await;
    let id = new_cart(&app, None).await;
    for p in &ids {
        app.data(As::Default, ADD, json!({ "c": id, "p": p, "q": 1 })).await;
    }
    let items = app
        .data(As::Default, "query($c: UUID!) { cartItems(cartId: $c) { id } }", json!({ "c": id }))
        .await;
    assert_eq!(items["cartItems"].as_array().map(Vec::len), Some(2));
    let statements = app.count_statements(As::Anon, CART, json!({ "id": id })).await;
    assert!(statements <= 3, "{statements} statements");
}

/// A guest cart with one product (a mug, plenty in stock): the app, the product, the cart.
async fn mug_cart() -> (TestApp, i64, String) {
    let app = TestApp::new().await;
    let ids = app.catalogue(&[("Mug", "8.99", 50_000)]).await;
    let cart = new_cart(&app, None).await;
    (app, ids[0], cart)
}

/// Adds `quantity` of `product` to an empty cart; the id of its line.
async fn add_line(app: &TestApp, cart: &str, product: i64, quantity: i32) -> Value {
    let vars = json!({ "c": cart, "p": product, "q": quantity });
    app.data(As::Default, ADD, vars).await;
    first_line(app, cart).await
}

/// The id of the cart's first line.
async fn first_line(app: &TestApp, cart: &str) -> Value {
    let items = "query($c: UUID!) { cart(id: $c) { items { id } } }";
    app.data(As::Default, items, json!({ "c": cart })).await["cart"]["items"][0]["id"].clone()
}

const ITEM: &str = "query($c: UUID!, $i: Int!) { cartItem(cartId: $c, id: $i) { id quantity } }";
const UPDATE: &str = "mutation($c: UUID!, $i: Int!, $q: Int!) { updateCartItem(cartId: $c, id: $i, quantity: $q) { quantity } }";

#[tokio::test]
async fn adding_checks_the_product_the_quantity_and_the_per_line_hold() {
    let (app, mug, cart) = mug_cart().await;
    let both = json!({ "c": cart, "p": 999_999, "q": 0 });
    assert_eq!(
        app.field_errors(As::Default, ADD, both).await,
        json!({ "productId": ["No product with the given ID was found."], "quantity": ["Ensure this value is greater than or equal to 1."] })
    );
    for (q, message) in [
        (-1, "Ensure this value is greater than or equal to 1."),
        (32_768, "Ensure this value is less than or equal to 32767."),
    ] {
        let response =
            app.field_errors(As::Default, ADD, json!({ "c": cart, "p": mug, "q": q })).await;
        assert_eq!(response, json!({ "quantity": [message] }));
    }
    // A line holds at most MAX_HOLD_PER_LINE (20) units, counted after the add.
    app.data(As::Default, ADD, json!({ "c": cart, "p": mug, "q": 20 })).await;
    let overflow = app.field_errors(As::Default, ADD, json!({ "c": cart, "p": mug, "q": 1 })).await;
    assert_eq!(overflow, json!({ "quantity": ["Ensure this value is less than or equal to 20."] }));
}

#[tokio::test]
async fn unknown_carts_are_not_found_and_malformed_ids_are_bad_input() {
    let (app, mug, _) = mug_cart().await;
    let unknown = uuid::Uuid::new_v4().to_string();
    let add = json!({ "c": unknown, "p": mug, "q": 1 });
    app.refused(As::Default, ADD, add, "NOT_FOUND").await;
    app.refused(As::Default, CART, json!({ "id": unknown }), "NOT_FOUND").await;
    let malformed = json!({ "id": "invalid-cart-id" });
    let error = app.refused(As::Default, CART, malformed, "BAD_USER_INPUT").await;
    let message = error["message"].as_str().unwrap_or_default();
    assert!(message.contains("Must be a valid UUID."), "{message}");
    let items = "query($c: UUID!) { cartItems(cartId: $c) { id } }";
    let listed = app.data(As::Default, items, json!({ "c": unknown })).await;
    assert_eq!(listed["cartItems"], json!([]));
}

#[tokio::test]
async fn lines_belong_to_their_cart_and_updates_keep_a_positive_quantity() {
    let (app, mug, cart) = mug_cart().await;
    let other = new_cart(&app, None).await;
    let line = add_line(&app, &cart, mug, 1).await;
    let elsewhere = json!({ "c": other, "i": line });
    app.refused(As::Default, ITEM, elsewhere, "NOT_FOUND").await;
    let elsewhere = json!({ "c": other, "i": line, "q": 1 });
    app.refused(As::Default, UPDATE, elsewhere, "NOT_FOUND").await;
    for q in [0, -5] {
        let response =
            app.field_errors(As::Default, UPDATE, json!({ "c": cart, "i": line, "q": q })).await;
        assert_eq!(
            response,
            json!({ "quantity": ["Ensure this value is greater than or equal to 1."] })
        );
    }
}

#[tokio::test]
async fn decrementing_the_last_unit_deletes_the_line() {
    let (app, mug, cart) = mug_cart().await;
    let line = add_line(&app, &cart, mug, 2).await;
    let decrement =
        "mutation($c: UUID!, $i: Int!) { decrementCartItem(cartId: $c, id: $i) { quantity } }";
    let vars = json!({ "c": cart, "i": line });
    let once = app.data(As::Default, decrement, vars.clone()).await;
    assert_eq!(once["decrementCartItem"], json!({ "quantity": 1 }));
    let twice = app.data(As::Default, decrement, vars.clone()).await;
    assert_eq!(twice["decrementCartItem"], Value::Null, "deleted at 1");
    app.refused(As::Default, ITEM, vars, "NOT_FOUND").await;
}

#[tokio::test]
async fn deleting_a_line_or_a_cart_twice_is_not_found_and_lines_go_with_their_cart() {
    let (app, mug, cart) = mug_cart().await;
    let added = app
        .data(As::Default, ADD, json!({ "c": cart, "p": mug, "q": 1 }))
        .await["addCartItem"]["id"]
        .clone();
    let delete_item = "mutation($c: UUID!, $i: Int!) { deleteCartItem(cartId: $c, id: $i) }";
    let vars = json!({ "c": cart, "i": added });
    let deleted = app.data(As::Default, delete_item, vars.clone()).await;
    assert_eq!(deleted["deleteCartItem"], true);
    app.refused(As::Default, delete_item, vars, "NOT_FOUND").await;

    app.data(As::Default, ADD, json!({ "c": cart, "p": mug, "q": 1 })).await;
    let delete_cart = "mutation($c: UUID!) { deleteCart(id: $c) }";
    let deleted = app.data(As::Default, delete_cart, json!({ "c": cart })).await;
    assert_eq!(deleted["deleteCart"], true);
    app.refused(As::Default, CART, json!({ "id": cart }), "NOT_FOUND").await;
    app.refused(As::Default, delete_cart, json!({ "c": cart }), "NOT_FOUND").await;
    let lines = app.count_sql("SELECT count(*) AS n FROM cart_items").await;
    assert_eq!(lines, 0, "the cart's lines went with it");
}

/// Two products, two customers (their tokens), and the open cart of the first.
async fn ann_owns_a_cart_and_bob_watches() -> (TestApp, Vec<i64>, [String; 2], String) {
    let app = TestApp::new().await;
    let ids = app.catalogue(&[("A", "1.00", 100), ("B", "2.00", 100)]).await;
    let [(_, ann), (_, bob)] = app.users([("ann", Kind::Customer), ("bob", Kind::Customer)]).await;
    let owned = new_cart(&app, Some(&ann)).await;
    (app, ids, [ann, bob], owned)
}

#[tokio::test]
async fn owned_carts_are_private_to_their_user() {
    let (app, ids, [ann, bob], owned) = ann_owns_a_cart_and_bob_watches().await;
    assert_eq!(new_cart(&app, Some(&ann)).await, owned, "one open cart per user");
    let mine = app.data(As::Token(&ann), "{ myCart { id } }", json!({})).await;
    assert_eq!(mine["myCart"]["id"], owned);
    assert_eq!(
        app.data(As::Token(&bob), "{ myCart { id } }", json!({})).await["myCart"],
        Value::Null
    );
    app.refused(As::Anon, "{ myCart { id } }", json!({}), "UNAUTHENTICATED").await;
    for outsider in [
        app.gql(As::Token(&bob), CART, json!({ "id": owned })).await,
        app.gql(As::Anon, CART, json!({ "id": owned })).await,
    ] {
        error(&outsider, "NOT_FOUND", 404);
    }
    app.refused(As::Token(&bob), ADD, json!({ "c": owned, "p": ids[0], "q": 1 }), "NOT_FOUND")
        .await;
}

#[tokio::test]
async fn guest_carts_are_claimed_by_merging_or_by_becoming_the_users() {
    let (app, ids, [ann, bob], owned) = ann_owns_a_cart_and_bob_watches().await;
    app.data(As::Token(&ann), ADD, json!({ "c": owned, "p": ids[0], "q": 2 })).await;
    let guest = new_cart(&app, None).await;
    app.data(As::Default, ADD, json!({ "c": guest, "p": ids[0], "q": 3 })).await;
    app.data(As::Default, ADD, json!({ "c": guest, "p": ids[1], "q": 1 })).await;
    let claim = "mutation($c: UUID!) { claimCart(cartId: $c) { id itemsCount items { productId quantity } } }";
    app.refused(As::Anon, claim, json!({ "c": guest }), "UNAUTHENTICATED").await;
    app.refused(As::Token(&bob), claim, json!({ "c": owned }), "NOT_FOUND").await;
    let merged = app.data(As::Token(&ann), claim, json!({ "c": guest })).await["claimCart"].clone();
    assert_eq!(merged["id"], owned);
    assert_eq!(
        merged["items"],
        json!([{ "productId": ids[0], "quantity": 5 }, { "productId": ids[1], "quantity": 1 }])
    );
    app.refused(As::Default, CART, json!({ "id": guest }), "NOT_FOUND").await;

    let bob_guest = new_cart(&app, None).await;
    app.data(As::Default, ADD, json!({ "c": bob_guest, "p": ids[1], "q": 4 })).await;
    let attached =
        app.data(As::Token(&bob), claim, json!({ "c": bob_guest })).await["claimCart"].clone();
    assert_eq!(
        attached["id"], bob_guest,
        "without a cart of their own, the guest cart becomes theirs"
    );
    app.refused(As::Anon, CART, json!({ "id": bob_guest }), "NOT_FOUND").await;
}

#[tokio::test]
async fn holds_reserve_stock_until_they_expire() {
    let options = AppOptions { settings: TestApp::holds(2, 2), ..AppOptions::default() };
    let app = TestApp::with_options(options).await;
    let ids = app.catalogue(&[("Last ones", "5.00", 3)]).await;
    let available = "query($p: Int!) { product(id: $p) { inventory availableInventory } }";
    let first = new_cart(&app, None).await;
    let second = new_cart(&app, None).await;
    app.data(As::Default, ADD, json!({ "c": first, "p": ids[0], "q": 2 })).await;
    assert_eq!(
        app.data(As::Default, available, json!({ "p": ids[0] })).await["product"],
        json!({ "inventory": 3, "availableInventory": 1 })
    );
    let refused = app.gql(As::Default, ADD, json!({ "c": second, "p": ids[0], "q": 2 })).await;
    assert_eq!(field_errors(&refused), json!({ "quantity": ["Only 1 left in stock."] }));
    let lines_query = "query($c: UUID!) { cartItems(cartId: $c) { id } }";
    let lines = app.data(As::Default, lines_query, json!({ "c": second })).await;
    assert_eq!(lines["cartItems"], json!([]), "the refused add changed nothing");
    // The holding cart itself may go up to the whole inventory, no further.
    let more = app.gql(As::Default, ADD, json!({ "c": first, "p": ids[0], "q": 2 })).await;
    assert_eq!(field_errors(&more), json!({ "quantity": ["Only 3 left in stock."] }));

    tokio::time::sleep(Duration::from_millis(2200)).await;
    assert_eq!(
        app.data(As::Default, available, json!({ "p": ids[0] })).await["product"]["availableInventory"],
        3,
        "expired holds stop counting"
    );
    app.data(As::Default, ADD, json!({ "c": second, "p": ids[0], "q": 2 })).await;
    assert_eq!(
        app.data(As::Default, available, json!({ "p": ids[0] })).await["product"]["availableInventory"],
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_carts_racing_for_the_last_units_one_wins() {
    let app = TestApp::new().await;
    let ids = app.catalogue(&[("Last", "5.00", 2)]).await;
    for _ in 0..5 {
        let a = new_cart(&app, None).await;
        let b = new_cart(&app, None).await;
        let (ra, rb) = tokio::join!(
            app.gql(As::Default, ADD, json!({ "c": a, "p": ids[0], "q": 2 })),
            app.gql(As::Default, ADD, json!({ "c": b, "p": ids[0], "q": 2 }))
        );
        let wins = [&ra, &rb].iter().filter(|r| r.get("errors").is_none()).count();
        assert_eq!(wins, 1, "{ra} {rb}");
        let loser = if ra.get("errors").is_some() { &ra } else { &rb };
        assert_eq!(field_errors(loser), json!({ "quantity": ["Only 0 left in stock."] }));
        for cart in [a, b] {
            let delete_cart_mutation = "mutation($c: UUID!) { deleteCart(id: $c) }";
            app.data(As::Default, delete_cart_mutation, json!({ "c": cart })).await;
        }
    }
}
