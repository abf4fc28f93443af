//! Registration, tokens, the current user and how tokens are checked.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use storefront::auth::jwt::{Claims, TokenType};
use storefront::db::schema::{customers, users};

use crate::common::{As, Kind, TestApp, error, field_errors};

const REGISTER: &str = "mutation($input: RegisterInput!) { register(input: $input) { id username email firstName lastName } }";
const LOGIN: &str = "mutation($u: String!, $p: String!) { createToken(username: $u, password: $p) { access refresh } }";
const REFRESH: &str = "mutation($r: String!) { refreshToken(refresh: $r) { access refresh } }";
const ME: &str = "{ me { id username email firstName lastName } }";

fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap_or_default();
    let bytes = URL_SAFE_NO_PAD.decode(part).unwrap_or_default();
    serde_json::from_slice(&bytes).unwrap_or_default()
}

fn header(token: &str) -> Value {
    let part = token.split('.').next().unwrap_or_default();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap_or_default()).unwrap_or_default()
}

fn registration() -> Value {
    json!({ "username": "user2", "password": "ILoveDjango", "email": "user2@domain.com", "firstName": "Joe", "lastName": "Smith" })
}

async fn count(app: &TestApp) -> (i64, i64) {
    let mut conn = app.conn().await;
    let users: i64 = users::table.count().get_result(&mut conn).await.unwrap();
    let customers: i64 = customers::table.count().get_result(&mut conn).await.unwrap();
    (users, customers)
}

#[tokio::test]
async fn register_creates_the_user_and_its_customer_in_one_go() {
    let app = TestApp::new().await;
    let data = app.data(As::Default, REGISTER, json!({ "input": registration() })).await;
    let user = &data["register"];
    let id = user["id"].as_i64().unwrap_or_default();
    assert_eq!(
        user,
        &json!({ "id": id, "username": "user2", "email": "user2@domain.com", "firstName": "Joe", "lastName": "Smith" })
    );
    let mut conn = app.conn().await;
    let hash: String = users::table
        .find(id)
        .select(users::password)
        .get_result(&mut conn)
        .await
        .unwrap_or_default();
    assert!(hash.starts_with("$argon2id$"), "stored as an argon2id PHC string");
    let customer: (String, Option<chrono::NaiveDate>, String) = customers::table
        .filter(customers::user_id.eq(id))
        .select((customers::phone, customers::birth_date, customers::membership))
        .get_result(&mut conn)
        .await
        .expect("no customer");
    assert_eq!(customer, (String::new(), None, "B".to_owned()));
    drop(conn);
    // The minimal form (no names) is valid too.
    let minimal =
        json!({ "username": "min", "password": "ILoveDjango", "email": "min@domain.com" });
    let data = app.data(As::Default, REGISTER, json!({ "input": minimal })).await;
    assert_eq!(data["register"]["firstName"], "");
    assert_eq!(count(&app).await, (2, 2));
}

#[tokio::test]
async fn registration_rules_report_every_error() {
    let app = TestApp::new().await;
    app.data(As::Default, REGISTER, json!({ "input": registration() })).await;
    let required = json!(["This field is required."]);
    let missing = app.gql(As::Default, REGISTER, json!({ "input": {} })).await;
    assert_eq!(
        field_errors(&missing),
        json!({ "email": required, "password": required, "username": required })
    );

    let taken = app
        .gql(As::Default, REGISTER, json!({ "input": { "username": "user2", "password": "ILoveDjango", "email": "USER2@Domain.com" } }))
        .await;
    assert_eq!(
        field_errors(&taken),
        json!({ "email": ["user with this email already exists."], "username": ["A user with that username already exists."] })
    );
    let bad = app
        .gql(As::Default, REGISTER, json!({ "input": { "username": "no spaces", "password": "ILoveDjango", "email": "not-an-email", "firstName": "x".repeat(151) } }))
        .await;
    assert_eq!(
        field_errors(&bad),
        json!({
            "email": ["Enter a valid email address."],
            "firstName": ["Ensure this field has no more than 150 characters."],
            "username": ["Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters."]
        })
    );
    let password = async |username: &str, password: &str| {
        let input = json!({ "username": username, "password": password, "email": format!("{username}@example.com") });
        app.field_errors(As::Default, REGISTER, json!({ "input": input })).await["password"].clone()
    };
    assert_eq!(
        password("ann", "xk9#").await,
        json!(["This password is too short. It must contain at least 8 characters."])
    );
    assert_eq!(password("ann", "password").await, json!(["This password is too common."]));
    assert_eq!(password("ann", "8203948572").await, json!(["This password is entirely numeric."]));
    assert_eq!(
        password("johnsmith", "johnsmith1").await,
        json!(["The password is too similar to the username."])
    );
    assert_eq!(
        password("ann", "1234").await,
        json!([
            "This password is too short. It must contain at least 8 characters.",
            "This password is too common.",
            "This password is entirely numeric."
        ])
    );
    assert_eq!(count(&app).await, (1, 1), "nothing was written by the refused registrations");
}

