//! Collections: list and counts, writes, the delete guard, nested product pages and
//! statement budgets.

use serde_json::{Value, json};

use crate::common::{As, TestApp, error, factories, field_errors};

#[tokio::test]
async fn collections_are_ordered_by_title_then_id_with_product_counts() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let clothing = factories::collection(&mut conn, "Clothing").await;
    let empty = factories::collection(&mut conn, "Empty").await;
    let books_2 = factories::collection(&mut conn, "Books").await;
    let books_1 = factories::collection(&mut conn, "Books").await;
    for _ in 0..3 {
        factories::product(clothing.id).insert(&mut conn).await;
    }
    factories::product(books_1.id).insert(&mut conn).await;
    drop(conn);
    let query = "{ collections { id title productsCount } }";
    let data = app.data(As::Default, query, json!({})).await;
    assert_eq!(
        data["collections"],
        json!([
            { "id": books_2.id, "title": "Books", "productsCount": 0 },
            { "id": books_1.id, "title": "Books", "productsCount": 1 },
            { "id": clothing.id, "title": "Clothing", "productsCount": 3 },
            { "id": empty.id, "title": "Empty", "productsCount": 0 },
        ])
    );
    assert_eq!(
        app.count_statements(As::Anon, query, json!({})).await,
        1,
        "the counts are kept on the collection rows: one plain read"
    );
    let one_query = "query($id: Int!) { collection(id: $id) { title productsCount } }";
    let one = app.data(As::Default, one_query, json!({ "id": clothing.id })).await;
    assert_eq!(one["collection"], json!({ "title": "Clothing", "productsCount": 3 }));
    let missing = app.gql(As::Default, "{ collection(id: 987654) { id } }", json!({})).await;
    assert_eq!(error(&missing, "NOT_FOUND", 404)["message"], "Not found.");
}

#[tokio::test]
async fn product_counts_follow_every_insert_move_and_delete() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let a = factories::collection(&mut conn, "A").await;
    let b = factories::collection(&mut conn, "B").await;
    drop(conn);
    let counts = async || {
        let data = app.data(As::Default, "{ collections { productsCount } }", json!({})).await;
        let count = |i: usize| data["collections"][i]["productsCount"].as_i64();
        (count(0), count(1))
    };
    let create = "mutation($c: Int!) { createProduct(input: { title: \"P\", slug: \"p\", unitPrice: 1, inventory: 1, collectionId: $c }) { id } }";
    let mut made = Vec::new();
    for _ in 0..3 {
        let p = app.data(As::Default, create, json!({ "c": a.id })).await;
        made.push(p["createProduct"]["id"].clone());
    }
    assert_eq!(counts().await, (Some(3), Some(0)));
    let moved = "mutation($id: Int!, $c: Int!) { patchProduct(id: $id, input: { collectionId: $c }) { id } }";
    app.data(As::Default, moved, json!({ "id": made[0], "c": b.id })).await;
    app.data(As::Default, moved, json!({ "id": made[1], "c": a.id })).await;
    assert_eq!(counts().await, (Some(2), Some(1)), "a move counts once each side");
    let delete = "mutation($id: Int!) { deleteProduct(id: $id) }";
    app.data(As::Default, delete, json!({ "id": made[2] })).await;
    assert_eq!(counts().await, (Some(1), Some(1)));
    // A refused write changes no count.
    let refused = app.gql(As::Default, create, json!({ "c": 999_999 })).await;
    assert!(refused.get("errors").is_some(), "{refused}");
    assert_eq!(counts().await, (Some(1), Some(1)));
}

#[tokio::test]
async fn collections_are_created_and_their_input_validated() {
    let app = TestApp::as_staff().await;
    let created = app
        .data(As::Default, "mutation { createCollection(input: { title: \"Furniture\" }) { id title productsCount featuredProduct { id } } }", json!({}))
        .await;
    let id = created["createCollection"]["id"].as_i64().unwrap_or_default();
    assert_eq!(
        created["createCollection"],
        json!({ "id": id, "title": "Furniture", "productsCount": 0, "featuredProduct": null })
    );

    for (input, expected) in [
        (json!({ "title": "" }), json!({ "title": ["This field may not be blank."] })),
        (json!({}), json!({ "title": ["This field is required."] })),
        (
            json!({ "title": "x".repeat(256) }),
            json!({ "title": ["Ensure this field has no more than 255 characters."] }),
        ),
        (
            json!({ "title": "ok", "featuredProductId": 5555 }),
            json!({ "featuredProductId": ["Invalid pk \"5555\" - object does not exist."] }),
        ),
    ] {
        let response_mutation =
            "mutation($input: CollectionInput!) { createCollection(input: $input) { id } }";
        let response = app.gql(As::Default, response_mutation, json!({ "input": input })).await;
        assert_eq!(field_errors(&response), expected);
    }
}

