//! The schema extension that gives every error its `extensions.code` and `status`.
//!
//! Resolvers only ever return [`AppError`]; this is the one place where it becomes
//! `extensions.code` / `status` (and `fields` for validation errors). Errors that do not
//! carry an `AppError` come from async-graphql itself (parse, validation, input coercion,
//! depth or complexity limits) and are client errors: `BAD_USER_INPUT` / 400.

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextRequest, NextSubscribe,
};
use async_graphql::{ErrorExtensionValues, Response, ServerError, Value};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;

use crate::error::AppError;
use crate::http::RequestId;

pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension)
    }
}

struct ErrorCodesExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    /// Wraps the whole request, so parse and validation errors are coded too.
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let request_id = ctx.data_opt::<RequestId>().cloned();
        let mut response = next.run(ctx).await;
        for error in &mut response.errors {
            annotate(error, request_id.as_ref());
        }
        response
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream)
            .map(|mut response| {
                for error in &mut response.errors {
                    annotate(error, None);
                }
                response
            })
            .boxed()
    }
}

/// Fills in `code`, `status` and `fields` for one error (idempotent).
pub fn annotate(error: &mut ServerError, request_id: Option<&RequestId>) {
    let app_error = error.source::<AppError>().cloned();
    let extensions = error
        .extensions
        .get_or_insert_with(ErrorExtensionValues::default);
    if extensions.get("code").is_some() {
        return;
    }
    let Some(app_error) = app_error else {
        extensions.set("code", "BAD_USER_INPUT");
        extensions.set("status", 400);
        return;
    };
    extensions.set("code", app_error.code());
    extensions.set("status", app_error.status());
    if let Some(fields) = app_error.fields() {
        let map = fields
            .iter()
            .map(|(field, messages)| {
                let list = messages.iter().map(|m| Value::String(m.clone())).collect();
                (async_graphql::Name::new(field), Value::List(list))
            })
            .collect();
        extensions.set("fields", Value::Object(map));
    }
    if let AppError::Internal(source) = &app_error {
        let request_id = request_id.map(|id| id.0.as_str()).unwrap_or("-");
        tracing::error!(
            request_id,
            path = ?error.path,
            error = format!("{source:#}"),
            "internal error"
        );
        if let Some(extensions) = &mut error.extensions {
            extensions.set("requestId", request_id);
        }
    }
}
