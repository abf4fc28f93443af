//! Customer profiles: the user's own, staff CRUD, and the history permission.

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use storefront::db::schema::{customers, users};

use crate::common::{As, Kind, TestApp, error, factories, field_errors};

const MY: &str = "{ myCustomer { id userId phone birthDate membership user { username } } }";
const UPDATE_MY: &str = "mutation($input: CustomerInput!) { updateMyCustomer(input: $input) { userId phone birthDate membership } }";

#[tokio::test]
async fn my_customer_is_the_callers_profile() {
    let app = TestApp::new().await;
    let (ann, token) = app.user("ann", Kind::Customer).await;
    app.refused(As::Anon, MY, json!({}), "UNAUTHENTICATED").await;
    let mine = app.data(As::Token(&token), MY, json!({})).await["myCustomer"].clone();
    assert_eq!(mine["userId"], ann.id);
    assert_eq!(
        (&mine["phone"], &mine["birthDate"], &mine["membership"], &mine["user"]),
        (&json!(""), &Value::Null, &json!("BRONZE"), &json!({ "username": "ann" }))
    );
}

#[tokio::test]
async fn replacing_my_profile_keeps_omitted_optional_fields_and_null_clears_them() {
    let app = TestApp::new().await;
    let (ann, token) = app.user("ann", Kind::Customer).await;
    let update = async |input: Value| {
        app.data(As::Token(&token), UPDATE_MY, json!({ "input": input })).await["updateMyCustomer"]
            .clone()
    };
    let updated =
        update(json!({ "phone": "9876", "birthDate": "1998-05-15", "membership": "GOLD" })).await;
    assert_eq!(
        updated,
        json!({ "userId": ann.id, "phone": "9876", "birthDate": "1998-05-15", "membership": "GOLD" })
    );
    let kept = update(json!({ "phone": "1111" })).await;
    assert_eq!(kept["birthDate"], "1998-05-15", "an omitted birthDate is kept");
    assert_eq!(kept["membership"], "GOLD");
    let cleared = update(json!({ "phone": "1111", "birthDate": null })).await;
    assert_eq!(cleared["birthDate"], Value::Null);
}

#[tokio::test]
async fn replacing_my_profile_validates_every_field() {
    let app = TestApp::new().await;
    let (_, token) = app.user("ann", Kind::Customer).await;
    let me = As::Token(&token);
    for (input, errors) in [
        (json!({ "membership": "SILVER" }), json!({ "phone": ["This field is required."] })),
        (json!({ "phone": " " }), json!({ "phone": ["This field may not be blank."] })),
    ] {
        let response = app.field_errors(me, UPDATE_MY, json!({ "input": input })).await;
        assert_eq!(response, errors);
    }
    for bad in [
        json!({ "phone": "1", "membership": "PLATINUM" }),
        json!({ "phone": "1", "birthDate": "15/05/1998" }),
    ] {
        let vars = json!({ "input": bad });
        app.refused(me, UPDATE_MY, vars, "BAD_USER_INPUT").await;
    }
    let anonymous = json!({ "input": { "phone": "1" } });
    app.refused(As::Anon, UPDATE_MY, anonymous, "UNAUTHENTICATED").await;
}

/// Staff, ann (a customer) and three more customers with names: the app, staff's and
/// ann's tokens, and the customer id of "zed".
async fn named_customers() -> (TestApp, String, String, i64) {
    let app = TestApp::new().await;
    let [(_, staff), (_, ann)] = app.users([("staff", Kind::Staff), ("ann", Kind::Customer)]).await;
    let mut conn = app.conn().await;
    let mut zed = 0;
    for (username, first, last) in
        [("zed", "Zed", "Able"), ("amy", "Amy", "Zulu"), ("amy2", "Amy", "Baker")]
    {
        let user = factories::user(&mut conn, &app.auth, username, Kind::Customer).await;
        diesel::update(users::table.find(user.id))
            .set((users::first_name.eq(first), users::last_name.eq(last)))
            .execute(&mut conn)
            .await
            .unwrap();
        if username == "zed" {
            zed = factories::customer_of(&mut conn, user.id).await;
        }
    }
    drop(conn);
    (app, staff, ann, zed)
}

