//! The HTTP surface: health, GET and POST, content negotiation, GraphiQL, request ids,
//! limits and error codes for malformed requests.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::common::{As, TestApp, error};

fn get(uri: &str, accept: &str) -> Request<Body> {
    Request::get(uri).header(header::ACCEPT, accept).body(Body::empty()).unwrap()
}

#[tokio::test]
async fn healthz_answers_when_the_database_does() {
    let app = TestApp::new().await;
    let (status, headers, body) = app.send(get("/healthz", "*/*")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(serde_json::from_slice::<Value>(&body).ok(), Some(json!({ "status": "ok" })));
    assert!(headers.contains_key("x-request-id"), "every response carries a request id");
}

#[tokio::test]
async fn get_runs_queries_serves_graphiql_and_refuses_mutations() {
    let app = TestApp::new().await;
    let (status, headers, body) =
        app.send(get("/graphql?query=%7B__typename%7D", "application/json")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type(&headers).starts_with("application/json"));
    assert_eq!(
        serde_json::from_slice::<Value>(&body).ok(),
        Some(json!({ "data": { "__typename": "Query" } }))
    );

    let (status, headers, body) =
        app.send(get("/graphql", "text/html,application/xhtml+xml")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(content_type(&headers).starts_with("text/html"));
    assert!(String::from_utf8_lossy(&body).contains("graphiql"));

    let mutation =
        "/graphql?query=mutation%7BcreateCollection(input:%7Btitle:%22x%22%7D)%7Bid%7D%7D";
    let (status, headers, _) = app.send(get(mutation, "application/json")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[header::ALLOW], "POST");
    let count = app.data(As::Default, "{ collections { id } }", json!({})).await;
    assert_eq!(count["collections"], json!([]), "nothing was written");
}

#[tokio::test]
async fn responses_keep_the_query_field_order() {
    let app = TestApp::new().await;
    let request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"query":"{ zz: __typename aa: __typename }"}"#))
        .unwrap();
    let (_, _, body) = app.send(request).await;
    assert_eq!(String::from_utf8_lossy(&body), r#"{"data":{"zz":"Query","aa":"Query"}}"#);
}

#[tokio::test]
async fn graphql_response_json_gets_400_for_request_errors() {
    let app = TestApp::new().await;
    let post = |accept: &'static str, body: &'static str| {
        Request::post("/graphql")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, accept)
            .body(Body::from(body))
            .unwrap()
    };
    let (status, headers, body) =
        app.send(post("application/graphql-response+json", r#"{"query":"{"}"#)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(content_type(&headers).starts_with("application/graphql-response+json"));
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    assert!(body.get("data").is_none());
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    let (status, _, body) = app.send(post("application/json", r#"{"query":"{ nope }"}"#)).await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_slice(&body).unwrap_or_default();
    error(&body, "BAD_USER_INPUT", 400);
}

#[tokio::test]
async fn malformed_requests_are_client_errors() {
    let app = TestApp::new().await;
    let no_type =
        Request::post("/graphql").body(Body::from(r#"{"query":"{__typename}"}"#)).unwrap();
    assert_eq!(app.send(no_type).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let text = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
        .body(Body::from(r#"{"query":"{__typename}"}"#))
        .unwrap();
    assert_eq!(app.send(text).await.0, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let bad_json = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{not json"))
        .unwrap();
    assert_eq!(app.send(bad_json).await.0, StatusCode::BAD_REQUEST);
    let huge = format!(
        r#"{{"query":"{{ __typename }}","variables":{{"x":"{}"}}}}"#,
        "a".repeat(2 * 1024 * 1024)
    );
    let too_big = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, huge.len())
        .body(Body::from(huge))
        .unwrap();
    assert_eq!(app.send(too_big).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    let bad_variable = app
        .gql(As::Default, "query($id: Int!) { product(id: $id) { id } }", json!({ "id": "abc" }))
        .await;
    error(&bad_variable, "BAD_USER_INPUT", 400);
    let bad_money =
        app.gql(As::Default, "{ products(unitPriceGt: \"ten\") { totalCount } }", json!({})).await;
    let message =
        error(&bad_money, "BAD_USER_INPUT", 400)["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("A valid number is required."), "{message}");
}

#[tokio::test]
async fn internal_errors_do_not_leak_details() {
    let app = TestApp::new().await;
    // Break the database under the running app.
    app.sql("ALTER TABLE products RENAME TO products_gone").await;
    let response = app.gql(As::Default, "{ products { totalCount } }", json!({})).await;
    let error = error(&response, "INTERNAL_SERVER_ERROR", 500);
    assert_eq!(error["message"], "Internal server error");
    assert!(!response.to_string().contains("products_gone"));
    assert!(!response.to_string().contains("relation"));
}

/// The response's `Content-Type` ("" when there is none or it is not text).
fn content_type(headers: &HeaderMap) -> &str {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default()
}
