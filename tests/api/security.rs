//! Accounts and permissions against abuse: the sign-in lockout, bounded hashing,
//! revocable sessions, least-privilege administration and its audit log, owned reviews,
//! throttles and stock holds that cannot be hoarded.

use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use storefront::app::AppOptions;
use storefront::throttle::Throttles;

use crate::common::{As, Kind, TestApp, error, factories, field_errors, post_graphql};

const LOGIN: &str = "mutation($u: String!, $p: String!) { createToken(username: $u, password: $p) { access refresh } }";
const ME: &str = "{ me { id } }";
/// The password of every factory user.
const PASSWORD: &str = "a-strong-pass-9";

/// Checks a `RATE_LIMITED` answer and returns its wait in seconds.
fn throttled(status: StatusCode, headers: &HeaderMap, response: &Value) -> u64 {
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{response}");
    let error = error(response, "RATE_LIMITED", 429);
    let wait = error["extensions"]["retryAfter"].as_u64().unwrap_or(0);
    assert!(wait >= 1, "{error}");
    assert_eq!(
        error["message"],
        format!("Request was throttled. Expected available in {wait} seconds.")
    );
    assert_eq!(headers["retry-after"], wait.to_string().as_str());
    wait
}

async fn execute(app: &TestApp, sql: &str) {
    let mut conn = app.conn().await;
    diesel::sql_query(sql).execute(&mut conn).await.unwrap();
}

/// A sign-in from the client address `peer`: status, headers and body.
async fn sign_in(
    router: &axum::Router, peer: &str, username: &str, password: &str,
) -> (StatusCode, HeaderMap, Value) {
    let credentials = json!({ "u": username, "p": password });
    post_graphql(router, None, Some(peer), LOGIN, credentials).await
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    app.count_sql(sql).await
}

#[tokio::test]
async fn failed_sign_ins_lock_the_pair_across_instances() {
    let app = TestApp::new().await;
    app.user("ann", Kind::Customer).await;
    let attacker = "127.0.0.2";
    for _ in 0..5 {
        let (_, _, response) = sign_in(&app.router, attacker, "ann", "guess").await;
        error(&response, "UNAUTHENTICATED", 401);
    }
    // Locked: even the right password is refused, on this instance and on another one.
    let (status, headers, response) = sign_in(&app.router, attacker, "ANN", PASSWORD).await;
    assert!(throttled(status, &headers, &response) <= 60);
    let other =
        storefront::build_app(storefront::AppState::new(app.pool.clone(), app.auth.clone()));
    let (status, headers, response) = sign_in(&other, attacker, "ann", PASSWORD).await;
    throttled(status, &headers, &response);
    // The customer signs in from elsewhere.
    let (_, _, response) = sign_in(&app.router, "127.0.0.3", "ann", PASSWORD).await;
    assert!(response["data"]["createToken"]["access"].is_string(), "{response}");

    // Unknown usernames count like known ones.
    for _ in 0..5 {
        sign_in(&app.router, attacker, "ghost", "x").await;
    }
    let (status, headers, response) = sign_in(&app.router, attacker, "ghost", "x").await;
    throttled(status, &headers, &response);

    // When a lock has run out, the next failure locks again for twice as long.
    execute(&app, "UPDATE sign_in_locks SET locked_until = now() - interval '1 second'").await;
    let (_, _, response) = sign_in(&app.router, attacker, "ann", "guess").await;
    error(&response, "UNAUTHENTICATED", 401);
    let (status, headers, response) = sign_in(&app.router, attacker, "ann", PASSWORD).await;
    let wait = throttled(status, &headers, &response);
    assert!((61..=120).contains(&wait), "{wait}");
}

