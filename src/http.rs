//! The HTTP surface: `POST`/`GET /graphql` (GraphiQL for browsers when enabled), the web
//! apps at `/` and `/admin` with their `/assets/` (see [`web`]),
//! `GET /graphql/ws` (see [`ws`]), `GET /healthz`, `/livez`, `/readyz`, `/metrics`,
//! `/media`, `/invoices/{number}.pdf`; request ids, body limits, security headers, and the request guard (in-flight
//! cap, time limit, panics).

pub mod answer;
pub mod health;
pub mod serve;
pub mod web;
pub mod ws;

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use async_graphql::ParseRequestError;
use async_graphql::http::MultipartOptions;
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use futures_util::{FutureExt, TryStreamExt};
use tower::ServiceBuilder;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use std::sync::Arc;

use crate::app::{AppState, Route};
use crate::auth::viewer;
use crate::db::profile::SqlProfile;
use crate::error::TIMED_OUT;
use crate::graphql::response_cache::ResponseCache;
use answer::{Keep, coded_response, error_document, refused, respond, respond_keeping};

/// Largest JSON GraphQL request body.
pub const JSON_BODY_LIMIT: usize = 1024 * 1024;
/// Largest multipart (upload) request body.
pub const UPLOAD_BODY_LIMIT: usize = 8 * 1024 * 1024;
/// Hard cap on one uploaded file; the configurable image limit is checked below it with
/// the spec's message.
pub const UPLOAD_FILE_CAP: usize = 5 * 1024 * 1024;
pub use crate::error::BUSY;

pub use crate::graphql::context::{ClientAddr, RequestId};

/// The client's address: the socket's peer, or the `X-Forwarded-For` entry a trusted
/// proxy added (the right-most address that is not itself a trusted proxy).
impl ClientAddr {
    pub fn of(request: &Request, trusted: &[std::net::IpAddr]) -> Self {
        Self::from_parts(request.extensions(), request.headers(), trusted)
    }

    pub fn from_parts(
        extensions: &axum::http::Extensions, headers: &HeaderMap, trusted: &[std::net::IpAddr],
    ) -> Self {
        let peer = extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|info| info.0.ip());
        let Some(peer) = peer else {
            return Self("unknown".to_owned());
        };
        if !trusted.contains(&peer) {
            return Self(peer.to_string());
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
            .collect::<Vec<_>>();
        let client = forwarded.iter().rev().find(|a| !trusted.contains(a)).copied().unwrap_or(peer);
        Self(client.to_string())
    }
}

/// The service's router, with every layer; tests drive it in-process.
pub fn build_app(state: AppState) -> Router {
    let media = ServiceBuilder::new()
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=86400"),
        ))
        .service(ServeDir::new(&state.settings.media.root));
    let routes = Router::new()
        .route("/graphql", get(graphql_handler).post(graphql_handler))
        .route("/graphql/ws", get(ws::graphql_ws))
        .route("/healthz", get(health::healthz))
        .route("/livez", get(health::livez))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics_text))
        .route("/invoices/{file}", get(crate::invoices::http::download))
        .route("/", get(web::shop))
        .route("/admin", get(web::admin))
        .route("/admin/", get(web::admin))
        .route("/assets/{*path}", get(web::asset))
        .nest_service("/media", media)
        .with_state(state.clone());
    with_layers(routes, &state)
}

/// Every layer of the service around `routes`: request ids, tracing, the request guard,
/// CORS and security headers (tests wrap their own routes with it too).
pub fn with_layers(routes: Router, state: &AppState) -> Router {
    let cors = cors_layer(&state.cors_origins);
    routes.layer(cors).layer(
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
                            operation = tracing::field::Empty,
                            user_id = tracing::field::Empty,
                        )
                    })
                    .on_response(DefaultOnResponse::new().level(Level::INFO)),
            )
            .layer(PropagateRequestIdLayer::x_request_id())
            .layer(SetResponseHeaderLayer::if_not_present(
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::X_FRAME_OPTIONS,
                HeaderValue::from_static("DENY"),
            ))
            .layer(SetResponseHeaderLayer::if_not_present(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static("frame-ancestors 'none'"),
            ))
            .layer(axum::middleware::from_fn_with_state(state.clone(), guard)),
    )
}

