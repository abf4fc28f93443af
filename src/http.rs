//! The HTTP surface: `POST`/`GET /graphql` (GraphiQL for browsers), `GET /healthz`, request
//! ids, body limits, tracing and timeouts.

use std::time::Duration;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLProtocol, GraphQLRequest, GraphQLWebSocket};
use axum::body::Body;
use axum::extract::WebSocketUpgrade;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;
use tower::ServiceBuilder;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use std::sync::Arc;

use crate::app::AppState;
use crate::auth::viewer;
use crate::error::AppError;
use crate::graphql::error_codes;

/// Largest JSON GraphQL request body.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;
/// Longest time a request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The request's id (`x-request-id`), in every log line and in internal errors.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The service's router, with every layer; tests drive it in-process.
pub fn build_app(state: AppState) -> Router {
    let graphql = Router::new()
        .route("/graphql", get(graphql_handler).post(graphql_handler))
        .layer(RequestBodyLimitLayer::new(JSON_BODY_LIMIT));
    Router::new()
        .merge(graphql)
        .route("/graphql/ws", get(graphql_ws))
        .route("/healthz", get(healthz))
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(|request: &Request<Body>| {
                            let id = request_id(request.headers());
                            tracing::info_span!(
                                "request",
                                request_id = %id,
                                method = %request.method(),
                                uri = %request.uri(),
                            )
                        })
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    REQUEST_TIMEOUT,
                )),
        )
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned()
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// GraphiQL, pointed at this server.
pub fn graphiql() -> Html<String> {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .title("Storefront GraphiQL")
            .finish(),
    )
}

/// Executes a GraphQL request with GraphQL-over-HTTP content negotiation: JSON for
/// `application/json` clients (the default), `application/graphql-response+json` with
/// 4xx for request errors when asked for, no mutations over GET.
async fn graphql_handler(State(state): State<AppState>, request: Request) -> Response {
    let method = request.method().clone();
    let headers = request.headers().clone();
    if method == Method::GET && wants_html(&headers) && request.uri().query().is_none() {
        return graphiql().into_response();
    }
    if method == Method::POST && !headers.contains_key(header::CONTENT_TYPE) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Missing Content-Type: send application/json (or multipart/form-data).",
        );
    }
    let gql_request =
        match <GraphQLRequest as FromRequest<AppState>>::from_request(request, &state).await {
            Ok(request) => request.into_inner(),
            Err(rejection) => return rejection.into_response(),
        };
    if method == Method::GET && is_mutation(&gql_request) {
        let mut response = error_response(
            StatusCode::METHOD_NOT_ALLOWED,
            "Mutations are only allowed over POST.",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return response;
    }
    let request_id = RequestId(request_id(&headers));
    let mut gql_request = gql_request.data(state.loaders());
    match viewer::bearer_token(&headers) {
        Ok(None) => {}
        Ok(Some(token)) => match viewer::authenticate(&state.auth, &state.pool, &token).await {
            Ok(viewer) => gql_request = gql_request.data(Arc::new(viewer)),
            Err(error) => return respond(&headers, error_document(error, &request_id)),
        },
        Err(error) => return respond(&headers, error_document(error, &request_id)),
    }
    let response = state.schema.execute(gql_request.data(request_id)).await;
    respond(&headers, response)
}

/// A response for a request refused before execution (e.g. a bad token, D-13).
fn error_document(error: AppError, request_id: &RequestId) -> async_graphql::Response {
    let mut server_error =
        async_graphql::Error::from(error).into_server_error(async_graphql::Pos::default());
    server_error.locations.clear();
    error_codes::annotate(&mut server_error, Some(request_id));
    async_graphql::Response::from_errors(vec![server_error])
}

fn is_mutation(request: &async_graphql::Request) -> bool {
    use async_graphql::parser::types::OperationType;
    let Ok(document) = async_graphql::parser::parse_query(&request.query) else {
        return false;
    };
    document.operations.iter().any(|(name, operation)| {
        operation.node.ty == OperationType::Mutation
            && (request.operation_name.is_none()
                || name.map(|n| n.as_str()) == request.operation_name.as_deref())
    })
}

fn respond(headers: &HeaderMap, response: async_graphql::Response) -> Response {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let graphql_json = accept.contains("application/graphql-response+json")
        && !accept.contains("application/json");
    // Parse, validation and coercion errors: nothing executed, no error has a path.
    let request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    // Serialised straight from the response so fields keep the query's order.
    let (status, body) = if graphql_json && request_error {
        let errors = serde_json::json!({ "errors": response.errors });
        (StatusCode::BAD_REQUEST, serde_json::to_string(&errors))
    } else {
        (StatusCode::OK, serde_json::to_string(&response))
    };
    let Ok(body) = body else {
        return error_response(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error");
    };
    let content_type = if graphql_json {
        "application/graphql-response+json; charset=utf-8"
    } else {
        "application/json; charset=utf-8"
    };
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn error_response(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "errors": [{ "message": message }] }))).into_response()
}

/// GraphQL subscriptions over WebSocket (graphql-transport-ws, also the older
/// graphql-ws protocol). The token travels in the `connection_init` payload as
/// `{"Authorization": "Bearer <access>"}` (or `{"token": "<access>"}`).
async fn graphql_ws(
    State(state): State<AppState>,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    let schema = state.schema.clone();
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |stream| {
            GraphQLWebSocket::new(stream, schema, protocol)
                .on_connection_init(move |payload| connection_init(state, payload))
                .serve()
        })
}

async fn connection_init(
    state: AppState,
    payload: serde_json::Value,
) -> async_graphql::Result<async_graphql::Data> {
    let mut data = async_graphql::Data::default();
    data.insert(state.loaders());
    let header = payload
        .get("Authorization")
        .or_else(|| payload.get("authorization"))
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .or_else(|| {
            payload
                .get("token")
                .and_then(|v| v.as_str())
                .map(|t| format!("Bearer {t}"))
        });
    if let Some(header) = header {
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_str(&header)
            .map_err(|_| AppError::InvalidToken(viewer::BAD_HEADER.into()))?;
        headers.insert(header::AUTHORIZATION, value);
        if let Some(token) = viewer::bearer_token(&headers)? {
            let viewer = viewer::authenticate(&state.auth, &state.pool, &token).await?;
            data.insert(Arc::new(viewer));
        }
    }
    Ok(data)
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    use diesel_async::RunQueryDsl;
    let check = async {
        let mut conn = state.pool.get().await.ok()?;
        diesel::sql_query("SELECT 1").execute(&mut conn).await.ok()
    };
    match check.await {
        Some(_) => Json(json!({ "status": "ok" })).into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable" })),
        )
            .into_response(),
    }
}
