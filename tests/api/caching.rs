//! Persisted queries, HTTP caching of public reads, and the catalogue cache across
//! instances.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use storefront::app::AppOptions;
use storefront::config::CatalogueCache;
use storefront::db::notifications::ChannelListener;
use storefront::graphql::response_cache::CHANNEL;

use crate::common::{As, Kind, TestApp, post_graphql};

const TITLES: &str = "{ products { nodes { title } } }";

fn sha256(query: &str) -> String {
    format!("{:x}", Sha256::digest(query.as_bytes()))
}

fn persisted(hash: &str) -> Value {
    json!({ "persistedQuery": { "version": 1, "sha256Hash": hash } })
}

/// `GET /graphql` with these parameters (JSON values are encoded as the spec says).
fn get(params: &[(&str, String)], headers: &[(&str, &str)]) -> Request<Body> {
    let query = serde_urlencoded::to_string(params).unwrap();
    let mut request = Request::get(format!("/graphql?{query}"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.body(Body::empty()).unwrap()
}

/// POSTs a request body as JSON and reads the answer.
async fn post(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    let (status, _, body) = app.send(request).await;
    (status, serde_json::from_slice(&body).unwrap_or_default())
}

async fn one_product(app: &TestApp, title: &str) -> i64 {
    app.catalogue(&[(title, "1.00", 10)]).await[0]
}

#[tokio::test]
async fn persisted_queries_register_on_a_miss_then_answer_by_hash_over_get() {
    let app = TestApp::new().await;
    one_product(&app, "Mug").await;
    let hash = sha256(TITLES);
    let (status, miss) = post(&app, json!({ "extensions": persisted(&hash) })).await;
    assert_eq!(status, StatusCode::OK, "{miss}");
    assert_eq!(miss["errors"][0]["message"], "PersistedQueryNotFound");
    assert_eq!(miss["errors"][0]["extensions"]["code"], "PERSISTED_QUERY_NOT_FOUND");
    let (_, registered) =
        post(&app, json!({ "query": TITLES, "extensions": persisted(&hash) })).await;
    assert_eq!(registered["data"]["products"]["nodes"], json!([{ "title": "Mug" }]));
    let by_hash =
        get(&[("extensions", persisted(&hash).to_string())], &[("accept", "application/json")]);
    let (status, headers, body) = app.send(by_hash).await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body, registered);
    assert!(headers.contains_key(header::ETAG));
}

#[tokio::test]
async fn persisted_queries_refuse_a_wrong_hash_and_mutations_over_get() {
    let app = TestApp::new().await;
    let (_, wrong) = post(
        &app,
        json!({ "query": TITLES, "extensions": persisted(&sha256("{ collections { id } }")) }),
    )
    .await;
    assert_eq!(wrong["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    assert_eq!(wrong["errors"][0]["message"], "provided sha does not match query");
    let mutation = "mutation { createCart { id } }";
    let hash = sha256(mutation);
    post(&app, json!({ "query": mutation, "extensions": persisted(&hash) })).await;
    let (status, _, body) =
        app.send(get(&[("extensions", persisted(&hash).to_string())], &[])).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{body:?}");
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM carts").await, 1);
}

#[tokio::test]
async fn public_reads_over_get_revalidate_with_an_etag() {
    let app = TestApp::as_staff().await;
    let id = one_product(&app, "Mug").await;
    let read = || get(&[("query", TITLES.to_owned())], &[("accept", "application/json")]);
    let (status, headers, body) = app.send(read()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=0, must-revalidate");
    assert_eq!(headers[header::VARY], "Authorization, Accept");
    let etag = headers[header::ETAG].to_str().unwrap().to_owned();
    assert!(!body.is_empty());

    let mut again = read();
    again.headers_mut().insert(header::IF_NONE_MATCH, etag.parse().unwrap());
    let (status, headers, body) = app.send(again).await;
    assert_eq!(status, StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(headers[header::ETAG], etag.as_str());

    // A catalogue write changes the body, so the old tag no longer matches.
    let rename = "mutation($id: Int!) { patchProduct(id: $id, input: { title: \"Cup\" }) { id } }";
    app.data(As::Default, rename, json!({ "id": id })).await;
    let mut stale = read();
    stale.headers_mut().insert(header::IF_NONE_MATCH, etag.parse().unwrap());
    let (status, headers, body) = app.send(stale).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(headers[header::ETAG], etag.as_str());
    assert!(String::from_utf8_lossy(&body).contains("Cup"));
}

#[tokio::test]
async fn viewer_dependent_or_volatile_reads_over_get_are_private() {
    let app = TestApp::new().await;
    one_product(&app, "Mug").await;
    let (_, token) = app.user("ann", Kind::Customer).await;
    let bearer = format!("Bearer {token}");
    let cases = [
        (TITLES, Some(bearer.as_str())),
        ("{ me { username } }", Some(bearer.as_str())),
        ("{ products { nodes { availableInventory } } }", None),
        ("{ __schema { queryType { name } } }", None),
    ];
    for (query, authorization) in cases {
        let mut headers = vec![("accept", "application/json")];
        if let Some(value) = authorization {
            headers.push(("authorization", value));
        }
        let (status, headers, _) = app.send(get(&[("query", query.to_owned())], &headers)).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(headers[header::CACHE_CONTROL], "private, no-store", "{query}");
        assert!(!headers.contains_key(header::ETAG), "{query}");
    }
}

/// Options with the catalogue cache on.
fn cached_options() -> AppOptions {
    AppOptions {
        catalogue_cache: CatalogueCache { enabled: true, ..CatalogueCache::default() },
        throttles: storefront::throttle::Throttles::new(false),
        ..AppOptions::default()
    }
}

/// An app with the catalogue cache on and kept current like `serve` keeps it.
async fn cached_app() -> (TestApp, ChannelListener) {
    let app = TestApp::with_options(cached_options()).await;
    let mut listener =
        ChannelListener::spawn(app.db.url.clone(), CHANNEL, app.state.responses.clone());
    listener.ready().await;
    (app, listener)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_one_instance_is_read_through_another_within_a_second() {
    let (a, listener_a) = cached_app().await;
    let id = one_product(&a, "Mug").await;
    // Instance B: the same database, its own cache and listener.
    let pool_b = storefront::db::create_pool(&a.db.url, 2).unwrap();
    let state_b = storefront::AppState::with_options(pool_b, a.auth.clone(), cached_options());
    let mut listener_b =
        ChannelListener::spawn(a.db.url.clone(), CHANNEL, state_b.responses.clone());
    listener_b.ready().await;
    let b = storefront::build_app(state_b.clone());
    let read_b = async || post_graphql(&b, None, None, TITLES, json!({})).await.2;

    assert_eq!(read_b().await["data"]["products"]["nodes"][0]["title"], "Mug");
    assert_eq!(read_b().await["data"]["products"]["nodes"][0]["title"], "Mug");
    assert_eq!(state_b.responses.counts(), (1, 1), "the second read was a hit");

    let (_, staff) = a.user("staff", Kind::Staff).await;
    let rename = "mutation($id: Int!) { patchProduct(id: $id, input: { title: \"Cup\" }) { id } }";
    a.data(As::Token(&staff), rename, json!({ "id": id })).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
    loop {
        let title = read_b().await["data"]["products"]["nodes"][0]["title"].clone();
        if title == "Cup" {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "instance B still answers {title} a second after the write"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    listener_a.stop();
    listener_b.stop();
}

#[tokio::test]
async fn signed_in_and_volatile_reads_never_touch_the_cache() {
    let (app, listener) = cached_app().await;
    one_product(&app, "Mug").await;
    let (_, token) = app.user("ann", Kind::Customer).await;
    let bearer = format!("Bearer {token}");
    for _ in 0..2 {
        post_graphql(&app.router, Some(&bearer), None, TITLES, json!({})).await;
        let volatile = "{ products { nodes { availableInventory } } }";
        post_graphql(&app.router, None, None, volatile, json!({})).await;
    }
    assert_eq!(app.state.responses.counts(), (0, 0));
    // Answers with errors are not kept either.
    let missing = "{ product(id: 424242) { title } }";
    for _ in 0..2 {
        let (_, _, body) = post_graphql(&app.router, None, None, missing, json!({})).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND");
    }
    assert_eq!(app.state.responses.counts(), (0, 2));
    listener.stop();
}

#[tokio::test]
async fn an_oversized_document_over_get_is_refused_by_the_budget_and_runs_nothing() {
    let app = TestApp::new().await;
    let padded = format!("mutation {{ createCart {{ id }} }}{}", " ".repeat(40_000));
    let (_, _, body) = app.send(get(&[("query", padded)], &[])).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX", "{body}");
    assert_eq!(app.count_sql("SELECT count(*) AS n FROM carts").await, 0);
}

#[tokio::test]
async fn get_picks_the_operation_named_by_operation_name() {
    let app = TestApp::new().await;
    let document = "query A { __typename } query B { collections { id } }";
    let params = [("query", document.to_owned()), ("operationName", "B".to_owned())];
    let (status, _, body) = app.send(get(&params, &[])).await;
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!((status, body), (StatusCode::OK, json!({ "data": { "collections": [] } })));
}