/// The request guard: sheds load beyond `MAX_IN_FLIGHT_REQUESTS` (503), bounds every
/// request by `REQUEST_TIMEOUT` (503; WebSocket upgrades are bounded by their own
/// rules), and turns a panic into a coded `INTERNAL_SERVER_ERROR` with the request id.
async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    // Liveness must not fail because the instance is busy (a probe would restart it).
    if request.uri().path() == "/livez" {
        return next.run(request).await;
    }
    let id = request_id(request.headers());
    let Ok(_permit) = state.in_flight.clone().try_acquire_owned() else {
        tracing::warn!("shedding a request: too many in flight");
        return coded_response(StatusCode::SERVICE_UNAVAILABLE, "SERVICE_UNAVAILABLE", BUSY, &id);
    };
    let upgrade = request.headers().contains_key(header::UPGRADE);
    let run = AssertUnwindSafe(next.run(request)).catch_unwind();
    let outcome = if upgrade {
        run.await
    } else {
        match tokio::time::timeout(state.budget.request_timeout, run).await {
            Ok(outcome) => outcome,
            Err(_) => {
                tracing::warn!("request timed out");
                return coded_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "SERVICE_UNAVAILABLE",
                    TIMED_OUT,
                    &id,
                );
            }
        }
    };
    outcome.unwrap_or_else(|panic| {
        let message = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        tracing::error!(request_id = %id, panic = %message, "a request panicked");
        coded_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_SERVER_ERROR",
            "Internal server error",
            &id,
        )
    })
}

/// CORS for browser clients on the configured origins (preflights answered here).
fn cors_layer(origins: &[String]) -> CorsLayer {
    let origins: Vec<HeaderValue> =
        origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            header::ACCEPT,
            HeaderName::from_static("x-debug-sql"),
        ])
        .expose_headers([HeaderName::from_static("x-request-id")])
        .max_age(Duration::from_secs(3600))
}

pub(crate) fn request_id(headers: &HeaderMap) -> String {
    headers.get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-").to_owned()
}

/// JSON (`application/json`, `application/graphql-response+json`) or multipart.
fn supported_content_type(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or_default().trim().to_ascii_lowercase())
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

/// Executes a GraphQL request with GraphQL-over-HTTP content negotiation: JSON for
/// `application/json` clients (the default), `application/graphql-response+json` with
/// 4xx for request errors when asked for, no mutations over GET. Requests refused before
/// execution answer a coded GraphQL error body too.
async fn graphql_handler(State(state): State<AppState>, request: Request) -> Response {
    let started = std::time::Instant::now();
    let mut operation = None;
    let response = answer_graphql(state, request, &mut operation).await;
    let codes = response
        .extensions()
        .get::<answer::Answered>()
        .map(|answered| answered.0.clone())
        .unwrap_or_default();
    crate::telemetry::record_request(
        crate::telemetry::operation_label(operation.as_deref()),
        started.elapsed(),
        &codes,
    );
    response
}

/// The operation a request names, else the name of a document that starts with a named
/// operation (`query Name …`), for the metrics and the access log (recorded in the
/// request's span).
fn operation_name(request: &async_graphql::Request) -> Option<String> {
    let name = request.operation_name.clone().or_else(|| leading_operation_name(&request.query));
    if let Some(name) = name.as_deref() {
        tracing::Span::current().record("operation", name);
    }
    name
}

fn leading_operation_name(query: &str) -> Option<String> {
    let text = query.trim_start();
    let rest = ["query", "mutation", "subscription"]
        .iter()
        .find_map(|keyword| text.strip_prefix(keyword))?;
    let name: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(crate::telemetry::MAX_OPERATION_NAME_CHARS + 1)
        .collect();
    (!name.is_empty()).then_some(name)
}