#[tokio::test]
async fn many_addresses_lock_the_account_everywhere() {
    let app = TestApp::new().await;
    app.user("ann", Kind::Customer).await;
    for i in 0..50 {
        let peer = format!("127.0.1.{}", i % 10 + 1);
        sign_in(&app.router, &peer, "ann", "guess").await;
    }
    let (status, headers, response) = sign_in(&app.router, "127.0.2.1", "ann", PASSWORD).await;
    throttled(status, &headers, &response);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_hundred_concurrent_sign_ins_hash_one_per_core() {
    let app = TestApp::new().await;
    app.user("ann", Kind::Customer).await;
    let slots = app.auth.passwords.slots();
    let attempts = (0..600).map(|i| {
        let router = app.router.clone();
        async move {
            let peer = format!("127.0.{}.{}", i / 200 + 3, i % 200 + 1);
            sign_in(&router, &peer, "ann", PASSWORD).await
        }
    });
    let results = futures_util::future::join_all(attempts).await;
    let mut signed_in = 0;
    for (status, _, response) in &results {
        if response["data"]["createToken"]["access"].is_string() {
            signed_in += 1;
        } else {
            assert_eq!(*status, StatusCode::SERVICE_UNAVAILABLE, "{response}");
            error(response, "SERVICE_UNAVAILABLE", 503);
        }
    }
    assert!(signed_in > 0);
    let peak = app.auth.passwords.peak_concurrency();
    assert!((1..=slots).contains(&peak), "{peak} hashes ran at once with {slots} permits");
}

#[tokio::test]
async fn a_new_password_and_logouts_revoke_tokens_at_once() {
    let app = TestApp::new().await;
    let (ann, _) = app.user("ann", Kind::Customer).await;
    let phone = app.session(&ann).await;
    let laptop = app.session(&ann).await;
    let tablet = app.session(&ann).await;
    // logout(refresh) ends that session only, and needs no access token.
    let logout = "mutation($r: String!) { logout(refresh: $r) }";
    assert_eq!(app.data(As::Default, logout, json!({ "r": phone.refresh })).await["logout"], true);
    app.refused(As::Token(&phone.access), ME, json!({}), "UNAUTHENTICATED").await;
    app.refused(As::Default, logout, json!({ "r": phone.refresh }), "UNAUTHENTICATED").await;
    app.refused(As::Default, logout, json!({ "r": "garbage" }), "UNAUTHENTICATED").await;
    assert_eq!(app.data(As::Token(&laptop.access), ME, json!({})).await["me"]["id"], ann.id);
    // A new password ends every session.
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    app.data(
        As::Token(&laptop.access),
        change,
        json!({ "c": PASSWORD, "n": "tangerine-orbit-42" }),
    )
    .await;
    for token in [&laptop.access, &tablet.access] {
        let response = app.gql(As::Token(token), ME, json!({})).await;
        assert_eq!(
            error(&response, "UNAUTHENTICATED", 401)["message"],
            "Token is invalid or expired."
        );
    }
    let refresh_token_mutation = "mutation($r: String!) { refreshToken(refresh: $r) { access } }";
    app.refused(
        As::Default,
        refresh_token_mutation,
        json!({ "r": tablet.refresh }),
        "UNAUTHENTICATED",
    )
    .await;
    // logoutAll ends the rest.
    let one = app.session(&ann).await;
    let two = app.session(&ann).await;
    assert_eq!(
        app.data(As::Token(&one.access), "mutation { logoutAll }", json!({})).await["logoutAll"],
        true
    );
    app.refused(As::Token(&two.access), ME, json!({}), "UNAUTHENTICATED").await;
    app.refused(As::Anon, "mutation { logoutAll }", json!({}), "UNAUTHENTICATED").await;
}

#[tokio::test]
async fn changing_the_email_needs_the_current_password() {
    let app = TestApp::new().await;
    let (_, token) = app.user("ann", Kind::Customer).await;
    let update = "mutation($i: UpdateMeInput!) { updateMe(input: $i) { email firstName } }";
    let missing =
        app.gql(As::Token(&token), update, json!({ "i": { "email": "new@example.com" } })).await;
    assert_eq!(field_errors(&missing), json!({ "currentPassword": ["This field is required."] }));
    let wrong = app
        .gql(
            As::Token(&token),
            update,
            json!({ "i": { "email": "new@example.com", "currentPassword": "nope" } }),
        )
        .await;
    assert_eq!(field_errors(&wrong), json!({ "currentPassword": ["Invalid password."] }));
    // Names need no password.
    app.data(As::Token(&token), update, json!({ "i": { "firstName": "Ann" } })).await;
    assert_eq!(count(&app, "SELECT count(*) AS n FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id WHERE t.identifier = 'send_email_changed'").await, 0);
    let changed = app
        .data(
            As::Token(&token),
            update,
            json!({ "i": { "email": "new@example.com", "currentPassword": PASSWORD } }),
        )
        .await;
    assert_eq!(changed["updateMe"]["email"], "new@example.com");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM graphile_worker._private_jobs j JOIN graphile_worker._private_tasks t ON t.id = j.task_id WHERE t.identifier = 'send_email_changed'").await, 1);
}

const PRIVILEGED: [&str; 8] = [
    "mutation($u: Int!) { setStaff(userId: $u, isStaff: true) { id } }",
    "mutation($u: Int!) { setStaff(userId: $u, isStaff: false) { id } }",
    "mutation($u: Int!) { grantPermission(userId: $u, permission: \"store.view_history\") }",
    "mutation($u: Int!) { revokePermission(userId: $u, permission: \"store.view_history\") }",
    "mutation($u: Int!) { addUserToGroup(userId: $u, groupId: 1) }",
    "mutation($u: Int!) { removeUserFromGroup(userId: $u, groupId: 1) }",
    "mutation($u: Int!) { deactivateUser(userId: $u) { id } }",
    "mutation($u: Int!) { activateUser(userId: $u) { id } }",
];

#[tokio::test]
async fn only_superusers_change_privileges_and_never_their_own() {
    let app = TestApp::new().await;
    let [(staff, staff_token), (ann, _), (root, root_token)] = app
        .users([("staff", Kind::Staff), ("ann", Kind::Customer), ("root", Kind::Superuser)])
        .await;
    for query in PRIVILEGED {
        for target in [ann.id, staff.id] {
            let vars = json!({ "u": target });
            app.refused(As::Token(&staff_token), query, vars, "FORBIDDEN").await;
        }
        let own = json!({ "u": root.id });
        app.refused(As::Token(&root_token), query, own, "FORBIDDEN").await;
    }
    for query in ["mutation { createGroup(name: \"G\") { id } }", "{ auditLog { totalCount } }"] {
        app.refused(As::Token(&staff_token), query, json!({}), "FORBIDDEN").await;
    }
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM audit_log").await,
        0,
        "refusals are not recorded"
    );
}

