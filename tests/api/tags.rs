//! Tags and likes: the course's generic `tags` and `likes` apps on products.

use serde_json::{Value, json};

use crate::common::{As, Kind, TestApp, factories};

const TAG: &str =
    "mutation($p: Int!, $l: String!) { tagProduct(productId: $p, label: $l) { id label } }";
const LIKE: &str =
    "mutation($p: Int!) { likeProduct(productId: $p) { likesCount viewerHasLiked } }";
const UNLIKE: &str =
    "mutation($p: Int!) { unlikeProduct(productId: $p) { likesCount viewerHasLiked } }";

/// A staff app with products `titles` (in one collection); their ids.
async fn shop(titles: &[&str]) -> (TestApp, Vec<i64>) {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let specs: Vec<(&str, &str, i32)> = titles.iter().map(|t| (*t, "5.00", 10)).collect();
    let ids = factories::catalogue(&mut conn, &specs).await;
    drop(conn);
    (app, ids)
}

#[tokio::test]
async fn tagging_twice_keeps_one_tagging_and_a_taken_label_is_refused() {
    let (app, ids) = shop(&["Kettle"]).await;
    let vars = json!({ "p": ids[0], "l": "eco" });
    let first = app.data(As::Default, TAG, vars.clone()).await;
    let again = app.data(As::Default, TAG, vars).await;
    assert_eq!(first, again);
    let tags = "query($p: Int!) { product(id: $p) { tags { label } } }";
    let shown = app.data(As::Anon, tags, json!({ "p": ids[0] })).await;
    assert_eq!(shown["product"]["tags"], json!([{ "label": "eco" }]));
    let create = "mutation { createTag(label: \"eco\") { id } }";
    let errors = app.field_errors(As::Default, create, json!({})).await;
    assert_eq!(errors, json!({ "label": ["Tag with this label already exists."] }));
}

#[tokio::test]
async fn only_staff_tag_and_a_missing_product_is_not_found() {
    let (app, ids) = shop(&["Kettle"]).await;
    let (_, token) = app.user("shopper", Kind::Customer).await;
    let vars = json!({ "p": ids[0], "l": "eco" });
    app.refused(As::Token(&token), TAG, vars, "FORBIDDEN").await;
    let missing = json!({ "p": 999_999, "l": "eco" });
    app.refused(As::Default, TAG, missing, "NOT_FOUND").await;
    let blank = json!({ "p": ids[0], "l": "  " });
    let errors = app.field_errors(As::Default, TAG, blank).await;
    assert_eq!(errors, json!({ "label": ["This field may not be blank."] }));
}

#[tokio::test]
async fn tags_are_searched_paged_and_filter_products() {
    let (app, ids) = shop(&["Kettle", "Mug", "Spoon"]).await;
    for (product, label) in [(0, "Eco"), (1, "eco-friendly"), (1, "gift"), (2, "steel")] {
        app.data(As::Default, TAG, json!({ "p": ids[product], "l": label })).await;
    }
    let query = "{ tags(search: \"ECO\", first: 1) { totalCount nodes { label } pageInfo { hasNextPage endCursor } } }";
    let page = app.data(As::Anon, query, json!({})).await["tags"].clone();
    assert_eq!(page["totalCount"], 2);
    assert_eq!(page["nodes"], json!([{ "label": "Eco" }]));
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let next = "query($a: String) { tags(search: \"eco\", after: $a) { nodes { label } } }";
    let rest = app.data(As::Anon, next, json!({ "a": page["pageInfo"]["endCursor"] })).await;
    assert_eq!(rest["tags"]["nodes"], json!([{ "label": "eco-friendly" }]));
    let tagged = "{ products(tag: \"gift\") { nodes { title } } }";
    let gifts = app.data(As::Anon, tagged, json!({})).await;
    assert_eq!(gifts["products"]["nodes"], json!([{ "title": "Mug" }]));
}

#[tokio::test]
async fn untagging_and_deleting_a_tag_remove_its_taggings() {
    let (app, ids) = shop(&["Kettle"]).await;
    let tag =
        app.data(As::Default, TAG, json!({ "p": ids[0], "l": "eco" })).await["tagProduct"]["id"]
            .clone();
    let untag = "mutation($p: Int!, $t: Int!) { untagProduct(productId: $p, tagId: $t) }";
    let vars = json!({ "p": ids[0], "t": tag });
    assert_eq!(app.data(As::Default, untag, vars.clone()).await["untagProduct"], true);
    assert_eq!(app.data(As::Default, untag, vars).await["untagProduct"], false);
    app.data(As::Default, TAG, json!({ "p": ids[0], "l": "eco" })).await;
    let delete = "mutation($t: Int!) { deleteTag(id: $t) }";
    assert_eq!(app.data(As::Default, delete, json!({ "t": tag })).await["deleteTag"], true);
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM tagged_items").await, 0);
}

