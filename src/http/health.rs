//! What operators and load balancers ask of an instance: `GET /livez`, `/readyz`,
//! `/healthz` and `/metrics`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::app::AppState;
use crate::error::UNAVAILABLE;

/// 200 while the process runs (liveness: nothing here waits on the database).
pub(super) async fn livez() -> Response {
    Json(json!({ "status": "ok" })).into_response()
}

/// 200 only when the database answers with this build's migrations applied, every
/// long-running part (the `LISTEN` tasks, the job runtime where it runs) is up, and the
/// instance is not draining; otherwise 503 with what is failing.
pub(super) async fn readyz(State(state): State<AppState>) -> Response {
    let mut failing = match crate::db::schema_state(&state.pool).await {
        crate::db::SchemaState::Current => vec![],
        crate::db::SchemaState::Behind => vec!["migrations"],
        crate::db::SchemaState::Unreachable => vec!["database"],
    };
    for (part, up) in state.health.parts_up() {
        if !up {
            failing.push(part);
        }
    }
    if state.health.draining() {
        failing.push("draining");
    }
    if failing.is_empty() {
        return Json(json!({ "ready": true })).into_response();
    }
    let mut response =
        (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "ready": false, "failing": failing })))
            .into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    response
}

/// The metrics in the Prometheus text format; with `METRICS_TOKEN` set, only for
/// `Authorization: Bearer <token>` (401 otherwise).
pub(super) async fn metrics_text(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.metrics_token {
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let matches = sent.is_some_and(|sent| {
            use sha2::Digest;
            // Compared as digests, so the comparison's time says nothing of the token.
            sha2::Sha256::digest(sent.as_bytes()) == sha2::Sha256::digest(token.as_bytes())
        });
        if !matches {
            let mut response = StatusCode::UNAUTHORIZED.into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
            return response;
        }
    }
    let Some(handle) = crate::telemetry::handle() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    state.record_gauges().await;
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle.render(),
    )
        .into_response()
}

/// 200 when the database answers, 503 otherwise.
pub(super) async fn healthz(State(state): State<AppState>) -> Response {
    match crate::db::ping(&state.pool).await {
        Ok(()) => Json(json!({ "status": "ok" })).into_response(),
        Err(_) => {
            let mut response = (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "message": UNAVAILABLE })),
            )
                .into_response();
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
    }
}
