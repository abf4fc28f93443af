//! The HTTP surface: `POST`/`GET /graphql` (GraphiQL for browsers), `GET /healthz`, request
//! ids, body limits, tracing and timeouts.

use std::time::Duration;

use async_graphql::ParseRequestError;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::http::GraphiQLSource;
use async_graphql::http::MultipartOptions;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::body::Body;
use axum::extract::WebSocketUpgrade;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures_util::TryStreamExt;
use serde_json::json;
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
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
/// Largest multipart (upload) request body.
pub const UPLOAD_BODY_LIMIT: usize = 8 * 1024 * 1024;
/// Hard cap on one uploaded file; the configurable image limit is checked below it with
/// the spec's message.
pub const UPLOAD_FILE_CAP: usize = 5 * 1024 * 1024;
/// Longest time a request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The request's id (`x-request-id`), in every log line and in internal errors.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// The service's router, with every layer; tests drive it in-process.
pub fn build_app(state: AppState) -> Router {
    let media = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=86400"),
        ))
        .service(ServeDir::new(&state.settings.media.root));
    let cors = cors_layer(&state.cors_origins);
    Router::new()
        .route("/graphql", get(graphql_handler).post(graphql_handler))
        .route("/graphql/ws", get(graphql_ws))
        .route("/healthz", get(healthz))
        .nest_service("/media", media)
        .with_state(state)
        .layer(cors)
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

/// CORS for browser clients on the configured origins (preflights answered here).
fn cors_layer(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION, header::ACCEPT])
        .expose_headers([HeaderName::from_static("x-request-id")])
        .max_age(Duration::from_secs(3600))
}

fn request_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned()
}

/// JSON (`application/json`, `application/graphql-response+json`) or multipart.
fn supported_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .is_some_and(|media| {
            media == "application/json"
                || media == "application/graphql-response+json"
                || media == "multipart/form-data"
        })
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
    if method == Method::POST && !supported_content_type(&headers) {
        return error_response(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send application/json (or multipart/form-data for uploads).",
        );
    }
    let gql_request = match read_request(request).await {
        Ok(request) => request,
        Err(response) => return *response,
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

/// Reads a GraphQL request: the query string for GET; for POST a JSON body (up to 1 MiB)
/// or a GraphQL multipart request (up to 8 MiB, files up to 5 MiB).
async fn read_request(request: Request) -> Result<async_graphql::Request, Box<Response>> {
    let bad = |status: StatusCode, message: &str| Box::new(error_response(status, message));
    if request.method() == Method::GET {
        let query = request.uri().query().unwrap_or_default();
        return async_graphql::http::parse_query_string(query).map_err(|e| {
            bad(
                StatusCode::BAD_REQUEST,
                &format!("Invalid GraphQL request: {e}"),
            )
        });
    }
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let multipart = content_type
        .as_deref()
        .is_some_and(|t| t.starts_with("multipart/form-data"));
    let limit = if multipart {
        UPLOAD_BODY_LIMIT
    } else {
        JSON_BODY_LIMIT
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(bad(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large.",
        ));
    }
    let body = Body::new(http_body_util::Limited::new(request.into_body(), limit));
    let reader = body
        .into_data_stream()
        .map_err(std::io::Error::other)
        .into_async_read();
    let options = MultipartOptions::default()
        .max_file_size(UPLOAD_FILE_CAP)
        .max_num_files(4);
    async_graphql::http::receive_body(content_type, reader, options)
        .await
        .map_err(|error| match error {
            ParseRequestError::PayloadTooLarge => bad(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The uploaded file is too large.",
            ),
            ParseRequestError::Io(e) if e.to_string().contains("length limit") => bad(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is too large.",
            ),
            other => bad(
                StatusCode::BAD_REQUEST,
                &format!("Invalid GraphQL request: {other}"),
            ),
        })
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