async fn answer_graphql(
    state: AppState, request: Request, operation: &mut Option<String>,
) -> Response {
    let get = request.method() == Method::GET;
    let headers = request.headers().clone();
    let request_id = RequestId(request_id(&headers));
    let client = ClientAddr::of(&request, &state.trusted_proxies);
    let mut gql_request = match receive(&state, request, &headers, &request_id.0).await {
        Ok(request) => request,
        Err(response) => return *response,
    };
    *operation = operation_name(&gql_request);
    let cache = &state.responses;
    let document = own_look(&state, &headers, get, &gql_request.query);
    if get && document.as_ref().is_some_and(|d| is_mutation(d, &gql_request)) {
        return mutation_over_get(&request_id.0);
    }
    let token = match viewer::bearer_token(&headers) {
        Ok(token) => token,
        Err(error) => return respond(&headers, error_document(error), &request_id.0),
    };
    // Only anonymous reads can be public: authentication comes before any cache.
    let public = token.is_none() && document.as_ref().is_some_and(|d| cache.is_public(d));
    let key = (public && cache.enabled()).then(|| ResponseCache::key(&gql_request));
    if let Some(hit) = key.as_ref().and_then(|key| cache.get(key)) {
        return answer::cached(&headers, &hit, get);
    }
    let caller = match signed_in(&state, token, &client, &mut gql_request).await {
        Ok(caller) => caller,
        Err(error) => return respond(&headers, error_document(error), &request_id.0),
    };
    let profile = profiled(&state, &headers);
    let route = Route {
        caller: &caller,
        // The catalogue cache is filled from the primary only.
        replica_reads: key.is_none(),
        pool: profile.as_ref().map(|(pool, _)| pool.clone()),
    };
    let keep = Keep::choose(public, get, cache, key);
    let started = std::time::Instant::now();
    let mut response = match state.admit(gql_request, document, route) {
        Ok(admitted) => {
            let admitted = admitted.data(request_id.clone()).data(client);
            state.schema.execute(admitted).await
        }
        Err(refused) => *refused,
    };
    if let Some((_, profile)) = profile {
        let report = profile.report(started.elapsed());
        let report = async_graphql::Value::from_json(report).unwrap_or_default();
        response.extensions.insert("debug".to_owned(), report);
    }
    respond_keeping(&headers, response, &request_id.0, keep)
}

/// The GraphQL request an HTTP request carries (a persisted query's document filled in),
/// or the answer that refuses it.
async fn receive(
    state: &AppState, request: Request, headers: &HeaderMap, request_id: &str,
) -> Result<async_graphql::Request, Box<Response>> {
    if let Some(answer) = not_a_graphql_request(state, &request, request_id) {
        return Err(Box::new(answer));
    }
    let mut gql_request = read_request(request, request_id).await?;
    if let Err(error) = state.persisted.resolve(&mut gql_request) {
        return Err(Box::new(respond(headers, error_document(error), request_id)));
    }
    Ok(gql_request)
}

/// The SQL profiler's pool and record for a request that sends `x-debug-sql: 1`, when
/// the profiler is on (`DEBUG=true` in the embedded default).
fn profiled(state: &AppState, headers: &HeaderMap) -> Option<(crate::db::DbPool, SqlProfile)> {
    let url = state.debug_sql.as_deref()?;
    let asked = headers.get("x-debug-sql").is_some_and(|v| v.as_bytes() == b"1");
    if !asked {
        return None;
    }
    match SqlProfile::pool(url) {
        Ok(profiled) => Some(profiled),
        Err(error) => {
            tracing::warn!(error = format!("{error:#}"), "no SQL profile for this request");
            None
        }
    }
}

/// Authenticates the bearer `token`, if any: the request carries its viewer. Returns who
/// the caller is (the user, else the client's address) for read-your-writes routing.
async fn signed_in(
    state: &AppState, token: Option<String>, client: &ClientAddr,
    request: &mut async_graphql::Request,
) -> Result<String, crate::error::AppError> {
    let Some(token) = token else {
        return Ok(format!("addr:{}", client.0));
    };
    let viewer = viewer::authenticate(&state.auth, &state.pool, &token).await?;
    tracing::Span::current().record("user_id", viewer.id());
    let caller = format!("user:{}", viewer.id());
    request.data.insert(Arc::new(viewer));
    Ok(caller)
}

/// The transport's own look at the document (the GET mutation check, the public-read
/// rule): parsed only when one of them applies, and only within the budget's size limits
/// (execution refuses larger documents before running anything). Execution reuses it.
fn own_look(
    state: &AppState, headers: &HeaderMap, get: bool, query: &str,
) -> Option<async_graphql::parser::types::ExecutableDocument> {
    let anonymous = !headers.contains_key(header::AUTHORIZATION);
    let wanted = get || (anonymous && state.responses.enabled());
    (wanted && state.budget.query.admits(query))
        .then(|| async_graphql::parser::parse_query(query).ok())
        .flatten()
}

