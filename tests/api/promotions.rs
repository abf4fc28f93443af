//! Promotions: exact percentages, many-to-many with products, staff-only writes.

use serde_json::{Value, json};

use crate::common::{As, Kind, TestApp};

const CREATE: &str = "mutation($d: String!, $p: Money!) { createPromotion(input: { description: $d, discount: $p }) { id description discount } }";
const ADD: &str = "mutation($id: Int!, $ps: [Int!]!) { addProductsToPromotion(promotionId: $id, productIds: $ps) { id } }";
const REMOVE: &str = "mutation($id: Int!, $ps: [Int!]!) { removeProductsFromPromotion(promotionId: $id, productIds: $ps) { id } }";
const PRODUCT: &str =
    "query($id: Int!) { product(id: $id) { promotions { description discount } } }";

async fn create(app: &TestApp, description: &str, discount: Value) -> Value {
    let vars = json!({ "d": description, "p": discount });
    app.data(As::Default, CREATE, vars).await["createPromotion"].clone()
}

#[tokio::test]
async fn a_discount_is_an_exact_percentage_within_its_bounds() {
    let app = TestApp::as_staff().await;
    let summer = create(&app, "Summer", json!(12.5)).await;
    assert_eq!(summer["discount"], json!(12.5));
    assert_eq!(create(&app, "All", json!(100)).await["discount"], json!(100));
    for (discount, message) in [
        (json!(0), "Ensure this value is greater than 0."),
        (json!(-5), "Ensure this value is greater than 0."),
        (json!(100.01), "Ensure this value is less than or equal to 100."),
        (json!(12.345), "Ensure that there are no more than 2 decimal places."),
    ] {
        let vars = json!({ "d": "Bad", "p": discount });
        let errors = app.field_errors(As::Default, CREATE, vars).await;
        assert_eq!(errors, json!({ "discount": [message] }), "{discount}");
    }
    let blank = json!({ "d": " ", "p": 5 });
    let errors = app.field_errors(As::Default, CREATE, blank).await;
    assert_eq!(errors, json!({ "description": ["This field may not be blank."] }));
    let (_, token) = app.user("shopper", Kind::Customer).await;
    let vars = json!({ "d": "Mine", "p": 5 });
    app.refused(As::Token(&token), CREATE, vars, "FORBIDDEN").await;
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM promotions").await, 2);
}

#[tokio::test]
async fn products_go_on_and_off_promotions() {
    let app = TestApp::as_staff().await;
    let ids = app.catalogue(&[("Kettle", "20.00", 5), ("Mug", "4.00", 5)]).await;
    let summer = create(&app, "Summer", json!(10)).await["id"].clone();
    let winter = create(&app, "Winter", json!(25.75)).await["id"].clone();
    app.data(As::Default, ADD, json!({ "id": summer, "ps": ids })).await;
    app.data(As::Default, ADD, json!({ "id": winter, "ps": [ids[0]] })).await;
    app.data(As::Default, ADD, json!({ "id": winter, "ps": [ids[0]] })).await;
    let kettle = app.data(As::Anon, PRODUCT, json!({ "id": ids[0] })).await;
    assert_eq!(
        kettle["product"]["promotions"],
        json!([{ "description": "Summer", "discount": 10 }, { "description": "Winter", "discount": 25.75 }])
    );
    app.data(As::Default, REMOVE, json!({ "id": summer, "ps": [ids[0], 999_999] })).await;
    let kettle = app.data(As::Anon, PRODUCT, json!({ "id": ids[0] })).await;
    assert_eq!(
        kettle["product"]["promotions"],
        json!([{ "description": "Winter", "discount": 25.75 }])
    );
    let mug = app.data(As::Anon, PRODUCT, json!({ "id": ids[1] })).await;
    assert_eq!(mug["product"]["promotions"], json!([{ "description": "Summer", "discount": 10 }]));
}

#[tokio::test]
async fn an_unknown_product_changes_nothing() {
    let app = TestApp::as_staff().await;
    let ids = app.catalogue(&[("Kettle", "20.00", 5)]).await;
    let summer = create(&app, "Summer", json!(10)).await["id"].clone();
    let vars = json!({ "id": summer, "ps": [ids[0], 424_242] });
    let errors = app.field_errors(As::Default, ADD, vars).await;
    assert_eq!(errors, json!({ "productIds": ["Invalid pk \"424242\" - object does not exist."] }));
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM product_promotions").await, 0);
    let missing = json!({ "id": 999_999, "ps": [ids[0]] });
    app.refused(As::Default, ADD, missing, "NOT_FOUND").await;
}

#[tokio::test]
async fn promotions_are_listed_read_updated_and_deleted() {
    let app = TestApp::as_staff().await;
    let ids = app.catalogue(&[("Kettle", "20.00", 5)]).await;
    let first = create(&app, "One", json!(5)).await["id"].clone();
    create(&app, "Two", json!(6)).await;
    app.data(As::Default, ADD, json!({ "id": first, "ps": ids })).await;
    let list =
        "{ promotions(first: 1) { totalCount nodes { description } pageInfo { hasNextPage } } }";
    let page = app.data(As::Anon, list, json!({})).await["promotions"].clone();
    assert_eq!(page["totalCount"], 2);
    assert_eq!(page["nodes"], json!([{ "description": "One" }]));
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let update = "mutation($id: Int!) { updatePromotion(id: $id, input: { description: \"Uno\", discount: 7.25 }) { description discount } }";
    let updated = app.data(As::Default, update, json!({ "id": first })).await;
    assert_eq!(updated["updatePromotion"], json!({ "description": "Uno", "discount": 7.25 }));
    let read = "query($id: Int!) { promotion(id: $id) { description } }";
    let shown = app.data(As::Anon, read, json!({ "id": first })).await;
    assert_eq!(shown["promotion"]["description"], "Uno");
    let delete = "mutation($id: Int!) { deletePromotion(id: $id) }";
    app.data(As::Default, delete, json!({ "id": first })).await;
    app.refused(As::Anon, read, json!({ "id": first }), "NOT_FOUND").await;
    let kettle = app.data(As::Anon, PRODUCT, json!({ "id": ids[0] })).await;
    assert_eq!(kettle["product"]["promotions"], json!([]));
    app.refused(As::Default, delete, json!({ "id": first }), "NOT_FOUND").await;
}