#[tokio::test]
async fn a_change_is_audited_with_the_request_id_and_a_failed_one_is_not() {
    let app = TestApp::new().await;
    let [(ann, _), (root, root_token)] =
        app.users([("ann", Kind::Customer), ("root", Kind::Superuser)]).await;
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("authorization", format!("Bearer {root_token}"))
        .header("x-request-id", "promote-ann-1")
        .body(Body::from(
            json!({ "query": PRIVILEGED[0], "variables": { "u": ann.id } }).to_string(),
        ))
        .unwrap();
    assert_eq!(app.send(request).await.0, StatusCode::OK);
    let audit = "{ auditLog(first: 5) { totalCount nodes { actorId action targetType targetId requestId } } }";
    let log = app.data(As::Token(&root_token), audit, json!({})).await;
    assert_eq!(log["auditLog"]["totalCount"], 1);
    assert_eq!(
        log["auditLog"]["nodes"][0],
        json!({ "actorId": root.id, "action": "grant_staff", "targetType": "user", "targetId": ann.id, "requestId": "promote-ann-1" })
    );
    // A refused change (no such group) leaves no entry.
    let vars = json!({ "u": ann.id });
    app.refused(As::Token(&root_token), PRIVILEGED[4], vars, "NOT_FOUND").await;
    assert_eq!(count(&app, "SELECT count(*) AS n FROM audit_log").await, 1);
}