/// GraphiQL for a browser's plain `GET /graphql` (404 when it is off), and 415 for a POST
/// of a content type that carries no GraphQL request.
fn not_a_graphql_request(
    state: &AppState, request: &Request, request_id: &str,
) -> Option<Response> {
    let (method, headers) = (request.method(), request.headers());
    if method == Method::GET && wants_html(headers) && request.uri().query().is_none() {
        if state.graphiql {
            return Some(web::graphiql(headers));
        }
        return Some(refused(
            StatusCode::NOT_FOUND,
            "GraphiQL is switched off on this server (GRAPHIQL).",
            request_id,
        ));
    }
    if method == Method::POST && !supported_content_type(headers) {
        return Some(refused(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Send application/json (or multipart/form-data for uploads).",
            request_id,
        ));
    }
    None
}

/// 405 for a mutation sent over GET, with `Allow: POST`.
fn mutation_over_get(request_id: &str) -> Response {
    let mut response = refused(
        StatusCode::METHOD_NOT_ALLOWED,
        "Mutations are only allowed over POST.",
        request_id,
    );
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
    response
}

/// Reads a GraphQL request: the query string for GET; for POST a JSON body (up to 1 MiB)
/// or a GraphQL multipart request (up to 8 MiB, files up to 5 MiB).
async fn read_request(
    request: Request, request_id: &str,
) -> Result<async_graphql::Request, Box<Response>> {
    let bad = |status: StatusCode, message: &str| Box::new(refused(status, message, request_id));
    if request.method() == Method::GET {
        let query = request.uri().query().unwrap_or_default();
        let mut parsed = async_graphql::http::parse_query_string(query)
            .map_err(|e| bad(StatusCode::BAD_REQUEST, &format!("Invalid GraphQL request: {e}")))?;
        // async-graphql reads the operation's name from `operation_name`; the
        // GraphQL-over-HTTP spelling (Apollo Client, urql) is `operationName`.
        if parsed.operation_name.is_none() {
            parsed.operation_name = form_urlencoded::parse(query.as_bytes())
                .find(|(key, _)| key == "operationName")
                .map(|(_, name)| name.into_owned());
        }
        return Ok(parsed);
    }
    read_body(request, request_id).await
}

/// A POST body: JSON up to 1 MiB, or a GraphQL multipart request up to 8 MiB (files up to
/// 5 MiB).
async fn read_body(
    request: Request, request_id: &str,
) -> Result<async_graphql::Request, Box<Response>> {
    let bad = |status: StatusCode, message: &str| Box::new(refused(status, message, request_id));
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let multipart = content_type.as_deref().is_some_and(|t| t.starts_with("multipart/form-data"));
    let limit = if multipart { UPLOAD_BODY_LIMIT } else { JSON_BODY_LIMIT };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|length| length > limit) {
        return Err(bad(StatusCode::PAYLOAD_TOO_LARGE, "The request body is too large."));
    }
    let body = Body::new(http_body_util::Limited::new(request.into_body(), limit));
    let reader = body.into_data_stream().map_err(std::io::Error::other).into_async_read();
    let options = MultipartOptions::default().max_file_size(UPLOAD_FILE_CAP).max_num_files(4);
    async_graphql::http::receive_body(content_type, reader, options).await.map_err(|error| {
        match error {
            ParseRequestError::PayloadTooLarge => {
                bad(StatusCode::PAYLOAD_TOO_LARGE, "The uploaded file is too large.")
            }
            ParseRequestError::Io(e) if e.to_string().contains("length limit") => {
                bad(StatusCode::PAYLOAD_TOO_LARGE, "The request body is too large.")
            }
            other => bad(StatusCode::BAD_REQUEST, &format!("Invalid GraphQL request: {other}")),
        }
    })
}

/// Whether the operation `request` runs from `document` is a mutation.
fn is_mutation(document: &ExecutableDocument, request: &async_graphql::Request) -> bool {
    document.operations.iter().any(|(name, operation)| {
        operation.node.ty == OperationType::Mutation
            && (request.operation_name.is_none()
                || name.map(|n| n.as_str()) == request.operation_name.as_deref())
    })
}
