//! Encoding GraphQL answers as HTTP responses: error codes and request ids on every
//! error, GraphQL-over-HTTP content negotiation, `Retry-After`, and HTTP caching of GET
//! answers. A public read over GET (see [`ResponseCache`]) is
//! `Cache-Control: public, max-age=0, must-revalidate` with `Vary: Authorization, Accept`
//! and an `ETag`, answered `304 Not Modified` when the client already holds it; anything
//! else over GET is `private, no-store`. Public reads are kept by the catalogue cache
//! when it is on.

use std::sync::Arc;

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::error::AppError;
use crate::graphql::error_codes;
use crate::graphql::response_cache::{CachedBody, ResponseCache};

/// How an answer may be kept.
pub enum Keep<'a> {
    /// A POST answer that is not a cached public read: no caching headers.
    Unmarked,
    /// A GET answer that depends on its viewer or changes without catalogue writes.
    Private,
    /// A public read: over GET when `get`, kept under `key` in `cache` when it is on.
    Public { get: bool, cache: &'a ResponseCache, key: Option<[u8; 32]> },
}

impl<'a> Keep<'a> {
    /// How an answer to a `public` read (or not) sent over GET (or POST) may be kept.
    pub fn choose(
        public: bool, get: bool, cache: &'a ResponseCache, key: Option<[u8; 32]>,
    ) -> Self {
        match (public, get) {
            (true, _) => Self::Public { get, cache, key },
            (false, true) => Self::Private,
            (false, false) => Self::Unmarked,
        }
    }
}

/// A response for a request refused before execution (e.g. a bad token).
pub(crate) fn error_document(error: AppError) -> async_graphql::Response {
    let mut server_error =
        async_graphql::Error::from(error).into_server_error(async_graphql::Pos::default());
    server_error.locations.clear();
    async_graphql::Response::from_errors(vec![server_error])
}

/// Parse, validation, budget and coercion errors: nothing executed, no error has a path.
pub(crate) fn is_request_error(response: &async_graphql::Response) -> bool {
    response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty())
}

/// Codes every error with the request id and serialises the response. A response with a
/// `SERVICE_UNAVAILABLE` error is HTTP 503 (`RATE_LIMITED`: 429) with `Retry-After`.
pub(crate) fn respond(
    headers: &HeaderMap, response: async_graphql::Response, request_id: &str,
) -> Response {
    respond_keeping(headers, response, request_id, Keep::Unmarked)
}

/// The `extensions.code` of every error an answer carried (for the metrics), kept in the
/// HTTP response's extensions.
#[derive(Debug, Clone, Default)]
pub(crate) struct Answered(pub Vec<String>);

/// [`respond`], with the caching `keep` allows (only for answers without errors).
pub(crate) fn respond_keeping(
    headers: &HeaderMap, mut response: async_graphql::Response, request_id: &str, keep: Keep<'_>,
) -> Response {
    error_codes::annotate_response(&mut response, request_id);
    let codes = response
        .errors
        .iter()
        .filter_map(|e| e.extensions.as_ref()?.get("code"))
        .map(|code| match code {
            async_graphql::Value::String(code) => code.clone(),
            other => other.to_string(),
        })
        .collect();
    let mut answer = serialise(headers, response, request_id, keep);
    answer.extensions_mut().insert(Answered(codes));
    answer
}

fn serialise(
    headers: &HeaderMap, response: async_graphql::Response, request_id: &str, keep: Keep<'_>,
) -> Response {
    let graphql_json = wants_graphql_json(headers);
    let retry = error_codes::retry_after(&response);
    let request_error = is_request_error(&response);
    // Serialised straight from the response so fields keep the query's order.
    let (status, body) = if let Some((status, _)) = retry {
        (
            StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            serde_json::to_string(&response),
        )
    } else if graphql_json && request_error {
        let errors = serde_json::json!({ "errors": response.errors });
        (StatusCode::BAD_REQUEST, serde_json::to_string(&errors))
    } else {
        (StatusCode::OK, serde_json::to_string(&response))
    };
    let Ok(body) = body else {
        return coded_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_SERVER_ERROR",
            "Internal server error",
            request_id,
        );
    };
    let content_type = content_type(graphql_json);
    if status == StatusCode::OK
        && response.errors.is_empty()
        && let Keep::Public { get, cache, key } = keep
    {
        let body = Arc::new(CachedBody::new(body));
        if let Some(key) = key {
            cache.put(key, body.clone());
        }
        return public(headers, &body, get, content_type);
    }
    let mut response = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
    if let Some((_, wait)) = retry
        && let Ok(value) = HeaderValue::from_str(&wait.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    if !matches!(keep, Keep::Unmarked) {
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    }
    response
}

fn content_type(graphql_json: bool) -> &'static str {
    if graphql_json {
        "application/graphql-response+json; charset=utf-8"
    } else {
        "application/json; charset=utf-8"
    }
}

/// A public read answered from the catalogue cache.
pub(crate) fn cached(headers: &HeaderMap, body: &CachedBody, get: bool) -> Response {
    public(headers, body, get, content_type(wants_graphql_json(headers)))
}

/// Whether the client asked for `application/graphql-response+json` only.
fn wants_graphql_json(headers: &HeaderMap) -> bool {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    accept.contains("application/graphql-response+json") && !accept.contains("application/json")
}

/// A public read's answer: over GET with revalidation headers, and `304 Not Modified`
/// when the client's `If-None-Match` names this body.
fn public(
    headers: &HeaderMap, body: &CachedBody, get: bool, content_type: &'static str,
) -> Response {
    if !get {
        return (StatusCode::OK, [(header::CONTENT_TYPE, content_type)], body.body.clone())
            .into_response();
    }
    let held = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|tag| {
            let tag = tag.trim();
            tag == "*" || tag.trim_start_matches("W/") == body.etag
        });
    let caching = [
        (header::CACHE_CONTROL, "public, max-age=0, must-revalidate"),
        (header::VARY, "Authorization, Accept"),
    ];
    let mut response = if held {
        (StatusCode::NOT_MODIFIED, caching).into_response()
    } else {
        (StatusCode::OK, caching, [(header::CONTENT_TYPE, content_type)], body.body.clone())
            .into_response()
    };
    if let Ok(etag) = HeaderValue::from_str(&body.etag) {
        response.headers_mut().insert(header::ETAG, etag);
    }
    response
}

/// A request refused before execution: a GraphQL error body coded `BAD_USER_INPUT`
/// with the HTTP status in `extensions.status`.
pub(crate) fn refused(status: StatusCode, message: &str, request_id: &str) -> Response {
    coded_response(status, "BAD_USER_INPUT", message, request_id)
}

/// `error` as a coded error body on a route outside GraphQL (an internal one is logged).
pub(crate) fn error_response(error: &AppError, request_id: &str) -> Response {
    if let AppError::Internal(cause) = error {
        tracing::error!(request_id, error = %format!("{cause:#}"), "request failed");
    }
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    coded_response(status, error.code(), &error.to_string(), request_id)
}

/// A GraphQL error body outside execution; 503 carries `Retry-After: 1`.
pub(crate) fn coded_response(
    status: StatusCode, code: &str, message: &str, request_id: &str,
) -> Response {
    let body = json!({ "errors": [{
        "message": message,
        "extensions": { "code": code, "status": status.as_u16(), "requestId": request_id },
    }] });
    let mut response = (status, Json(body)).into_response();
    response.extensions_mut().insert(Answered(vec![code.to_owned()]));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}