#[tokio::test]
async fn updates_set_keep_or_clear_the_featured_product() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let id = factories::collection(&mut conn, "Furniture").await.id;
    factories::product(id).insert(&mut conn).await;
    let featured = factories::product(id).title("Sofa").insert(&mut conn).await;
    drop(conn);
    let update = "mutation($id: Int!, $input: CollectionInput!) { updateCollection(id: $id, input: $input) { id title productsCount featuredProduct { title } } }";
    let updated = app
        .data(
            As::Default,
            update,
            json!({ "id": id, "input": { "title": "Home", "featuredProductId": featured.id } }),
        )
        .await;
    assert_eq!(
        updated["updateCollection"],
        json!({ "id": id, "title": "Home", "productsCount": 2, "featuredProduct": { "title": "Sofa" } })
    );
    let kept = app
        .data(As::Default, update, json!({ "id": id, "input": { "title": "Home & Garden" } }))
        .await;
    assert_eq!(
        kept["updateCollection"]["featuredProduct"],
        json!({ "title": "Sofa" }),
        "omitted featuredProductId is kept"
    );
    let cleared = app
        .data(
            As::Default,
            update,
            json!({ "id": id, "input": { "title": "Home", "featuredProductId": null } }),
        )
        .await;
    assert_eq!(cleared["updateCollection"]["featuredProduct"], Value::Null);
    let missing =
        app.gql(As::Default, update, json!({ "id": 424_242, "input": { "title": "x" } })).await;
    error(&missing, "NOT_FOUND", 404);
}

#[tokio::test]
async fn delete_collection_guard() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let full = factories::collection(&mut conn, "Full").await;
    let empty = factories::collection(&mut conn, "Empty").await;
    factories::product(full.id).insert(&mut conn).await;
    drop(conn);
    let delete = "mutation($id: Int!) { deleteCollection(id: $id) }";
    let refused = app.gql(As::Default, delete, json!({ "id": full.id })).await;
    assert_eq!(
        error(&refused, "METHOD_NOT_ALLOWED", 405)["message"],
        "Collection cannot be deleted because it includes one or more products."
    );
    let still_query = "query($id: Int!) { collection(id: $id) { productsCount } }";
    let still = app.data(As::Default, still_query, json!({ "id": full.id })).await;
    assert_eq!(still["collection"]["productsCount"], 1);
    assert_eq!(
        app.data(As::Default, delete, json!({ "id": empty.id })).await["deleteCollection"],
        true
    );
    app.refused(As::Default, delete, json!({ "id": empty.id }), "NOT_FOUND").await;
}

#[tokio::test]
async fn collection_products_are_a_connection_batched_across_collections() {
    let app = TestApp::counting_as_staff().await;
    let mut conn = app.conn().await;
    let mut expected = Vec::new();
    for c in 0..6 {
        let collection = factories::collection(&mut conn, &format!("C{c}")).await;
        let mut titles = Vec::new();
        for p in 0..(c * 3) {
            let title = format!("P{}", (p * 7) % 11);
            factories::product(collection.id).title(&title).insert(&mut conn).await;
            titles.push(title);
        }
        titles.sort();
        expected.push(titles);
    }
    drop(conn);
    let query = "query($n: Int) { collections { title products(first: $n) { totalCount pageInfo { hasNextPage } nodes { title } } } }";
    let data = app.data(As::Default, query, json!({ "n": 4 })).await;
    for (c, titles) in expected.iter().enumerate() {
        let got = &data["collections"][c]["products"];
        let want: Vec<Value> = titles.iter().take(4).map(|t| json!({ "title": t })).collect();
        assert_eq!(got["nodes"], json!(want), "collection {c}");
        assert_eq!(got["totalCount"], titles.len());
        assert_eq!(got["pageInfo"]["hasNextPage"], titles.len() > 4);
    }
    let small_query = "{ collections { products(first: 10) { nodes { title } } } }";
    let small = app.count_statements(As::Anon, small_query, json!({})).await;
    assert!(small <= 2, "{small} statements");
    let last = app
        .data(As::Default, "{ collections { products(last: 2) { nodes { title } pageInfo { hasPreviousPage } } } }", json!({}))
        .await;
    let tail: Vec<Value> = expected[5].iter().skip(13).map(|t| json!({ "title": t })).collect();
    assert_eq!(last["collections"][5]["products"]["nodes"], json!(tail));
    assert_eq!(last["collections"][5]["products"]["pageInfo"]["hasPreviousPage"], true);
    // The next page of one collection goes through a cursor.
    let first_query = "{ collections { products(first: 2) { pageInfo { endCursor } } } }";
    let first = app.data(As::Default, first_query, json!({})).await;
    let cursor = first["collections"][5]["products"]["pageInfo"]["endCursor"].clone();
    let next = app
        .data(As::Default, "query($a: String) { collections { products(first: 2, after: $a) { nodes { title } pageInfo { hasPreviousPage } } } }", json!({ "a": cursor }))
        .await;
    let page: Vec<Value> =
        expected[5].iter().skip(2).take(2).map(|t| json!({ "title": t })).collect();
    assert_eq!(next["collections"][5]["products"]["nodes"], json!(page));
    assert_eq!(next["collections"][5]["products"]["pageInfo"]["hasPreviousPage"], true);
}
