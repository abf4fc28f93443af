//! Reports (the ORM chapter's aggregates) against hand-computed values, and the
//! customer filters of the admin chapter.

use serde_json::{Value, json};

use crate::common::{As, Kind, TestApp, factories};

/// Order lines: `(product, quantity, unit price)`.
type Lines<'a> = &'a [(i64, i32, &'a str)];

/// Orders written directly: each `(customer, lines)`.
async fn orders(app: &TestApp, orders: &[(i64, Lines<'_>)]) {
    for (customer, lines) in orders {
        let values: Vec<String> = lines
            .iter()
            .map(|(product, quantity, price)| {
                format!("((SELECT id FROM o), {product}, {quantity}, {price})")
            })
            .collect();
        app.sql(&format!(
            "WITH o AS (INSERT INTO orders (customer_id) VALUES ({customer}) RETURNING id) \
             INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES {}",
            values.join(", ")
        ))
        .await;
    }
}

/// A staff app with products Lamp (10.00), Desk (250.50), Chair (80.00, never sold) in one
/// collection, and a customer; returns product ids and the customer id.
async fn shop() -> (TestApp, Vec<i64>, i64) {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let ids = factories::catalogue(
        &mut conn,
        &[("Lamp", "10.00", 50), ("Desk", "250.50", 5), ("Chair", "80.00", 9)],
    )
    .await;
    let buyer = factories::user(&mut conn, &app.auth, "buyer", Kind::Customer).await;
    let customer = factories::customer_of(&mut conn, buyer.id).await;
    drop(conn);
    (app, ids, customer)
}

#[tokio::test]
async fn sales_and_top_sellers_match_hand_computed_values() {
    let (app, ids, customer) = shop().await;
    let (lamp, desk) = (ids[0], ids[1]);
    // Revenue: lamp 3×10.00 + 2×9.50 = 49.00; desk 1×250.50 = 250.50.
    let first: Lines = &[(lamp, 3, "10.00"), (desk, 1, "250.50")];
    let second: Lines = &[(lamp, 2, "9.50")];
    orders(&app, &[(customer, first), (customer, second)]).await;
    let report = "{ salesReport { ordersCount unitsSold revenue } }";
    let data = app.data(As::Default, report, json!({})).await;
    assert_eq!(data["salesReport"], json!({ "ordersCount": 2, "unitsSold": 6, "revenue": 299.5 }));
    let top = "{ topSellingProducts { product { title unitsSold } unitsSold revenue } }";
    let data = app.data(As::Default, top, json!({})).await;
    assert_eq!(
        data["topSellingProducts"],
        json!([
            { "product": { "title": "Desk", "unitsSold": 1 }, "unitsSold": 1, "revenue": 250.5 },
            { "product": { "title": "Lamp", "unitsSold": 5 }, "unitsSold": 5, "revenue": 49 }
        ])
    );
    let one = "{ topSellingProducts(limit: 1) { product { title } } }";
    let data = app.data(As::Default, one, json!({})).await;
    assert_eq!(data["topSellingProducts"], json!([{ "product": { "title": "Desk" } }]));
    let top_selling_products_query = "{ topSellingProducts(limit: 0) { revenue } }";
    app.refused(As::Default, top_selling_products_query, json!({}), "BAD_USER_INPUT").await;
}

#[tokio::test]
async fn an_empty_shop_reports_zero() {
    let app = TestApp::as_staff().await;
    let report = "{ salesReport { ordersCount unitsSold revenue } topSellingProducts { revenue } }";
    let data = app.data(As::Default, report, json!({})).await;
    assert_eq!(
        data,
        json!({ "salesReport": { "ordersCount": 0, "unitsSold": 0, "revenue": 0 }, "topSellingProducts": [] })
    );
}

#[tokio::test]
async fn collection_price_stats_round_the_average_half_up() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    // 10.00, 10.01, 10.00: the average 10.00333… rounds to 10.00; 1.01, 1.02: 1.015 → 1.02.
    let c = factories::collection(&mut conn, "Prices").await.id;
    for (title, price) in [("A", "10.00"), ("B", "10.01"), ("C", "10.00")] {
        factories::product(c).title(title).price(price).insert(&mut conn).await;
    }
    let halves = factories::collection(&mut conn, "Halves").await.id;
    for (title, price) in [("D", "1.01"), ("E", "1.02")] {
        factories::product(halves).title(title).price(price).insert(&mut conn).await;
    }
    let empty = factories::collection(&mut conn, "Empty").await.id;
    drop(conn);
    let stats = "query($c: Int!) { collectionPriceStats(collectionId: $c) { min avg max count } }";
    let data = app.data(As::Default, stats, json!({ "c": c })).await;
    assert_eq!(
        data["collectionPriceStats"],
        json!({ "min": 10, "avg": 10, "max": 10.01, "count": 3 })
    );
    let data = app.data(As::Default, stats, json!({ "c": halves })).await;
    assert_eq!(data["collectionPriceStats"]["avg"], json!(1.02));
    let data = app.data(As::Default, stats, json!({ "c": empty })).await;
    assert_eq!(
        data["collectionPriceStats"],
        json!({ "min": null, "avg": null, "max": null, "count": 0 })
    );
    app.refused(As::Default, stats, json!({ "c": 999_999 }), "NOT_FOUND").await;
}

#[tokio::test]
async fn reports_are_for_staff_only() {
    let (app, ids, _) = shop().await;
    let (_, token) = app.user("shopper", Kind::Customer).await;
    app.refused(As::Token(&token), "{ salesReport { revenue } }", json!({}), "FORBIDDEN").await;
    let sold = "query($id: Int!) { product(id: $id) { unitsSold } }";
    app.refused(As::Anon, sold, json!({ "id": ids[0] }), "UNAUTHENTICATED").await;
    let data = app.data(As::Default, sold, json!({ "id": ids[2] })).await;
    assert_eq!(data["product"]["unitsSold"], 0);
}

#[tokio::test]
async fn customers_are_filtered_by_orders_and_name_prefix() {
    let (app, ids, _) = shop().await;
    let mut conn = app.conn().await;
    let mut customer_ids = Vec::new();
    for (username, first, last) in
        [("a", "Anna", "Berg"), ("b", "Bert", "Anders"), ("c", "Carl", "Young")]
    {
        let user = factories::user(&mut conn, &app.auth, username, Kind::Customer).await;
        app.sql(&format!(
            "UPDATE users SET first_name = '{first}', last_name = '{last}' WHERE id = {}",
            user.id
        ))
        .await;
        customer_ids.push(factories::customer_of(&mut conn, user.id).await);
    }
    drop(conn);
    let line: Lines = &[(ids[0], 1, "10.00")];
    let many: Vec<(i64, Lines)> = std::iter::repeat_n((customer_ids[0], line), 6)
        .chain(std::iter::repeat_n((customer_ids[1], line), 5))
        .collect();
    orders(&app, &many).await;
    let list = "query($m: Int, $s: String) { customers(minOrders: $m, search: $s) { totalCount nodes { user { firstName } } } }";
    let more_than_five = app.data(As::Default, list, json!({ "m": 6 })).await;
    assert_eq!(
        more_than_five["customers"],
        json!({ "totalCount": 1, "nodes": [{ "user": { "firstName": "Anna" } }] })
    );
    let prefix = app.data(As::Default, list, json!({ "s": "an" })).await;
    assert_eq!(
        prefix["customers"],
        json!({ "totalCount": 2, "nodes": [{ "user": { "firstName": "Anna" } }, { "user": { "firstName": "Bert" } }] })
    );
    let inside = app.data(As::Default, list, json!({ "s": "ung" })).await;
    assert_eq!(inside["customers"]["totalCount"], 0, "a prefix, not a substring");
}

#[tokio::test]
async fn customers_show_their_orders_spending_and_latest_order() {
    let (app, ids, customer) = shop().await;
    app.sql(&format!(
        "UPDATE users SET first_name = 'Ada', last_name = 'Lovelace' \
         WHERE id = (SELECT user_id FROM customers WHERE id = {customer})"
    ))
    .await;
    let first: Lines = &[(ids[0], 3, "10.00")];
    let second: Lines = &[(ids[1], 1, "250.50"), (ids[0], 1, "9.99")];
    orders(&app, &[(customer, first), (customer, second)]).await;
    let latest = app.count_sql("SELECT max(id) AS n FROM orders").await;
    let query =
        "query($id: Int!) { customer(id: $id) { fullName ordersCount totalSpent lastOrderId } }";
    let data = app.data(As::Default, query, json!({ "id": customer })).await;
    assert_eq!(
        data["customer"],
        json!({ "fullName": "Ada Lovelace", "ordersCount": 2, "totalSpent": 290.49, "lastOrderId": latest })
    );
    let (none, _) = app.user("newcomer", Kind::Customer).await;
    let mut conn = app.conn().await;
    let none = factories::customer_of(&mut conn, none.id).await;
    drop(conn);
    let data = app.data(As::Default, query, json!({ "id": none })).await;
    assert_eq!(data["customer"]["ordersCount"], 0);
    assert_eq!(data["customer"]["totalSpent"], json!(0));
    assert_eq!(data["customer"]["lastOrderId"], Value::Null);
}

#[tokio::test]
async fn staff_list_one_customers_orders() {
    let (app, ids, customer) = shop().await;
    let (other, token) = app.user("other", Kind::Customer).await;
    let mut conn = app.conn().await;
    let other = factories::customer_of(&mut conn, other.id).await;
    drop(conn);
    let line: Lines = &[(ids[0], 1, "10.00")];
    orders(&app, &[(customer, line), (other, line), (customer, line)]).await;
    let query = "query($c: Int) { orders(customerId: $c) { totalCount nodes { customerId } } }";
    let data = app.data(As::Default, query, json!({ "c": customer })).await;
    assert_eq!(data["orders"]["totalCount"], 2);
    assert!(
        data["orders"]["nodes"].as_array().unwrap().iter().all(|o| o["customerId"] == customer)
    );
    app.refused(As::Token(&token), query, json!({ "c": customer }), "FORBIDDEN").await;
}