#[tokio::test]
async fn a_failing_customer_insert_leaves_no_user() {
    let app = TestApp::new().await;
    app.sql("ALTER TABLE customers ADD CONSTRAINT test_refuse CHECK (user_id < 0) NOT VALID").await;
    let response = app.gql(As::Default, REGISTER, json!({ "input": registration() })).await;
    assert_eq!(error(&response, "INTERNAL_SERVER_ERROR", 500)["message"], "Internal server error");
    assert_eq!(count(&app).await, (0, 0));
}

#[tokio::test]
async fn login_issues_hs256_access_and_refresh_tokens() {
    let app = TestApp::new().await;
    app.data(As::Default, REGISTER, json!({ "input": registration() })).await;
    let tokens = app
        .data(
            As::Default,
            LOGIN,
            json!({ "u": "user2", "p": "ILoveDjango" }),
        )
        .await["createToken"]
        .clone();
    let (access, refresh) = (
        tokens["access"].as_str().unwrap_or_default(),
        tokens["refresh"].as_str().unwrap_or_default(),
    );
    assert_eq!(header(access)["alg"], "HS256");
    assert_eq!(header(access)["typ"], "JWT");
    let (a, r) = (payload(access), payload(refresh));
    assert_eq!(
        (a["token_type"].as_str(), r["token_type"].as_str()),
        (Some("access"), Some("refresh"))
    );
    let now = Utc::now().timestamp();
    for claims in [&a, &r] {
        let exp = claims["exp"].as_i64().unwrap_or_default();
        assert!((exp - now - 86_400).abs() < 60, "one day: {claims}");
        assert!(claims["jti"].is_string() && claims["user_id"].is_i64() && claims["iat"].is_i64());
    }
    assert_ne!(a["jti"], r["jti"]);

    let me = app.gql(As::Header(&format!("JWT {access}")), ME, json!({})).await;
    assert_eq!(me["data"]["me"]["username"], "user2", "the notes' JWT prefix works");
    let me = app.data(As::Token(access), ME, json!({})).await;
    assert_eq!(me["me"]["email"], "user2@domain.com");
    let mut conn = app.conn().await;
    let last_login: Option<chrono::DateTime<Utc>> =
        users::table.select(users::last_login).first(&mut conn).await.unwrap_or_default();
    assert!(
        last_login.is_some_and(|t| (Utc::now() - t).num_seconds() < 60),
        "lastLogin is updated"
    );
}

#[tokio::test]
async fn wrong_credentials_and_inactive_accounts_cannot_log_in() {
    let app = TestApp::new().await;
    app.user("ann", Kind::Customer).await;
    app.user("idle", Kind::Inactive).await;
    for (username, password) in
        [("ann", "wrong-password"), ("nobody", "a-strong-pass-9"), ("idle", "a-strong-pass-9")]
    {
        let response = app.gql(As::Default, LOGIN, json!({ "u": username, "p": password })).await;
        assert_eq!(
            error(&response, "UNAUTHENTICATED", 401)["message"],
            "No active account found with the given credentials."
        );
    }
    app.data(As::Default, LOGIN, json!({ "u": "ann", "p": "a-strong-pass-9" })).await;
}

#[tokio::test]
async fn a_missing_or_malformed_authorization_header_is_unauthenticated() {
    let app = TestApp::new().await;
    let (_, token) = app.user("ann", Kind::Customer).await;
    let me = async |caller: As<'_>| app.gql(caller, ME, json!({})).await;

    let anonymous = me(As::Anon).await;
    assert_eq!(
        error(&anonymous, "UNAUTHENTICATED", 401)["message"],
        "Authentication credentials were not provided."
    );
    let other_scheme = me(As::Header(&format!("Basic {token}"))).await;
    assert_eq!(
        error(&other_scheme, "UNAUTHENTICATED", 401)["message"],
        "Authentication credentials were not provided."
    );
    for malformed in ["Bearer", "JWT a b"] {
        let response = me(As::Header(malformed)).await;
        assert_eq!(
            error(&response, "UNAUTHENTICATED", 401)["message"],
            "Authorization header must contain two space-delimited values"
        );
    }
}

