//! The admin chapter's staff tools on the catalogue: the list filters at their
//! boundaries, ordering by inventory, and the "clear inventory" bulk action.

use chrono::{Duration, TimeZone, Utc};
use serde_json::{Value, json};

use crate::common::{As, Kind, TestApp, factories};

async fn titles(app: &TestApp, arguments: &str) -> Value {
    let query = format!("{{ products({arguments}) {{ nodes {{ title }} }} }}");
    let data = app.data(As::Default, &query, json!({})).await;
    let titles: Vec<Value> =
        data["products"]["nodes"].as_array().unwrap().iter().map(|n| n["title"].clone()).collect();
    Value::Array(titles)
}

#[tokio::test]
async fn low_inventory_is_below_ten_and_inventory_orders_the_list() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    factories::catalogue(
        &mut conn,
        &[("Nine", "1.00", 9), ("Ten", "1.00", 10), ("Zero", "1.00", 0)],
    )
    .await;
    drop(conn);
    assert_eq!(titles(&app, "inventoryStatus: LOW").await, json!(["Nine", "Zero"]));
    assert_eq!(titles(&app, "inventoryStatus: OK").await, json!(["Ten"]));
    assert_eq!(titles(&app, "orderBy: [INVENTORY]").await, json!(["Zero", "Nine", "Ten"]));
    let desc = "first: 1, orderBy: [INVENTORY_DESC]";
    assert_eq!(titles(&app, desc).await, json!(["Ten"]));
    let query = "{ products(first: 1, orderBy: [INVENTORY_DESC]) { pageInfo { endCursor } } }";
    let cursor =
        app.data(As::Default, query, json!({})).await["products"]["pageInfo"]["endCursor"].clone();
    let next = format!("after: {cursor}, orderBy: [INVENTORY_DESC]");
    assert_eq!(titles(&app, &next).await, json!(["Nine", "Zero"]));
}

#[tokio::test]
async fn last_update_windows_start_at_utc_midnight() {
    let app = TestApp::as_staff().await;
    let today = Utc::now().date_naive();
    let midnight = Utc.from_utc_datetime(&today.and_hms_opt(0, 0, 0).unwrap());
    let week_ago = midnight - Duration::days(7);
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await.id;
    for (title, at) in [
        ("midnight", midnight),
        ("just before midnight", midnight - Duration::microseconds(1)),
        ("seven days ago", week_ago),
        ("just before seven days ago", week_ago - Duration::microseconds(1)),
    ] {
        factories::product(c).title(title).updated(at).insert(&mut conn).await;
    }
    drop(conn);
    assert_eq!(titles(&app, "lastUpdate: TODAY").await, json!(["midnight"]));
    assert_eq!(
        titles(&app, "lastUpdate: PAST_7_DAYS").await,
        json!(["just before midnight", "midnight", "seven days ago"])
    );
}

#[tokio::test]
async fn clearing_inventory_reports_how_many_were_updated() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let ids =
        factories::catalogue(&mut conn, &[("A", "1.00", 5), ("B", "1.00", 7), ("C", "1.00", 3)])
            .await;
    drop(conn);
    let clear =
        "mutation($ids: [Int!]!) { clearInventory(productIds: $ids) { updatedCount message } }";
    let vars = json!({ "ids": [ids[0], ids[1], 999_999] });
    let cleared = app.data(As::Default, clear, vars.clone()).await;
    assert_eq!(
        cleared["clearInventory"],
        json!({ "updatedCount": 2, "message": "2 products were successfully updated." })
    );
    let left = app.count_sql("SELECT sum(inventory)::bigint AS n FROM products").await;
    assert_eq!(left, 3);
    let (_, token) = app.user("shopper", Kind::Customer).await;
    app.refused(As::Token(&token), clear, vars, "FORBIDDEN").await;
}

#[tokio::test]
async fn collections_are_ordered_by_title_or_by_their_number_of_products() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    for (title, products) in [("Books", 2), ("Art", 0), ("Cups", 3), ("Dice", 2)] {
        let c = factories::collection(&mut conn, title).await.id;
        for i in 0..products {
            factories::product(c).title(&format!("{title}{i}")).insert(&mut conn).await;
        }
    }
    drop(conn);
    let list = async |order: &str| {
        let query = format!("{{ collections{order} {{ title productsCount }} }}");
        let data = app.data(As::Anon, &query, json!({})).await;
        data["collections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["title"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(list("").await, ["Art", "Books", "Cups", "Dice"]);
    assert_eq!(list("(orderBy: [PRODUCTS_COUNT])").await, ["Art", "Books", "Dice", "Cups"]);
    assert_eq!(list("(orderBy: [PRODUCTS_COUNT_DESC])").await, ["Cups", "Books", "Dice", "Art"]);
}

#[tokio::test]
async fn staff_replace_an_orders_lines_and_the_stock_follows() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let ids =
        factories::catalogue(&mut conn, &[("Lamp", "10.00", 20), ("Desk", "200.00", 5)]).await;
    let buyer = factories::user(&mut conn, &app.auth, "buyer", Kind::Customer).await;
    let customer = factories::customer_of(&mut conn, buyer.id).await;
    drop(conn);
    // An order of 3 lamps sold at 9.00 (the stock already taken: 20 → 17).
    app.sql(&format!(
        "WITH o AS (INSERT INTO orders (customer_id) VALUES ({customer}) RETURNING id) \
         INSERT INTO order_items (order_id, product_id, quantity, unit_price) \
         SELECT o.id, {}, 3, 9.00 FROM o",
        ids[0]
    ))
    .await;
    app.sql(&format!("UPDATE products SET inventory = 17 WHERE id = {}", ids[0])).await;
    let order = app.count_sql("SELECT max(id) AS n FROM orders").await;
    let update = "mutation($o: Int!, $items: [OrderItemInput!]!) { updateOrderItems(orderId: $o, items: $items) { items { productId quantity unitPrice } } }";
    let items =
        json!([{ "productId": ids[0], "quantity": 1 }, { "productId": ids[1], "quantity": 2 }]);
    let data = app.data(As::Default, update, json!({ "o": order, "items": items })).await;
    assert_eq!(
        data["updateOrderItems"]["items"],
        json!([
            { "productId": ids[0], "quantity": 1, "unitPrice": 9 },
            { "productId": ids[1], "quantity": 2, "unitPrice": 200 }
        ])
    );
    let stock = |id: i64| format!("SELECT inventory::bigint AS n FROM products WHERE id = {id}");
    assert_eq!(app.count_sql(&stock(ids[0])).await, 19, "two lamps back in stock");
    assert_eq!(app.count_sql(&stock(ids[1])).await, 3, "two desks taken");
    let audit = "SELECT count(*) AS n FROM audit_log WHERE action = 'update_order_items'";
    assert_eq!(app.count_sql(audit).await, 1);

    let too_many: Vec<_> = (0..11).map(|i| json!({ "productId": i + 1, "quantity": 1 })).collect();
    for (items, message) in [
        (json!([]), "Ensure this field has at least 1 elements."),
        (json!(too_many), "Ensure this field has no more than 10 elements."),
        (json!([{ "productId": ids[1], "quantity": 9 }]), "Only 3 left in stock."),
    ] {
        let errors =
            app.field_errors(As::Default, update, json!({ "o": order, "items": items })).await;
        assert_eq!(errors, json!({ "items": [message] }));
    }
    assert_eq!(app.count_sql(&stock(ids[1])).await, 3, "a refused change moves no stock");
}
