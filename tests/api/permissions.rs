//! Catalogue writes are staff-only; the staff administration of groups and permissions.

use serde_json::{Value, json};

use crate::common::{As, Kind, TestApp, error, factories, field_errors};

#[tokio::test]
async fn catalogue_writes_need_staff_and_refusals_write_nothing() {
    let app = TestApp::new().await;
    let [(_, customer), (_, staff), (_, root_not_staff)] = app
        .users([("ann", Kind::Customer), ("staff", Kind::Staff), ("root", Kind::SuperuserNotStaff)])
        .await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    let empty = factories::collection(&mut conn, "Empty").await;
    let p = factories::product(c.id).title("Mug").insert(&mut conn).await;
    drop(conn);
    let input = json!({ "title": "New", "slug": "new", "unitPrice": 2, "inventory": 1, "collectionId": c.id });
    let writes: Vec<(&str, Value)> = vec![
        ("mutation($i: ProductInput!) { createProduct(input: $i) { id } }", json!({ "i": input })),
        (
            "mutation($id: Int!, $i: ProductInput!) { updateProduct(id: $id, input: $i) { id } }",
            json!({ "id": p.id, "i": input }),
        ),
        (
            "mutation($id: Int!) { patchProduct(id: $id, input: { title: \"Hacked\" }) { id } }",
            json!({ "id": p.id }),
        ),
        ("mutation($id: Int!) { deleteProduct(id: $id) }", json!({ "id": p.id })),
        ("mutation { createCollection(input: { title: \"X\" }) { id } }", json!({})),
        (
            "mutation($id: Int!) { updateCollection(id: $id, input: { title: \"Hacked\" }) { id } }",
            json!({ "id": c.id }),
        ),
        ("mutation($id: Int!) { deleteCollection(id: $id) }", json!({ "id": empty.id })),
    ];
    let snapshot = "{ products { totalCount nodes { title } } collections { title } }";
    let before = app.data(As::Default, snapshot, json!({})).await;
    for (query, variables) in &writes {
        app.refused(As::Anon, query, variables.clone(), "UNAUTHENTICATED").await;
        let forbidden = app.gql(As::Token(&customer), query, variables.clone()).await;
        assert_eq!(
            error(&forbidden, "FORBIDDEN", 403)["message"],
            "You do not have permission to perform this action."
        );
        // IsAdminOrReadOnly checks is_staff only: a superuser without it is refused too.
        app.refused(As::Token(&root_not_staff), query, variables.clone(), "FORBIDDEN").await;
    }
    assert_eq!(
        app.data(As::Default, snapshot, json!({})).await,
        before,
        "refused writes changed nothing"
    );
    for (query, variables) in &writes {
        app.data(As::Token(&staff), query, variables.clone()).await;
    }
}

#[tokio::test]
async fn catalogue_reads_and_reviews_stay_open_to_everyone() {
    let app = TestApp::new().await;
    let mut conn = app.conn().await;
    let p = factories::lone_product(&mut conn).await;
    drop(conn);
    let read = "{ products { totalCount } collections { id } }";
    let review = "mutation($p: Int!) { createReview(productId: $p, input: { name: \"a\", description: \"b\" }) { id } }";
    for caller in [As::Anon, As::Default] {
        let products = app.data(caller, read, json!({})).await;
        assert_eq!(products["products"]["totalCount"], 1);
        app.data(caller, review, json!({ "p": p.id })).await;
    }
}

