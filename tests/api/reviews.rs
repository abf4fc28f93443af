//! Reviews, nested under their product.

use chrono::Utc;
use serde_json::json;

use crate::common::{As, TestApp, error, factories};

const CREATE: &str = "mutation($p: Int!, $input: ReviewInput!) { createReview(productId: $p, input: $input) { id name description date productId } }";

#[tokio::test]
async fn reviews_are_created_listed_and_scoped_to_their_product() {
    let app = TestApp::new().await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    let p1 = factories::product(c.id).insert(&mut conn).await;
    let p2 = factories::product(c.id).insert(&mut conn).await;
    drop(conn);
    let created = app
        .data(
            As::Default,
            CREATE,
            json!({ "p": p1.id, "input": { "name": " Ann ", "description": "Great" } }),
        )
        .await;
    let review = &created["createReview"];
    let id = review["id"].as_i64().unwrap_or_default();
    assert_eq!(review["name"], "Ann");
    assert_eq!(review["date"], Utc::now().date_naive().to_string());
    assert_eq!(review["productId"], p1.id);

    let list_query = "query($p: Int!) { reviews(productId: $p) { id name } }";
    let list = app.data(As::Default, list_query, json!({ "p": p1.id })).await;
    assert_eq!(list["reviews"], json!([{ "id": id, "name": "Ann" }]));
    let other_query = "query($p: Int!) { reviews(productId: $p) { id } }";
    let other = app.data(As::Default, other_query, json!({ "p": p2.id })).await;
    assert_eq!(other["reviews"], json!([]));
    let nested_query = "query($p: Int!) { product(id: $p) { reviews { id } } }";
    let nested = app.data(As::Default, nested_query, json!({ "p": p1.id })).await;
    assert_eq!(nested["product"]["reviews"], json!([{ "id": id }]));
    let one_query = "query($p: Int!, $id: Int!) { review(productId: $p, id: $id) { description } }";
    let one = app.data(As::Default, one_query, json!({ "p": p1.id, "id": id })).await;
    assert_eq!(one["review"]["description"], "Great");

    let wrong_product_query =
        "query($p: Int!, $id: Int!) { review(productId: $p, id: $id) { id } }";
    let wrong_product =
        app.gql(As::Default, wrong_product_query, json!({ "p": p2.id, "id": id })).await;
    error(&wrong_product, "NOT_FOUND", 404);
    let unknown = app.data(As::Default, "{ reviews(productId: 999999) { id } }", json!({})).await;
    assert_eq!(unknown["reviews"], json!([]));
    let no_product = app
        .gql(
            As::Default,
            CREATE,
            json!({ "p": 999_999, "input": { "name": "a", "description": "b" } }),
        )
        .await;
    error(&no_product, "NOT_FOUND", 404);
}

/// Two products and a review ("Ann") of the first: the app (as staff, who may change any
/// review, anonymous ones included), the product ids and the review id.
async fn reviewed_product() -> (TestApp, i64, i64, i64) {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    let p = factories::product(c.id).insert(&mut conn).await;
    let other = factories::product(c.id).insert(&mut conn).await;
    let review = factories::review(&mut conn, p.id, "Ann").await;
    (app, p.id, other.id, review.id)
}

#[tokio::test]
async fn a_new_review_needs_a_name_and_a_description() {
    let (app, p, _, _) = reviewed_product().await;
    let empty = json!({ "p": p, "input": {} });
    assert_eq!(
        app.field_errors(As::Default, CREATE, empty).await,
        json!({ "description": ["This field is required."], "name": ["This field is required."] })
    );
    let long = json!({ "p": p, "input": { "name": "n".repeat(256), "description": " " } });
    assert_eq!(
        app.field_errors(As::Default, CREATE, long).await,
        json!({ "description": ["This field may not be blank."], "name": ["Ensure this field has no more than 255 characters."] })
    );
}

#[tokio::test]
async fn reviews_are_patched_or_replaced_through_their_own_product() {
    let (app, p, other, review) = reviewed_product().await;
    let patch = "mutation($p: Int!, $id: Int!, $input: ReviewPatch!) { patchReview(productId: $p, id: $id, input: $input) { name description } }";
    let changed = json!({ "p": p, "id": review, "input": { "description": "Changed" } });
    let patched = app.data(As::Default, patch, changed).await;
    assert_eq!(patched["patchReview"], json!({ "name": "Ann", "description": "Changed" }));
    let update = "mutation($p: Int!, $id: Int!, $input: ReviewInput!) { updateReview(productId: $p, id: $id, input: $input) { name description } }";
    let incomplete = json!({ "p": p, "id": review, "input": { "name": "Bo" } });
    assert_eq!(
        app.field_errors(As::Default, update, incomplete).await,
        json!({ "description": ["This field is required."] })
    );
    let whole = json!({ "p": p, "id": review, "input": { "name": "Bo", "description": "New" } });
    let replaced = app.data(As::Default, update, whole).await;
    assert_eq!(replaced["updateReview"], json!({ "name": "Bo", "description": "New" }));
    let elsewhere = json!({ "p": other, "id": review, "input": { "name": "x" } });
    app.refused(As::Default, patch, elsewhere, "NOT_FOUND").await;
}

#[tokio::test]
async fn a_review_is_deleted_once_and_only_through_its_product() {
    let (app, p, other, review) = reviewed_product().await;
    let delete = "mutation($p: Int!, $id: Int!) { deleteReview(productId: $p, id: $id) }";
    let elsewhere = json!({ "p": other, "id": review });
    app.refused(As::Default, delete, elsewhere, "NOT_FOUND").await;
    let own = json!({ "p": p, "id": review });
    let deleted = app.data(As::Default, delete, own.clone()).await;
    assert_eq!(deleted["deleteReview"], true);
    app.refused(As::Default, delete, own, "NOT_FOUND").await;
}