#[tokio::test]
async fn taggings_of_another_kind_with_the_same_id_are_not_the_products() {
    let (app, ids) = shop(&["Kettle"]).await;
    app.data(As::Default, TAG, json!({ "p": ids[0], "l": "eco" })).await;
    // A collection with the product's id, tagged through its own content type.
    app.sql(&format!(
        "INSERT INTO tagged_items (tag_id, content_type_id, object_id) \
         SELECT t.id, ct.id, {} FROM tags t, content_types ct \
         WHERE t.label = 'eco' AND ct.app_label = 'store' AND ct.model = 'collection'",
        ids[0]
    ))
    .await;
    let product_kind = "SELECT count(*) AS n FROM tagged_items ti JOIN content_types ct \
                        ON ct.id = ti.content_type_id WHERE ct.app_label = 'store' AND ct.model = 'product'";
    assert_eq!(app.count_sql(product_kind).await, 1);
    let tags = "query($p: Int!) { product(id: $p) { tags { label } } }";
    let shown = app.data(As::Anon, tags, json!({ "p": ids[0] })).await;
    assert_eq!(shown["product"]["tags"], json!([{ "label": "eco" }]));
}

#[tokio::test]
async fn likes_are_idempotent_per_user_and_counted() {
    let (app, ids) = shop(&["Kettle"]).await;
    let [(_, ann), (_, bob)] = app.users([("ann", Kind::Customer), ("bob", Kind::Customer)]).await;
    let vars = json!({ "p": ids[0] });
    app.data(As::Token(&ann), LIKE, vars.clone()).await;
    let liked = app.data(As::Token(&ann), LIKE, vars.clone()).await;
    assert_eq!(liked["likeProduct"], json!({ "likesCount": 1, "viewerHasLiked": true }));
    let by_bob = app.data(As::Token(&bob), LIKE, vars.clone()).await;
    assert_eq!(by_bob["likeProduct"]["likesCount"], 2);
    let read = "query($p: Int!) { product(id: $p) { likesCount viewerHasLiked } }";
    let anonymous = app.data(As::Anon, read, vars.clone()).await;
    assert_eq!(anonymous["product"], json!({ "likesCount": 2, "viewerHasLiked": false }));
    let unliked = app.data(As::Token(&ann), UNLIKE, vars.clone()).await;
    assert_eq!(unliked["unlikeProduct"], json!({ "likesCount": 1, "viewerHasLiked": false }));
    app.refused(As::Anon, LIKE, vars, "UNAUTHENTICATED").await;
}

#[tokio::test]
async fn my_likes_lists_the_most_recently_liked_first() {
    let (app, ids) = shop(&["Kettle", "Mug", "Spoon"]).await;
    let (_, ann) = app.user("ann", Kind::Customer).await;
    for id in [ids[1], ids[0], ids[2]] {
        app.data(As::Token(&ann), LIKE, json!({ "p": id })).await;
    }
    let query = "{ myLikes(first: 2) { totalCount nodes { title viewerHasLiked } } }";
    let mine = app.data(As::Token(&ann), query, json!({})).await;
    assert_eq!(mine["myLikes"]["totalCount"], 3);
    assert_eq!(
        mine["myLikes"]["nodes"],
        json!([{ "title": "Spoon", "viewerHasLiked": true }, { "title": "Kettle", "viewerHasLiked": true }])
    );
    app.refused(As::Anon, query, json!({}), "UNAUTHENTICATED").await;
}

#[tokio::test]
async fn deleting_a_product_deletes_its_taggings_and_likes() {
    let (app, ids) = shop(&["Kettle"]).await;
    let (_, ann) = app.user("ann", Kind::Customer).await;
    app.data(As::Default, TAG, json!({ "p": ids[0], "l": "eco" })).await;
    app.data(As::Token(&ann), LIKE, json!({ "p": ids[0] })).await;
    let delete = "mutation($id: Int!) { deleteProduct(id: $id) }";
    app.data(As::Default, delete, json!({ "id": ids[0] })).await;
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM tagged_items").await, 0);
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM liked_items").await, 0);
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM tags").await, 1, "the tag stays");
}

#[tokio::test]
async fn a_page_with_tags_and_likes_runs_a_fixed_number_of_statements() {
    let app = TestApp::counting_as_staff().await;
    let mut conn = app.conn().await;
    let specs: Vec<(String, &str, i32)> =
        (0..30).map(|i| (format!("P{i:02}"), "1.00", 5)).collect();
    let specs: Vec<(&str, &str, i32)> =
        specs.iter().map(|(t, p, n)| (t.as_str(), *p, *n)).collect();
    let ids = factories::catalogue(&mut conn, &specs).await;
    drop(conn);
    let (_, ann) = app.user("ann", Kind::Customer).await;
    for (i, id) in ids.iter().enumerate() {
        let label = format!("t{}", i % 4);
        app.data(As::Default, TAG, json!({ "p": id, "l": label })).await;
        if i % 2 == 0 {
            app.data(As::Token(&ann), LIKE, json!({ "p": id })).await;
        }
    }
    let query = "query($n: Int) { products(first: $n) { nodes { tags { label } likesCount viewerHasLiked } } }";
    let small = app.count_statements(As::Token(&ann), query, json!({ "n": 2 })).await;
    let large = app.count_statements(As::Token(&ann), query, json!({ "n": 30 })).await;
    assert_eq!(small, large, "the statement count grew with the page");
    let page = app.data(As::Token(&ann), query, json!({ "n": 2 })).await;
    let first: &Value = &page["products"]["nodes"][0];
    assert_eq!(
        first,
        &json!({ "tags": [{ "label": "t0" }], "likesCount": 1, "viewerHasLiked": true })
    );
}
