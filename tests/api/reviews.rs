//! Reviews, nested under their product.

use chrono::Utc;
use serde_json::json;

use crate::common::{As, TestApp, error, factories, field_errors};

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

    let list = app
        .data(
            As::Default,
            "query($p: Int!) { reviews(productId: $p) { id name } }",
            json!({ "p": p1.id }),
        )
        .await;
    assert_eq!(list["reviews"], json!([{ "id": id, "name": "Ann" }]));
    let other = app
        .data(
            As::Default,
            "query($p: Int!) { reviews(productId: $p) { id } }",
            json!({ "p": p2.id }),
        )
        .await;
    assert_eq!(other["reviews"], json!([]));
    let nested = app
        .data(
            As::Default,
            "query($p: Int!) { product(id: $p) { reviews { id } } }",
            json!({ "p": p1.id }),
        )
        .await;
    assert_eq!(nested["product"]["reviews"], json!([{ "id": id }]));
    let one = app
        .data(
            As::Default,
            "query($p: Int!, $id: Int!) { review(productId: $p, id: $id) { description } }",
            json!({ "p": p1.id, "id": id }),
        )
        .await;
    assert_eq!(one["review"]["description"], "Great");

    let wrong_product = app
        .gql(
            As::Default,
            "query($p: Int!, $id: Int!) { review(productId: $p, id: $id) { id } }",
            json!({ "p": p2.id, "id": id }),
        )
        .await;
    error(&wrong_product, "NOT_FOUND", 404);
    let unknown = app
        .data(
            As::Default,
            "{ reviews(productId: 999999) { id } }",
            json!({}),
        )
        .await;
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

#[tokio::test]
async fn review_validation_patch_and_delete() {
    // Staff may change any review, anonymous ones included.
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    let p = factories::product(c.id).insert(&mut conn).await;
    let other = factories::product(c.id).insert(&mut conn).await;
    let review = factories::review(&mut conn, p.id, "Ann").await;
    drop(conn);

    let missing = app
        .gql(As::Default, CREATE, json!({ "p": p.id, "input": {} }))
        .await;
    assert_eq!(
        field_errors(&missing),
        json!({ "description": ["This field is required."], "name": ["This field is required."] })
    );
    let long = app
        .gql(
            As::Default,
            CREATE,
            json!({ "p": p.id, "input": { "name": "n".repeat(256), "description": " " } }),
        )
        .await;
    assert_eq!(
        field_errors(&long),
        json!({ "description": ["This field may not be blank."], "name": ["Ensure this field has no more than 255 characters."] })
    );

    let patch = "mutation($p: Int!, $id: Int!, $input: ReviewPatch!) { patchReview(productId: $p, id: $id, input: $input) { name description } }";
    let patched = app
        .data(
            As::Default,
            patch,
            json!({ "p": p.id, "id": review.id, "input": { "description": "Changed" } }),
        )
        .await;
    assert_eq!(
        patched["patchReview"],
        json!({ "name": "Ann", "description": "Changed" })
    );
    let update = "mutation($p: Int!, $id: Int!, $input: ReviewInput!) { updateReview(productId: $p, id: $id, input: $input) { name description } }";
    let incomplete = app
        .gql(
            As::Default,
            update,
            json!({ "p": p.id, "id": review.id, "input": { "name": "Bo" } }),
        )
        .await;
    assert_eq!(
        field_errors(&incomplete),
        json!({ "description": ["This field is required."] })
    );
    let replaced = app
        .data(
            As::Default,
            update,
            json!({ "p": p.id, "id": review.id, "input": { "name": "Bo", "description": "New" } }),
        )
        .await;
    assert_eq!(
        replaced["updateReview"],
        json!({ "name": "Bo", "description": "New" })
    );
    let elsewhere = app
        .gql(
            As::Default,
            patch,
            json!({ "p": other.id, "id": review.id, "input": { "name": "x" } }),
        )
        .await;
    error(&elsewhere, "NOT_FOUND", 404);

    let delete = "mutation($p: Int!, $id: Int!) { deleteReview(productId: $p, id: $id) }";
    app.refused(
        As::Default,
        delete,
        json!({ "p": other.id, "id": review.id }),
        "NOT_FOUND",
    )
    .await;
    assert_eq!(
        app.data(As::Default, delete, json!({ "p": p.id, "id": review.id }))
            .await["deleteReview"],
        true
    );
    app.refused(
        As::Default,
        delete,
        json!({ "p": p.id, "id": review.id }),
        "NOT_FOUND",
    )
    .await;
}