#[tokio::test]
async fn only_superusers_administer_privileges_and_staff_only_read_them() {
    let app = TestApp::new().await;
    let [(_, staff), (_, ann_token)] =
        app.users([("staff", Kind::Staff), ("ann", Kind::Customer)]).await;
    let admin_ops = [
        "{ groups { id } }",
        "{ permissions { codename } }",
        "mutation { createGroup(name: \"G\") { id } }",
        "mutation { addUserToGroup(userId: 1, groupId: 1) }",
        "mutation { removeUserFromGroup(userId: 1, groupId: 1) }",
        "mutation { grantPermission(userId: 1, permission: \"store.view_history\") }",
        "mutation { revokePermission(userId: 1, permission: \"store.view_history\") }",
        "mutation { setStaff(userId: 1, isStaff: true) { id } }",
    ];
    for query in admin_ops {
        app.refused(As::Anon, query, json!({}), "UNAUTHENTICATED").await;
        app.refused(As::Token(&ann_token), query, json!({}), "FORBIDDEN").await;
    }
    // Staff read groups and permissions; privilege changes are for superusers only.
    for query in &admin_ops[2..] {
        app.refused(As::Token(&staff), query, json!({}), "FORBIDDEN").await;
    }
}

#[tokio::test]
async fn the_permission_catalogue_has_the_models_and_the_custom_permissions() {
    let app = TestApp::new().await;
    let (_, staff) = app.user("staff", Kind::Staff).await;
    let catalogue =
        app.data(As::Token(&staff), "{ permissions { codename name } }", json!({})).await;
    let codenames: Vec<&str> = catalogue["permissions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["codename"].as_str())
        .collect();
    for required in [
        "store.view_customer",
        "store.add_customer",
        "store.change_customer",
        "store.delete_customer",
        "store.view_order",
        "store.add_order",
        "store.change_order",
        "store.delete_order",
        "store.add_product",
        "store.view_collection",
        "core.view_user",
        "auth.change_group",
        "store.view_history",
        "store.cancel_order",
    ] {
        assert!(codenames.contains(&required), "{required} missing");
    }
    let names: Vec<&Value> = catalogue["permissions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["codename"] == "store.view_history" || p["codename"] == "store.cancel_order")
        .map(|p| &p["name"])
        .collect();
    assert_eq!(names.len(), 2);
    assert!(
        names.contains(&&json!("Can view history")) && names.contains(&&json!("Can cancel order"))
    );
}

#[tokio::test]
async fn groups_are_validated_unique_and_need_existing_users() {
    let app = TestApp::new().await;
    let (_, root) = app.user("root", Kind::Superuser).await;
    let bad_mutation = "mutation { createGroup(name: \" \", permissions: [\"store.fly\"]) { id } }";
    let bad = app.gql(As::Token(&root), bad_mutation, json!({})).await;
    assert_eq!(
        field_errors(&bad),
        json!({ "name": ["This field may not be blank."], "permissions": ["Invalid permission \"store.fly\"."] })
    );
    app.data(As::Token(&root), "mutation { createGroup(name: \"Support\") { id } }", json!({}))
        .await;
    let dup = app
        .gql(As::Token(&root), "mutation { createGroup(name: \"Support\") { id } }", json!({}))
        .await;
    assert_eq!(field_errors(&dup), json!({ "name": ["group with this name already exists."] }));
    let add_user_to_group_mutation = "mutation { addUserToGroup(userId: 999, groupId: 1) }";
    app.refused(As::Token(&root), add_user_to_group_mutation, json!({}), "NOT_FOUND").await;
}

#[tokio::test]
async fn set_staff_opens_the_catalogue_to_the_promoted_user() {
    let app = TestApp::new().await;
    let [(ann, ann_token), (_, root)] =
        app.users([("ann", Kind::Customer), ("root", Kind::Superuser)]).await;
    let create = "mutation { createCollection(input: { title: \"Mine\" }) { id } }";
    app.refused(As::Token(&ann_token), create, json!({}), "FORBIDDEN").await;
    let promoted_mutation =
        "mutation($u: Int!) { setStaff(userId: $u, isStaff: true) { username isStaff } }";
    let promoted = app.data(As::Token(&root), promoted_mutation, json!({ "u": ann.id })).await;
    assert_eq!(promoted["setStaff"], json!({ "username": "ann", "isStaff": true }));
    app.data(As::Token(&ann_token), create, json!({})).await;
}
