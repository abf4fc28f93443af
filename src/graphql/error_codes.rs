//! Where every error gets its `extensions.code`, `status` and `requestId`.
//!
//! Resolvers only ever return [`AppError`]; the transports (HTTP and WebSocket) call
//! [`annotate_response`] on every response they send, which is the one place where it
//! becomes `extensions.code` / `status` (and `fields` for validation errors, `cost` for
//! refused documents, `retryAfter` for throttling). The transport knows the request id,
//! so every error carries it and every internal error is logged with it. Errors that do
//! not carry an `AppError` come from async-graphql itself (parse, validation, input
//! coercion) and are client errors: `BAD_USER_INPUT` / 400.

use async_graphql::{ErrorExtensionValues, Response, ServerError, Value};

use crate::error::AppError;

/// Codes every error of `response` (see [`annotate`]).
pub fn annotate_response(response: &mut Response, request_id: &str) {
    for error in &mut response.errors {
        annotate(error, request_id);
    }
}

/// Fills in `code`, `status`, `requestId` and the code's details for one error, and logs
/// internal errors with the request id. Idempotent.
pub fn annotate(error: &mut ServerError, request_id: &str) {
    let app_error = error.source::<AppError>().cloned();
    let extensions = error.extensions.get_or_insert_with(ErrorExtensionValues::default);
    if extensions.get("code").is_some() {
        return;
    }
    extensions.set("requestId", request_id);
    let Some(app_error) = app_error else {
        extensions.set("code", "BAD_USER_INPUT");
        extensions.set("status", 400);
        return;
    };
    extensions.set("code", app_error.code());
    extensions.set("status", app_error.status());
    match &app_error {
        AppError::BadUserInput(fields) => {
            let map = fields
                .iter()
                .map(|(field, messages)| {
                    let list = messages.iter().map(|m| Value::String(m.clone())).collect();
                    (async_graphql::Name::new(field), Value::List(list))
                })
                .collect();
            extensions.set("fields", Value::Object(map));
        }
        AppError::TooComplex { cost: Some((requested, maximum)), .. } => {
            let mut cost = async_graphql::indexmap::IndexMap::new();
            cost.insert(async_graphql::Name::new("requested"), Value::from(*requested));
            cost.insert(async_graphql::Name::new("maximum"), Value::from(*maximum));
            extensions.set("cost", Value::Object(cost));
        }
        AppError::RateLimited { retry_after } => {
            extensions.set("retryAfter", *retry_after);
        }
        AppError::Internal(source) => {
            tracing::error!(
                request_id,
                path = ?error.path,
                error = format!("{source:#}"),
                "internal error"
            );
        }
        _ => {}
    }
}

/// The largest `Retry-After` any error of `response` asks for (`SERVICE_UNAVAILABLE`
/// asks for 1 second, `RATE_LIMITED` for its own wait), with the HTTP status it implies.
pub fn retry_after(response: &Response) -> Option<(u16, u64)> {
    response
        .errors
        .iter()
        .filter_map(|error| match error.source::<AppError>() {
            Some(AppError::Unavailable(_)) => Some((503, 1)),
            Some(AppError::RateLimited { retry_after }) => Some((429, *retry_after)),
            _ => None,
        })
        .max_by_key(|(status, wait)| (*status, *wait))
}
