//! The request budget: cost, caps, search terms, strings, bounded lists, timeouts.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use storefront::app::AppOptions;
use storefront::config::Budget;

use crate::common::{As, Kind, TestApp, error, factories, field_errors, post_graphql};

const NESTED: &str = "{ products(first:100){ nodes{ collection{ products(first:100){ nodes{ collection{ products(first:100){ nodes{ id } } } } } } } } }";

/// The `QUERY_TOO_COMPLEX` error of `response`.
fn too_complex(response: &Value) -> &Value {
    error(response, "QUERY_TOO_COMPLEX", 400)
}

async fn catalogue(app: &TestApp) -> (i64, i64) {
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "Coffee").await;
    let p = factories::product(c.id).insert(&mut conn).await;
    for name in ["a", "b", "c"] {
        factories::review(&mut conn, p.id, name).await;
    }
    (c.id, p.id)
}

#[tokio::test]
async fn nested_lists_are_priced_by_their_page_sizes_and_refused() {
    let app = TestApp::new().await;
    let response = app.gql(As::Anon, NESTED, json!({})).await;
    let error = too_complex(&response);
    // 1 + 100 × (nodes 1 + collection 1 + 1 + 100 × (1 + 1 + 1 + 100 × 1)).
    assert_eq!(error["extensions"]["cost"], json!({ "requested": 1_030_301, "maximum": 5_000 }));
    assert!(response.get("data").is_none_or(Value::is_null), "{response}");
    // The same budget over GET.
    let uri = format!(
        "/graphql?query={}",
        NESTED.replace(' ', "%20").replace('{', "%7B").replace('}', "%7D")
    );
    let (status, _, body) = app.send(Request::get(uri).body(Body::empty()).unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let response: Value = serde_json::from_slice(&body).unwrap_or_default();
    assert_eq!(too_complex(&response)["extensions"]["cost"]["requested"], 1_030_301);
}

#[tokio::test]
async fn realistic_pages_and_introspection_pass() {
    let app = TestApp::new().await;
    let (collection, product) = catalogue(&app).await;
    for query in [
        "{ products(first: 100) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id title unitPrice priceWithTax inventoryStatus collection { title } reviews { name } images { url } } } } }",
        "{ collections { id title productsCount featuredProduct { title } products(first: 3) { nodes { title } } } }",
        "query { __schema { types { name kind fields { name args { name type { name ofType { name ofType { name ofType { name ofType { name ofType { name ofType { name } } } } } } } } type { name kind ofType { name kind ofType { name kind ofType { name kind ofType { name ofType { name ofType { name } } } } } } } } } } }",
    ] {
        let response = app.gql(As::Anon, query, json!({})).await;
        assert!(response.get("errors").is_none(), "{query}: {response:#}");
    }
    let data_query = "query($p: Int!, $c: Int!) { reviews(productId: $p) { name } product(id: $p) { reviews(first: 2) { name } } collection(id: $c) { title } }";
    let data = app.data(As::Default, data_query, json!({ "p": product, "c": collection })).await;
    assert_eq!(data["reviews"].as_array().map(Vec::len), Some(3));
    assert_eq!(data["product"]["reviews"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn aliases_depth_root_fields_directives_and_size_are_capped() {
    let app = TestApp::new().await;
    // 200 aliases of a 100-row page: the alias cap trips first, the cost is reported.
    let aliases: String =
        (0..200).map(|i| format!("a{i}: products(first: 100) {{ nodes {{ id }} }} ")).collect();
    let response = app.gql(As::Anon, &format!("{{ {aliases} }}"), json!({})).await;
    let error = too_complex(&response);
    assert_eq!(error["message"], "The query uses 200 aliases; the maximum is 30.");
    assert_eq!(error["extensions"]["cost"], json!({ "requested": 20_200, "maximum": 5_000 }));
    // 17 levels of fields (cheap ones) are one too deep.
    let mut deep = String::from("id");
    for _ in 0..5 {
        deep = format!("products(first: 1) {{ nodes {{ collection {{ {deep} }} }} }}");
    }
    let deep = format!("{{ collection(id: 1) {{ {deep} }} }}");
    let response = app.gql(As::Anon, &deep, json!({})).await;
    let error = too_complex(&response);
    assert_eq!(error["message"], "The query is nested 17 levels deep; the maximum is 16.");
    assert!(error["extensions"].get("cost").is_none(), "{error}");
    // Root fields.
    let roots = "product(id: 1) { id } ".repeat(21);
    let response = app.gql(As::Anon, &format!("{{ {roots} }}"), json!({})).await;
    assert_eq!(
        too_complex(&response)["message"],
        "The operation selects 21 root fields; the maximum is 20."
    );
    // Directives on one field.
    let directives = "@include(if: true) ".repeat(5);
    let response = app.gql(As::Anon, &format!("{{ __typename {directives} }}"), json!({})).await;
    assert_eq!(too_complex(&response)["message"], "A field has 5 directives; the maximum is 4.");
    // Size in bytes, then in tokens (checked before parsing).
    let response =
        app.gql(As::Anon, &format!("{{ __typename }} {}", "#".repeat(40_000)), json!({})).await;
    assert!(
        too_complex(&response)["message"]
            .as_str()
            .is_some_and(|m| m.ends_with("bytes long; the maximum is 32768.")),
        "{response}"
    );
    let response = app.gql(As::Anon, &format!("{{ {} }}", "a ".repeat(6_000)), json!({})).await;
    assert_eq!(
        too_complex(&response)["message"],
        "The query has more than 5000 tokens; the maximum is 5000."
    );
}

#[tokio::test]
async fn budget_variables_are_honoured() {
    let mut budget = Budget::default();
    budget.query.max_cost = 50;
    let app = budgeted(budget).await;
    let response = app.gql(As::Anon, "{ products(first: 49) { nodes { id } } }", json!({})).await;
    assert!(response.get("errors").is_none(), "{response}");
    let response_query = "query($n: Int) { products(first: $n) { nodes { id } } }";
    let response = app.gql(As::Anon, response_query, json!({ "n": 50 })).await;
    assert_eq!(
        too_complex(&response)["extensions"]["cost"],
        json!({ "requested": 51, "maximum": 50 })
    );
}

#[tokio::test]
async fn search_terms_are_bounded() {
    let app = TestApp::new().await;
    catalogue(&app).await;
    let query = "query($s: String) { products(search: $s) { totalCount } }";
    let ten = "a b c d e f g h i j";
    let response = app.gql(As::Anon, query, json!({ "s": ten })).await;
    assert!(response.get("errors").is_none(), "{response}");
    // Duplicates count; empty terms (from repeated separators) do not.
    let response = app.gql(As::Anon, query, json!({ "s": "a,,a  a a a a a a a a a" })).await;
    assert_eq!(
        field_errors(&response),
        json!({ "search": ["Ensure this field has no more than 10 terms."] })
    );
    // 20,000 terms are 40,000 characters: over the length of any string, refused before
    // anything runs.
    let many = "a ".repeat(20_000);
    let response = app.gql(As::Anon, query, json!({ "s": many })).await;
    assert_eq!(
        field_errors(&response),
        json!({ "search": ["Ensure this field has no more than 10000 characters."] })
    );
    let many = "a ".repeat(4_000);
    let response = app.gql(As::Anon, query, json!({ "s": many })).await;
    assert_eq!(
        field_errors(&response),
        json!({ "search": ["Ensure this field has no more than 10 terms."] })
    );
    let response =
        app.gql(As::Anon, query, json!({ "s": format!("ok {}", "x".repeat(101)) })).await;
    assert_eq!(
        field_errors(&response),
        json!({ "search": ["Ensure each term has no more than 100 characters."] })
    );
    let response = app.gql(As::Anon, query, json!({ "s": "x".repeat(100) })).await;
    assert_eq!(response["data"]["products"]["totalCount"], 0, "{response}");
}

#[tokio::test]
async fn nul_characters_are_refused_on_every_text_input() {
    let app = TestApp::new().await;
    let (collection, product) = catalogue(&app).await;
    let [(_, staff), (_, customer)] =
        app.users([("staff", Kind::Staff), ("carol", Kind::Customer)]).await;
    let nul = "bad\u{0}value";
    let cases: Vec<(Option<&str>, &str, Value, &str)> = vec![
        (
            None,
            "mutation($v: String!) { createToken(username: $v, password: \"x\") { access } }",
            json!({ "v": nul }),
            "username",
        ),
        (
            None,
            "mutation($v: String!) { requestPasswordReset(email: $v) }",
            json!({ "v": nul }),
            "email",
        ),
        (
            None,
            "mutation($p: Int!, $v: String!) { createReview(productId: $p, input: { name: $v, description: \"d\" }) { id } }",
            json!({ "p": product, "v": nul }),
            "name",
        ),
        (
            Some(&staff),
            "mutation($i: ProductInput!) { createProduct(input: $i) { id } }",
            json!({ "c": collection, "i": { "title": nul, "slug": "s", "unitPrice": 1, "inventory": 1, "collectionId": collection } }),
            "title",
        ),
        (
            Some(&staff),
            "mutation { createCollection(input: { title: \"bad\\u0000value\" }) { id } }",
            json!({}),
            "title",
        ),
        (
            Some(&customer),
            "mutation($v: String!) { updateMe(input: { firstName: $v }) { id } }",
            json!({ "v": nul }),
            "firstName",
        ),
        (
            None,
            "mutation($v: String!) { register(input: { username: \"u\", password: \"long-enough-1\", email: $v }) { id } }",
            json!({ "v": nul }),
            "email",
        ),
        (
            None,
            "query($v: String) { products(search: $v) { totalCount } }",
            json!({ "v": nul }),
            "search",
        ),
    ];
    for (token, query, variables, field) in cases {
        let response = match token {
            Some(token) => app.gql(As::Token(token), query, variables).await,
            None => app.gql(As::Anon, query, variables).await,
        };
        assert_eq!(
            field_errors(&response),
            json!({ field: ["Null characters are not allowed."] }),
            "{query}"
        );
    }
}

#[tokio::test]
async fn every_string_has_a_maximum_length() {
    let app = TestApp::new().await;
    let (_, product) = catalogue(&app).await;
    let response = app
        .gql(As::Anon,
            "mutation($p: Int!, $d: String!) { createReview(productId: $p, input: { name: \"n\", description: $d }) { id } }",
            json!({ "p": product, "d": "d".repeat(5_001) }),
        )
        .await;
    assert_eq!(
        field_errors(&response),
        json!({ "description": ["Ensure this field has no more than 5000 characters."] })
    );
    let response_mutation =
        "mutation($v: String!) { createToken(username: $v, password: \"x\") { access } }";
    let response = app.gql(As::Anon, response_mutation, json!({ "v": "u".repeat(10_001) })).await;
    assert_eq!(
        field_errors(&response),
        json!({ "username": ["Ensure this field has no more than 10000 characters."] })
    );
}

#[tokio::test]
async fn growable_lists_take_first_up_to_100() {
    let app = TestApp::as_staff().await;
    let (_, product) = catalogue(&app).await;
    let data_query = "query($p: Int!) { reviews(productId: $p, first: 2) { name } productImages(productId: $p) { id } collections(first: 1) { title } groups(first: 5) { id } }";
    let data = app.data(As::Default, data_query, json!({ "p": product })).await;
    assert_eq!(data["reviews"], json!([{ "name": "a" }, { "name": "b" }]));
    assert_eq!(data["collections"], json!([{ "title": "Coffee" }]));
    for query in [
        "query($p: Int!) { reviews(productId: $p, first: 101) { name } }",
        "query($p: Int!) { product(id: $p) { reviews(first: 101) { name } } }",
        "query($p: Int!) { product(id: $p) { images(first: 101) { id } } }",
        "query($p: Int!) { productImages(productId: $p, first: 101) { id } }",
        "{ collections(first: 101) { id } }",
        "{ groups(first: 101) { id } }",
    ] {
        let response = app.gql(As::Default, query, json!({ "p": product })).await;
        assert_eq!(
            field_errors(&response),
            json!({ "first": ["Ensure this value is less than or equal to 100."] }),
            "{query}"
        );
    }
}

/// Holds an exclusive lock on `products` from another session until dropped.
async fn lock_products(app: &TestApp) -> tokio::task::JoinHandle<()> {
    let mut conn = app.conn().await;
    let (locked, is_locked) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        use diesel_async::AsyncConnection;
        let _ = conn
            .transaction::<_, diesel::result::Error, _>(async |conn| {
                diesel::sql_query("LOCK TABLE products IN ACCESS EXCLUSIVE MODE")
                    .execute(conn)
                    .await?;
                let _ = locked.send(());
                tokio::time::sleep(Duration::from_secs(30)).await;
                Ok(())
            })
            .await;
    });
    let _ = is_locked.await;
    task
}

/// Statements of this database still waiting on a lock.
/// `products { totalCount }`, which waits while [`lock_products`] holds the table.
async fn slow_count(router: &axum::Router) -> (StatusCode, axum::http::HeaderMap, Value) {
    let query = "{ products { totalCount } }";
    post_graphql(router, None, None, query, json!({})).await
}

/// An app with `budget`.
async fn budgeted(budget: Budget) -> TestApp {
    TestApp::with_options(AppOptions { budget, ..AppOptions::default() }).await
}

/// Checks a `503 SERVICE_UNAVAILABLE` answer with `Retry-After: 1` whose error carries
/// the request id; returns that id.
fn unavailable((status, headers, response): (StatusCode, axum::http::HeaderMap, Value)) -> String {
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{response}");
    assert_eq!(headers["retry-after"], "1");
    let request_id = headers["x-request-id"].to_str().unwrap().to_owned();
    let error = error(&response, "SERVICE_UNAVAILABLE", 503);
    assert_eq!(error["extensions"]["requestId"], request_id.as_str());
    request_id
}

async fn waiting_statements(app: &TestApp) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = storefront::db::create_pool(&app.db.url, 1).unwrap().get().await.unwrap();
    let count: Count = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    count.n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout_cancels_slow_sql_with_service_unavailable() {
    let logs = crate::common::capture_logs();
    let budget = Budget { statement_timeout: Duration::from_millis(300), ..Budget::default() };
    let app = budgeted(budget).await;
    let lock = lock_products(&app).await;
    let request_id = unavailable(slow_count(&app.router).await);
    // PostgreSQL itself cancelled the statement: nothing of ours waits on the lock.
    assert_eq!(waiting_statements(&app).await, 0);
    // The log line of that failure names the request.
    assert!(
        logs.lines()
            .iter()
            .any(|line| line.contains(&request_id)
                && line.contains("database unavailable or too slow")),
        "{:#?}",
        logs.lines()
    );
    lock.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_timeout_answers_service_unavailable() {
    let budget = Budget {
        request_timeout: Duration::from_millis(300),
        statement_timeout: Duration::from_secs(2),
        ..Budget::default()
    };
    let app = budgeted(budget).await;
    let lock = lock_products(&app).await;
    unavailable(slow_count(&app.router).await);
    // The abandoned statement is cancelled by its statement timeout soon after.
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    assert_eq!(waiting_statements(&app).await, 0);
    lock.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_in_flight_cap_are_shed() {
    let budget =
        Budget { max_in_flight: 1, statement_timeout: Duration::from_secs(3), ..Budget::default() };
    let app = budgeted(budget).await;
    let lock = lock_products(&app).await;
    let slow = {
        let router = app.router.clone();
        tokio::spawn(async move { slow_count(&router).await })
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let request = Request::get("/healthz").body(Body::empty()).unwrap();
    let (status, headers, body) = app.send(request).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(headers["retry-after"], "1");
    let response: Value = serde_json::from_slice(&body).unwrap_or_default();
    assert_eq!(
        error(&response, "SERVICE_UNAVAILABLE", 503)["message"],
        "The service is busy. Please try again shortly."
    );
    lock.abort();
    let _ = slow.await;
    // Once the slow request is done, requests are served again.
    let request = Request::get("/healthz").body(Body::empty()).unwrap();
    assert_eq!(app.send(request).await.0, StatusCode::OK);
}

/// The named type under `NON_NULL`/`LIST` wrappers of an introspected type.
fn named(ty: &Value) -> (&str, &str) {
    let mut ty = ty;
    while ty["name"].is_null() && !ty["ofType"].is_null() {
        ty = &ty["ofType"];
    }
    (ty["kind"].as_str().unwrap_or_default(), ty["name"].as_str().unwrap_or_default())
}

#[tokio::test]
async fn every_text_argument_and_input_field_of_every_mutation_refuses_nul() {
    let app = TestApp::new().await;
    let schema = app
        .data(
            As::Default,
            "{ __schema { mutationType { fields { name args { name type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
               types { name kind inputFields { name type { kind name ofType { kind name ofType { kind name } } } } } } }",
            json!({}),
        )
        .await;
    let inputs: std::collections::HashMap<&str, &Value> = schema["__schema"]["types"]
        .as_array()
        .map(|types| {
            types
                .iter()
                .filter(|t| t["kind"] == "INPUT_OBJECT")
                .filter_map(|t| Some((t["name"].as_str()?, &t["inputFields"])))
                .collect()
        })
        .unwrap_or_default();
    let mut checked = 0;
    let fields =
        schema["__schema"]["mutationType"]["fields"].as_array().cloned().unwrap_or_default();
    for field in &fields {
        let name = field["name"].as_str().unwrap_or_default();
        for arg in field["args"].as_array().into_iter().flatten() {
            let arg_name = arg["name"].as_str().unwrap_or_default();
            let (kind, type_name) = named(&arg["type"]);
            let targets: Vec<(String, String)> = match (kind, type_name) {
                ("SCALAR", "String") => vec![(format!("{arg_name}: $v"), arg_name.to_owned())],
                ("INPUT_OBJECT", input) => inputs
                    .get(input)
                    .and_then(|f| f.as_array())
                    .into_iter()
                    .flatten()
                    .filter(|f| named(&f["type"]) == ("SCALAR", "String"))
                    .filter_map(|f| f["name"].as_str())
                    .map(|f| (format!("{arg_name}: {{ {f}: $v }}"), f.to_owned()))
                    .collect(),
                _ => Vec::new(),
            };
            for (argument, reported) in targets {
                let query =
                    format!("mutation($v: String) {{ {name}({argument}) {{ __typename }} }}");
                let response = app.gql(As::Anon, &query, json!({ "v": "a\u{0}b" })).await;
                assert_eq!(
                    field_errors(&response),
                    json!({ reported.as_str(): ["Null characters are not allowed."] }),
                    "{query}"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "only {checked} text inputs found");
}

/// A document nested far beyond any budget (a thousand levels, within the token cap) is
/// refused before the budget walks it (async-graphql refuses it by its recursion limit),
/// with a coded error, and the service goes on answering.
#[tokio::test]
async fn a_document_nested_a_thousand_levels_is_refused_without_harm() {
    let app = TestApp::new().await;
    let deep = format!("{{ {}__typename{} }}", "a { ".repeat(1_000), " }".repeat(1_000));
    let (status, _, body) = post_graphql(&app.router, None, None, &deep, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let first = &body["errors"][0];
    assert!(first["extensions"]["code"].is_string(), "{body}");
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
    // The service still answers.
    let data = app.data(As::Anon, "{ __typename }", json!({})).await;
    assert_eq!(data["__typename"], "Query");
}

/// Deeply nested *values* (not selections) do not let a document past the budget: it is
/// still measured, and refused for what it asks.
#[tokio::test]
async fn deeply_nested_argument_values_do_not_skip_the_budget() {
    let app = TestApp::new().await;
    let aliases: String = (0..31).map(|i| format!("a{i}: __typename ")).collect();
    let value = format!("{}1{}", "[".repeat(40), "]".repeat(40));
    let query = format!("{{ {aliases} product(id: 1, deep: {value}) {{ id }} }}");
    let response = app.gql(As::Anon, &query, json!({})).await;
    assert_eq!(too_complex(&response)["message"], "The query uses 31 aliases; the maximum is 30.");
}