#[tokio::test]
async fn only_staff_list_customers_in_name_order() {
    let (app, staff, ann, _) = named_customers().await;
    let list = "query($n: Int, $a: String) { customers(first: $n, after: $a) { totalCount pageInfo { hasNextPage endCursor } nodes { user { username } } } }";
    app.refused(As::Anon, list, json!({}), "UNAUTHENTICATED").await;
    app.refused(As::Token(&ann), list, json!({}), "FORBIDDEN").await;

    let mut names = Vec::new();
    let mut after = Value::Null;
    loop {
        let vars = json!({ "n": 2, "a": after });
        let page = app.data(As::Token(&staff), list, vars).await["customers"].clone();
        assert_eq!(page["totalCount"], 5);
        let nodes = page["nodes"].as_array().unwrap();
        names.extend(nodes.iter().map(|n| n["user"]["username"].clone()));
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    // Empty first names sort first; then by first name, last name.
    assert_eq!(Value::from(names), json!(["staff", "ann", "amy2", "amy", "zed"]));
}

#[tokio::test]
async fn only_staff_read_and_change_one_customer() {
    let (app, staff, ann, zed) = named_customers().await;
    let one = "query($id: Int!) { customer(id: $id) { id user { username } } }";
    let read = app.data(As::Token(&staff), one, json!({ "id": zed })).await;
    assert_eq!(read["customer"]["user"]["username"], "zed");
    let missing = json!({ "id": 99999 });
    app.refused(As::Token(&staff), one, missing, "NOT_FOUND").await;
    app.refused(As::Token(&ann), one, json!({ "id": zed }), "FORBIDDEN").await;

    let patch = "mutation($id: Int!, $input: CustomerPatch!) { patchCustomer(id: $id, input: $input) { phone membership } }";
    let silver = json!({ "id": zed, "input": { "membership": "SILVER" } });
    let patched = app.data(As::Token(&staff), patch, silver).await;
    assert_eq!(patched["patchCustomer"], json!({ "phone": "", "membership": "SILVER" }));
    let update = "mutation($id: Int!, $input: CustomerInput!) { updateCustomer(id: $id, input: $input) { phone membership } }";
    let phone = json!({ "id": zed, "input": { "phone": "555" } });
    let updated = app.data(As::Token(&staff), update, phone).await;
    assert_eq!(updated["updateCustomer"], json!({ "phone": "555", "membership": "SILVER" }));
    let by_ann = json!({ "id": zed, "input": { "phone": "x" } });
    app.refused(As::Token(&ann), patch, by_ann, "FORBIDDEN").await;
    let missing = json!({ "id": 99999, "input": { "phone": "x" } });
    app.refused(As::Token(&staff), patch, missing, "NOT_FOUND").await;
}

#[tokio::test]
async fn create_and_delete_customers() {
    let app = TestApp::new().await;
    let [(_, staff), (ann, _), (bob, _)] =
        app.users([("staff", Kind::Staff), ("ann", Kind::Customer), ("bob", Kind::Customer)]).await;
    let mut conn = app.conn().await;
    let bob_customer = factories::customer_of(&mut conn, bob.id).await;
    let collection = factories::collection(&mut conn, "C").await;
    let product = factories::product(collection.id).insert(&mut conn).await;
    factories::order_for(&mut conn, bob_customer, product.id).await;
    diesel::delete(customers::table.filter(customers::user_id.eq(ann.id)))
        .execute(&mut conn)
        .await
        .unwrap();
    drop(conn);

    let create = "mutation($input: NewCustomerInput!) { createCustomer(input: $input) { userId phone membership } }";
    let has_one = app
        .gql(As::Token(&staff), create, json!({ "input": { "userId": bob.id, "phone": "1" } }))
        .await;
    assert_eq!(
        field_errors(&has_one),
        json!({ "userId": ["customer with this user already exists."] })
    );
    let unknown = app
        .gql(As::Token(&staff), create, json!({ "input": { "userId": 4242, "phone": "" } }))
        .await;
    assert_eq!(
        field_errors(&unknown),
        json!({ "phone": ["This field may not be blank."], "userId": ["Invalid pk \"4242\" - object does not exist."] })
    );
    let created = app
        .data(As::Token(&staff), create, json!({ "input": { "userId": ann.id, "phone": "123" } }))
        .await;
    assert_eq!(
        created["createCustomer"],
        json!({ "userId": ann.id, "phone": "123", "membership": "BRONZE" })
    );

    let delete = "mutation($id: Int!) { deleteCustomer(id: $id) }";
    let refused = app.gql(As::Token(&staff), delete, json!({ "id": bob_customer })).await;
    assert_eq!(
        error(&refused, "METHOD_NOT_ALLOWED", 405)["message"],
        "Customer cannot be deleted because it is associated with one or more orders."
    );
    let mut conn = app.conn().await;
    let ann_customer = factories::customer_of(&mut conn, ann.id).await;
    drop(conn);
    assert_eq!(
        app.data(As::Token(&staff), delete, json!({ "id": ann_customer })).await["deleteCustomer"],
        true
    );
    app.refused(As::Token(&staff), delete, json!({ "id": ann_customer }), "NOT_FOUND").await;
}

const HISTORY: &str = "{ customerHistory(id: 12345) }";

#[tokio::test]
async fn customer_history_is_for_superusers_not_for_staff_or_customers() {
    let app = TestApp::new().await;
    let [(_, staff), (_, ann_token), (_, root)] = app
        .users([("staff", Kind::Staff), ("ann", Kind::Customer), ("root", Kind::SuperuserNotStaff)])
        .await;
    app.refused(As::Anon, HISTORY, json!({}), "UNAUTHENTICATED").await;
    app.refused(As::Token(&ann_token), HISTORY, json!({}), "FORBIDDEN").await;
    app.refused(As::Token(&staff), HISTORY, json!({}), "FORBIDDEN").await;
    assert_eq!(app.data(As::Token(&root), HISTORY, json!({})).await["customerHistory"], "ok");
    let (_, boss) = app.user("boss", Kind::Superuser).await;
    assert_eq!(app.data(As::Token(&boss), HISTORY, json!({})).await["customerHistory"], "ok");
}

#[tokio::test]
async fn a_granted_view_history_permission_opens_customer_history_until_revoked() {
    let app = TestApp::new().await;
    let [(ann, ann_token), (_, boss)] =
        app.users([("ann", Kind::Customer), ("boss", Kind::Superuser)]).await;
    let grant =
        "mutation($u: Int!) { grantPermission(userId: $u, permission: \"store.view_history\") }";
    app.data(As::Token(&boss), grant, json!({ "u": ann.id })).await;
    assert_eq!(app.data(As::Token(&ann_token), HISTORY, json!({})).await["customerHistory"], "ok");
    let revoke =
        "mutation($u: Int!) { revokePermission(userId: $u, permission: \"store.view_history\") }";
    app.data(As::Token(&boss), revoke, json!({ "u": ann.id })).await;
    app.refused(As::Token(&ann_token), HISTORY, json!({}), "FORBIDDEN").await;
}

#[tokio::test]
async fn a_groups_view_history_permission_holds_while_the_user_is_a_member() {
    let app = TestApp::new().await;
    let [(bob, bob_token), (_, boss)] =
        app.users([("bob", Kind::Customer), ("boss", Kind::Superuser)]).await;
    let history = HISTORY;
    let group = app
        .data(As::Token(&boss), "mutation { createGroup(name: \"Customer Service\", permissions: [\"store.view_customer\", \"store.view_history\"]) { id name permissions } }", json!({}))
        .await["createGroup"]
        .clone();
    assert_eq!(group["permissions"], json!(["store.view_customer", "store.view_history"]));
    let join = "mutation($u: Int!, $g: Int!) { addUserToGroup(userId: $u, groupId: $g) }";
    app.data(As::Token(&boss), join, json!({ "u": bob.id, "g": group["id"] })).await;
    assert_eq!(app.data(As::Token(&bob_token), history, json!({})).await["customerHistory"], "ok");
    // Permissions are read once per request, however many checks it makes.
    app.statements.reset();
    let twice_query = "{ a: customerHistory(id: 1) b: customerHistory(id: 2) }";
    let twice = app.data(As::Token(&bob_token), twice_query, json!({})).await;
    assert_eq!(twice, json!({ "a": "ok", "b": "ok" }));
    assert_eq!(app.statements.get(), 2, "one for the token's user, one for the permissions");

    let leave = "mutation($u: Int!, $g: Int!) { removeUserFromGroup(userId: $u, groupId: $g) }";
    app.data(As::Token(&boss), leave, json!({ "u": bob.id, "g": group["id"] })).await;
    app.refused(As::Token(&bob_token), history, json!({}), "FORBIDDEN").await;
    app.refused(As::Token(&boss), leave, json!({ "u": bob.id, "g": group["id"] }), "NOT_FOUND")
        .await;
}

#[tokio::test]
async fn the_backfill_migration_creates_missing_customers() {
    let app = TestApp::new().await;
    let [(ann, _), (bob, _)] = app.users([("ann", Kind::Customer), ("bob", Kind::Customer)]).await;
    let mut conn = app.conn().await;
    diesel::delete(customers::table.filter(customers::user_id.eq(ann.id)))
        .execute(&mut conn)
        .await
        .unwrap();
    let backfill = include_str!("../../migrations/2026-11-22-000005_backfill_customers/up.sql");
    diesel::sql_query(backfill).execute(&mut conn).await.unwrap();
    let owners: Vec<i64> = customers::table
        .select(customers::user_id)
        .order(customers::user_id)
        .load(&mut conn)
        .await
        .unwrap_or_default();
    assert_eq!(owners, [ann.id, bob.id], "exactly one customer per user");
}