#[tokio::test]
async fn expired_refresh_tampered_forged_and_garbage_tokens_are_refused() {
    let app = TestApp::new().await;
    let (ann, token) = app.user("ann", Kind::Customer).await;
    let me = async |caller: As<'_>| app.gql(caller, ME, json!({})).await;
    let claims = Claims {
        token_type: TokenType::Access,
        exp: Utc::now().timestamp() - 5,
        iat: 0,
        jti: "x".into(),
        user_id: ann.id,
        sid: None,
    };
    let expired = app.auth.jwt.sign(&claims).unwrap_or_default();
    let refresh = app.session(&ann).await.refresh;
    let mut tampered = token.clone();
    tampered.pop();
    tampered.push(if token.ends_with('A') { 'B' } else { 'A' });
    let forged_payload = {
        let parts: Vec<&str> = token.split('.').collect();
        let mut body = payload(&token);
        body["user_id"] = json!(1);
        format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(body.to_string()), parts[2])
    };
    for bad in [expired, refresh, tampered, forged_payload, "garbage".to_owned()] {
        let response = me(As::Header(&format!("Bearer {bad}"))).await;
        assert_eq!(
            error(&response, "UNAUTHENTICATED", 401)["message"],
            "Token is invalid or expired.",
            "{bad}"
        );
    }
}

#[tokio::test]
async fn tokens_of_inactive_or_deleted_users_fail_even_public_queries() {
    let app = TestApp::new().await;
    let [(_, token), (_, idle_token)] =
        app.users([("ann", Kind::Customer), ("idle", Kind::Inactive)]).await;
    let me = async |caller: As<'_>| app.gql(caller, ME, json!({})).await;
    let inactive = me(As::Header(&format!("Bearer {idle_token}"))).await;
    assert_eq!(error(&inactive, "UNAUTHENTICATED", 401)["message"], "User is inactive");
    let ghost =
        app.auth.jwt.issue(987_654, TokenType::Access, uuid::Uuid::new_v4()).unwrap_or_default();
    let deleted = me(As::Header(&format!("Bearer {ghost}"))).await;
    assert_eq!(error(&deleted, "UNAUTHENTICATED", 401)["message"], "User not found");

    // A bad token fails even a public query, and nothing runs.
    let public =
        app.gql(As::Header("Bearer garbage"), "{ products { totalCount } }", json!({})).await;
    assert_eq!(public["data"], Value::Null);
    error(&public, "UNAUTHENTICATED", 401);
    let ok = app.gql(As::Token(&token), "{ products { totalCount } }", json!({})).await;
    assert_eq!(ok["data"]["products"]["totalCount"], 0);
}