#[tokio::test]
async fn deactivation_ends_sessions_at_once_and_activation_allows_sign_in_again() {
    let app = TestApp::new().await;
    let [(_, root_token), (carl, carl_token)] =
        app.users([("root", Kind::Superuser), ("carl", Kind::Customer)]).await;
    let deactivate = "mutation($u: Int!) { deactivateUser(userId: $u) { isActive isSuperuser } }";
    let deactivated = app.data(As::Token(&root_token), deactivate, json!({ "u": carl.id })).await;
    assert_eq!(deactivated["deactivateUser"], json!({ "isActive": false, "isSuperuser": false }));
    app.refused(As::Token(&carl_token), ME, json!({}), "UNAUTHENTICATED").await;
    let sign_in = json!({ "u": "carl", "p": PASSWORD });
    app.refused(As::Default, LOGIN, sign_in.clone(), "UNAUTHENTICATED").await;
    app.data(As::Token(&root_token), PRIVILEGED[7], json!({ "u": carl.id })).await;
    app.data(As::Default, LOGIN, sign_in).await;
    let actions = "{ auditLog { nodes { action } } }";
    let log = app.data(As::Token(&root_token), actions, json!({})).await;
    assert_eq!(
        log["auditLog"]["nodes"],
        json!([{ "action": "activate_user" }, { "action": "deactivate_user" }])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_superusers_deactivating_each_other_leave_one() {
    for round in 0..3 {
        let app = TestApp::new().await;
        let (a, a_token) = app.user(&format!("a{round}"), Kind::Superuser).await;
        let (b, b_token) = app.user(&format!("b{round}"), Kind::Superuser).await;
        let query = "mutation($u: Int!) { deactivateUser(userId: $u) { id } }";
        let (first, second) = tokio::join!(
            app.gql(As::Token(&a_token), query, json!({ "u": b.id })),
            app.gql(As::Token(&b_token), query, json!({ "u": a.id }))
        );
        let succeeded = [&first, &second].iter().filter(|r| r.get("errors").is_none()).count();
        assert_eq!(succeeded, 1, "{first} {second}");
        let refused = if first.get("errors").is_some() { &first } else { &second };
        let code = &refused["errors"][0]["extensions"]["code"];
        if code == "BAD_USER_INPUT" {
            assert_eq!(
                field_errors(refused),
                json!({ "nonFieldErrors": ["The last active superuser cannot be demoted or deactivated."] })
            );
        } else {
            // The loser's own session had already been ended by the winner.
            assert_eq!(code, "UNAUTHENTICATED", "{refused}");
        }
        assert_eq!(
            count(&app, "SELECT count(*) AS n FROM users WHERE is_superuser AND is_active").await,
            1
        );
        assert_eq!(
            count(&app, "SELECT count(*) AS n FROM audit_log").await,
            1,
            "the refused deactivation rolled back without an entry"
        );
    }
}

#[tokio::test]
async fn reviews_belong_to_their_author() {
    let app = TestApp::new().await;
    let mut conn = app.conn().await;
    let p = factories::lone_product(&mut conn).await;
    let anonymous_review = factories::review(&mut conn, p.id, "Anon").await;
    drop(conn);
    let [(_, ann), (_, bob), (_, staff)] =
        app.users([("ann", Kind::Customer), ("bob", Kind::Customer), ("staff", Kind::Staff)]).await;
    let create = "mutation($p: Int!) { createReview(productId: $p, input: { name: \"Ann\", description: \"Good\" }) { id } }";
    let id = app.data(As::Token(&ann), create, json!({ "p": p.id })).await["createReview"]["id"]
        .as_i64()
        .unwrap_or_default();
    let patch = "mutation($p: Int!, $id: Int!) { patchReview(productId: $p, id: $id, input: { description: \"Changed\" }) { description } }";
    let delete = "mutation($p: Int!, $id: Int!) { deleteReview(productId: $p, id: $id) }";
    let ids = json!({ "p": p.id, "id": id });
    app.refused(As::Anon, patch, ids.clone(), "UNAUTHENTICATED").await;
    app.refused(As::Anon, delete, ids.clone(), "UNAUTHENTICATED").await;
    app.refused(As::Token(&bob), patch, ids.clone(), "FORBIDDEN").await;
    app.refused(As::Token(&bob), delete, ids.clone(), "FORBIDDEN").await;
    assert_eq!(
        app.data(As::Token(&ann), patch, ids.clone()).await["patchReview"]["description"],
        "Changed"
    );
    app.data(As::Token(&staff), patch, ids.clone()).await;
    // An anonymous review: only staff change it.
    let anon = json!({ "p": p.id, "id": anonymous_review.id });
    app.refused(As::Anon, delete, anon.clone(), "UNAUTHENTICATED").await;
    app.refused(As::Token(&ann), delete, anon.clone(), "FORBIDDEN").await;
    assert_eq!(app.data(As::Token(&staff), delete, anon).await["deleteReview"], true);
    assert_eq!(app.data(As::Token(&ann), delete, ids).await["deleteReview"], true);
    // Names and texts have maximum lengths.
    let long = app
        .gql(As::Token(&ann), "mutation($p: Int!, $d: String!) { createReview(productId: $p, input: { name: \"n\", description: $d }) { id } }", json!({ "p": p.id, "d": "x".repeat(5_001) }))
        .await;
    assert_eq!(
        field_errors(&long),
        json!({ "description": ["Ensure this field has no more than 5000 characters."] })
    );
}

#[tokio::test]
async fn throttles_answer_rate_limited_per_address_unless_switched_off() {
    let app = TestApp::with_options(AppOptions {
        throttles: Throttles::new(true),
        ..AppOptions::default()
    })
    .await;
    let register = "mutation($u: String!) { register(input: { username: $u, email: $u, password: \"tangerine-orbit-42\" }) { id } }";
    let reset = "mutation($e: String!) { requestPasswordReset(email: $e) }";
    let from = async |app: &TestApp, peer: &str, query: &str, value: &str| {
        let key = if query == register { "u" } else { "e" };
        app.call(As::Anon, peer, query, json!({ key: value })).await
    };
    for i in 0..5 {
        let (_, _, response) =
            from(&app, "127.0.0.5", register, &format!("user{i}@example.com")).await;
        assert!(
            response.get("errors").is_none()
                || response["errors"][0]["extensions"]["code"] != "RATE_LIMITED",
            "{response}"
        );
    }
    let (status, headers, response) = from(&app, "127.0.0.5", register, "late@example.com").await;
    throttled(status, &headers, &response);
    // Another address is not affected.
    let (_, _, response) = from(&app, "127.0.0.6", register, "other@example.com").await;
    assert!(response["data"]["register"]["id"].is_number(), "{response}");
    for i in 0..3 {
        from(&app, &format!("127.0.3.{}", i + 1), reset, "victim@example.com").await;
    }
    let (status, headers, response) = from(&app, "127.0.3.9", reset, "VICTIM@example.com").await;
    throttled(status, &headers, &response);

    // RATE_LIMITS=off: no address throttles.
    let open = TestApp::new().await;
    for i in 0..8 {
        let (_, _, response) =
            from(&open, "127.0.0.5", register, &format!("user{i}@example.com")).await;
        assert!(response["data"]["register"]["id"].is_number(), "{response}");
    }
}

#[tokio::test]
async fn one_client_cannot_hoard_the_stock_and_a_shopper_still_buys() {
    let app = TestApp::with_options(AppOptions {
        throttles: Throttles::new(true),
        ..AppOptions::default()
    })
    .await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    let product = factories::product(c.id).inventory(300).insert(&mut conn).await;
    drop(conn);
    let create = "mutation { createCart { id } }";
    let add = "mutation($c: UUID!, $p: Int!, $q: Int!) { addCartItem(cartId: $c, productId: $p, quantity: $q) { quantity } }";
    let hoarder =
        async |query: &str, variables| app.call(As::Anon, "127.0.0.66", query, variables).await;
    let mut carts = 0;
    let mut stopped = false;
    for _ in 0..100 {
        let (status, headers, response) = hoarder(create, json!({})).await;
        if response.get("errors").is_some() {
            throttled(status, &headers, &response);
            stopped = true;
            break;
        }
        carts += 1;
        let cart = response["data"]["createCart"]["id"].clone();
        // More than one line may hold is refused; the most it may hold is accepted.
        let greedy = hoarder(add, json!({ "c": cart, "p": product.id, "q": 21 })).await;
        assert_eq!(
            field_errors(&greedy.2),
            json!({ "quantity": ["Ensure this value is less than or equal to 20."] })
        );
        let held = hoarder(add, json!({ "c": cart, "p": product.id, "q": 20 })).await.2;
        assert_eq!(held["data"]["addCartItem"]["quantity"], 20, "{held}");
    }
    assert!(stopped, "the cart loop was never stopped");
    assert_eq!(carts, 10);
    let available_query = "query($p: Int!) { product(id: $p) { availableInventory } }";
    let available = app.data(As::Default, available_query, json!({ "p": product.id })).await;
    assert_eq!(available["product"]["availableInventory"], 300 - 200);
    // A real shopper, elsewhere, fills a cart and buys.
    let (_, token) = app.user("shopper", Kind::Customer).await;
    let shopper = async |query: &str, variables| {
        app.call(As::Token(&token), "127.0.0.77", query, variables).await.2
    };
    let cart = shopper(create, json!({})).await["data"]["createCart"]["id"].clone();
    shopper(add, json!({ "c": cart, "p": product.id, "q": 5 })).await;
    let order = shopper(
        "mutation($c: UUID!) { createOrder(cartId: $c) { items { quantity } } }",
        json!({ "c": cart }),
    )
    .await;
    assert_eq!(order["data"]["createOrder"]["items"], json!([{ "quantity": 5 }]), "{order}");
}

#[tokio::test]
async fn guest_carts_hold_stock_for_less_time_than_signed_in_carts() {
    let app = TestApp::with_options(AppOptions {
        settings: TestApp::holds(10, 2),
        throttles: Throttles::new(false),
        ..AppOptions::default()
    })
    .await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    let guest_product = factories::product(c.id).inventory(2).insert(&mut conn).await;
    let member_product = factories::product(c.id).inventory(2).insert(&mut conn).await;
    drop(conn);
    let (_, token) = app.user("ann", Kind::Customer).await;
    let add = "mutation($c: UUID!, $p: Int!) { addCartItem(cartId: $c, productId: $p, quantity: 2) { id } }";
    let guest = app
        .data(As::Default, "mutation { createCart { id } }", json!({}))
        .await["createCart"]["id"]
        .clone();
    app.data(As::Default, add, json!({ "c": guest, "p": guest_product.id })).await;
    let member_mutation = "mutation { createCart { id } }";
    let member =
        app.data(As::Token(&token), member_mutation, json!({})).await["createCart"]["id"].clone();
    app.data(As::Token(&token), add, json!({ "c": member, "p": member_product.id })).await;
    let available = "query($a: Int!, $b: Int!) { a: product(id: $a) { availableInventory } b: product(id: $b) { availableInventory } }";
    let ids = json!({ "a": guest_product.id, "b": member_product.id });
    let now = app.data(As::Default, available, ids.clone()).await;
    assert_eq!(
        (&now["a"]["availableInventory"], &now["b"]["availableInventory"]),
        (&json!(0), &json!(0))
    );
    tokio::time::sleep(Duration::from_millis(3_000)).await;
    let later = app.data(As::Default, available, ids).await;
    assert_eq!(
        (&later["a"]["availableInventory"], &later["b"]["availableInventory"]),
        (&json!(2), &json!(0)),
        "the guest hold has expired, the signed-in hold has not"
    );
}