#[tokio::test]
async fn a_short_access_lifetime_expires_tokens() {
    let mut app = TestApp::new().await;
    app.auth = crate::common::test_auth(std::time::Duration::from_secs(1));
    let (ann, _) = app.user("ann", Kind::Customer).await;
    let token = app.token(&ann).await;
    let exp = payload(&token)["exp"].as_i64().unwrap_or_default();
    assert!(exp - Utc::now().timestamp() <= 1);
    // The router still validates with the same secret: the token works until it expires.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let response = app.gql(As::Token(&token), ME, json!({})).await;
    assert_eq!(error(&response, "UNAUTHENTICATED", 401)["message"], "Token is invalid or expired.");
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_refresh_token_revokes_the_session() {
    let app = TestApp::new().await;
    let (ann, access) = app.user("ann", Kind::Customer).await;
    let first = app.session(&ann).await;
    let data = app.data(As::Default, REFRESH, json!({ "r": first.refresh })).await;
    let pair = &data["refreshToken"];
    let (new_access, new_refresh) = (
        pair["access"].as_str().unwrap_or_default().to_owned(),
        pair["refresh"].as_str().unwrap_or_default().to_owned(),
    );
    assert_ne!(new_refresh, first.refresh);
    assert_eq!(payload(&new_access)["token_type"], "access");
    assert_eq!(payload(&new_refresh)["sid"], payload(&first.refresh)["sid"]);
    assert_eq!(app.data(As::Token(&new_access), ME, json!({})).await["me"]["id"], ann.id);
    // The new refresh token works once more; then reusing the first one is theft:
    // the whole session (every token of it) is revoked.
    let again = app.data(As::Default, REFRESH, json!({ "r": new_refresh })).await;
    let latest_access = again["refreshToken"]["access"].as_str().unwrap_or_default().to_owned();
    let latest_refresh = again["refreshToken"]["refresh"].as_str().unwrap_or_default().to_owned();
    let reused = app.gql(As::Default, REFRESH, json!({ "r": first.refresh })).await;
    assert_eq!(error(&reused, "UNAUTHENTICATED", 401)["message"], "Token is invalid or expired");
    for token in [&new_access, &latest_access, &first.access] {
        app.refused(As::Token(token), ME, json!({}), "UNAUTHENTICATED").await;
    }
    app.refused(As::Default, REFRESH, json!({ "r": latest_refresh }), "UNAUTHENTICATED").await;
    // Other sessions of the user are untouched.
    assert_eq!(app.data(As::Token(&access), ME, json!({})).await["me"]["id"], ann.id);

    let wrong_type = app.gql(As::Default, REFRESH, json!({ "r": access })).await;
    assert_eq!(error(&wrong_type, "UNAUTHENTICATED", 401)["message"], "Token has wrong type");
    let claims = Claims {
        token_type: TokenType::Refresh,
        exp: Utc::now().timestamp() - 1,
        iat: 0,
        jti: "y".into(),
        user_id: ann.id,
        sid: None,
    };
    let expired = app.auth.jwt.sign(&claims).unwrap_or_default();
    for bad in [expired, "garbage".to_owned()] {
        let response = app.gql(As::Default, REFRESH, json!({ "r": bad })).await;
        assert_eq!(
            error(&response, "UNAUTHENTICATED", 401)["message"],
            "Token is invalid or expired"
        );
    }
}

#[tokio::test]
async fn users_change_their_names_email_and_password() {
    let app = TestApp::new().await;
    let (_, token) = app.user("ann", Kind::Customer).await;
    app.user("bob", Kind::Customer).await;
    let update = "mutation($input: UpdateMeInput!) { updateMe(input: $input) { username email firstName lastName } }";
    let updated = app
        .data(As::Token(&token),
            update,
            json!({ "input": { "firstName": "Ann", "email": "ann@NEW.example", "currentPassword": "a-strong-pass-9" } }),
        )
        .await;
    assert_eq!(
        updated["updateMe"],
        json!({ "username": "ann", "email": "ann@new.example", "firstName": "Ann", "lastName": "" })
    );
    let taken = app
        .gql(As::Token(&token),
            update,
            json!({ "input": { "email": "BOB@example.com", "currentPassword": "a-strong-pass-9" } }),
        )
        .await;
    assert_eq!(field_errors(&taken), json!({ "email": ["user with this email already exists."] }));
    let anonymous = app.gql(As::Anon, update, json!({ "input": {} })).await;
    error(&anonymous, "UNAUTHENTICATED", 401);

    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    let refused = app.gql(As::Token(&token), change, json!({ "c": "nope", "n": "password" })).await;
    assert_eq!(
        field_errors(&refused),
        json!({ "currentPassword": ["Invalid password."], "newPassword": ["This password is too common."] })
    );
    assert_eq!(
        app.data(
            As::Token(&token),
            change,
            json!({ "c": "a-strong-pass-9", "n": "tangerine-orbit-42" })
        )
        .await["changePassword"],
        true
    );
    app.data(As::Default, LOGIN, json!({ "u": "ann", "p": "tangerine-orbit-42" })).await;
    let old = app.gql(As::Default, LOGIN, json!({ "u": "ann", "p": "a-strong-pass-9" })).await;
    error(&old, "UNAUTHENTICATED", 401);
}

#[tokio::test]
async fn create_superuser_makes_a_staff_superuser_with_a_customer() {
    let app = TestApp::new().await;
    let mut conn = app.conn().await;
    let refused =
        storefront::auth::admin::create_superuser(&mut conn, "boss", "boss@example.com", "boss")
            .await;
    let message = refused.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains("This password is too short"), "{message}");
    let user = storefront::auth::admin::create_superuser(
        &mut conn,
        "boss",
        "boss@example.com",
        "tangerine-orbit-42",
    )
    .await
    .unwrap();
    assert!(user.is_staff && user.is_superuser && user.is_active);
    drop(conn);
    assert_eq!(count(&app).await, (1, 1));
    let token = app.token(&user).await;
    let created_mutation = "mutation { createCollection(input: { title: \"Boss\" }) { id } }";
    let created = app.data(As::Token(&token), created_mutation, json!({})).await;
    assert!(created["createCollection"]["id"].is_i64());
}
