//! One error type for the whole service.
//!
//! Resolvers, guards and loaders return [`AppError`]. The schema extension in
//! `graphql::error_codes` turns it into `extensions.code` / `status` / `fields` in one
//! place, so no resolver has to call `.extend()`. Internal errors are logged there and
//! shown to the client only as `Internal server error`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// Field errors in the DRF shape: `{ "<camelCaseField>": ["<message>", …] }`.
/// Object-level errors go under [`NON_FIELD_ERRORS`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

/// Key for errors that belong to the input as a whole.
pub const NON_FIELD_ERRORS: &str = "nonFieldErrors";

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// One error on one field.
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_owned()).or_default().push(message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn has(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Vec<String>)> {
        self.0.iter()
    }

    /// `Ok(())` when nothing was collected, else the collected errors as one
    /// `BAD_USER_INPUT`.
    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() { Ok(()) } else { Err(AppError::BadUserInput(self)) }
    }

    /// The message shown as the GraphQL error message: the message itself when there is
    /// exactly one, a summary otherwise (every message is in `extensions.fields`).
    fn summary(&self) -> String {
        let mut all = self.0.values().flatten();
        match (all.next(), all.next()) {
            (Some(only), None) => only.clone(),
            _ => "Invalid input.".to_owned(),
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum AppError {
    #[error("Authentication credentials were not provided.")]
    Unauthenticated,
    /// A bad, expired or unusable token (its message is the spec's text).
    #[error("{0}")]
    InvalidToken(Cow<'static, str>),
    #[error("You do not have permission to perform this action.")]
    Forbidden,
    #[error("{0}")]
    NotFound(Cow<'static, str>),
    #[error("{}", .0.summary())]
    BadUserInput(FieldErrors),
    /// Delete guards: the exact guard text.
    #[error("{0}")]
    MethodNotAllowed(Cow<'static, str>),
    /// A request budget was exceeded before execution (cost, depth, aliases, size, …).
    /// `cost` is `(requested, maximum)` whenever the cost is over its maximum.
    #[error("{message}")]
    TooComplex { message: Cow<'static, str>, cost: Option<(u64, u64)> },
    /// Throttled: try again after `retry_after` seconds.
    #[error("Request was throttled. Expected available in {retry_after} seconds.")]
    RateLimited { retry_after: u64 },
    /// The database (or the service) cannot answer right now; the client may retry.
    #[error("{0}")]
    Unavailable(Cow<'static, str>),
    /// A persisted-query hash this server has not registered: the client sends the
    /// document with its hash next (Apollo's automatic persisted queries).
    #[error("PersistedQueryNotFound")]
    PersistedQueryNotFound,
    #[error("Internal server error")]
    Internal(Arc<anyhow::Error>),
}

/// The message of [`AppError::Unavailable`] when the database cannot be reached.
pub const UNAVAILABLE: &str = "The service is temporarily unavailable. Please try again shortly.";
/// The message of [`AppError::Unavailable`] when there is no capacity left for a request.
pub const BUSY: &str = "The service is busy. Please try again shortly.";
/// The message of [`AppError::Unavailable`] when a statement or the request ran too long.
pub const TIMED_OUT: &str = "The request took too long. Please try again shortly.";

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// `NOT_FOUND` with the spec's `Not found.`.
    pub fn not_found() -> Self {
        Self::NotFound(Cow::Borrowed("Not found."))
    }

    /// `Ok(true)` when something was deleted, else `NOT_FOUND` (the delete mutations).
    pub fn deleted(done: bool) -> AppResult<bool> {
        if done { Ok(true) } else { Err(Self::not_found()) }
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(Arc::new(error.into()))
    }

    /// `BAD_USER_INPUT` with one message on one field.
    pub fn bad_input(field: &str, message: impl Into<String>) -> Self {
        Self::BadUserInput(FieldErrors::single(field, message))
    }

    /// A domain rule the request broke, reported by the data layer on a domain subject
    /// (`product`, `collection`, `quantity`, `email`): the GraphQL layer names the
    /// argument it concerns with [`on_argument`](Self::on_argument) where the two differ.
    pub fn rejected(subject: &str, message: impl Into<String>) -> Self {
        Self::bad_input(subject, message)
    }

    /// Reports the errors on `subject` under the API's `argument` instead.
    pub fn on_argument(self, subject: &str, argument: &str) -> Self {
        match self {
            Self::BadUserInput(mut fields) => {
                if let Some(messages) = fields.0.remove(subject) {
                    fields.0.entry(argument.to_owned()).or_default().extend(messages);
                }
                Self::BadUserInput(fields)
            }
            other => other,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated | Self::InvalidToken(_) => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::BadUserInput(_) => "BAD_USER_INPUT",
            Self::MethodNotAllowed(_) => "METHOD_NOT_ALLOWED",
            Self::TooComplex { .. } => "QUERY_TOO_COMPLEX",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::Unavailable(_) => "SERVICE_UNAVAILABLE",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::Internal(_) => "INTERNAL_SERVER_ERROR",
        }
    }

    /// The REST status the notes would have answered with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Unauthenticated | Self::InvalidToken(_) => 401,
            Self::Forbidden => 403,
            Self::NotFound(_) => 404,
            Self::BadUserInput(_) => 400,
            Self::MethodNotAllowed(_) => 405,
            Self::TooComplex { .. } => 400,
            Self::RateLimited { .. } => 429,
            Self::Unavailable(_) => 503,
            // Answered with HTTP 200, as the clients that send hashes expect.
            Self::PersistedQueryNotFound => 200,
            Self::Internal(_) => 500,
        }
    }

    pub fn fields(&self) -> Option<&FieldErrors> {
        match self {
            Self::BadUserInput(fields) => Some(fields),
            _ => None,
        }
    }
}

impl From<DieselError> for AppError {
    fn from(error: DieselError) -> Self {
        match error {
            DieselError::NotFound => Self::not_found(),
            DieselError::DatabaseError(kind, ref info) => {
                match unavailable_kind(&kind, info.message()) {
                    Some(message) => {
                        tracing::warn!(error = %info.message(), "database unavailable or too slow");
                        Self::Unavailable(Cow::Borrowed(message))
                    }
                    None => Self::internal(error),
                }
            }
            other => Self::internal(other),
        }
    }
}

/// Whether a database error means "not now" rather than "wrong": a lost connection, a
/// server shutting down or starting up, or a statement cancelled by `statement_timeout`.
fn unavailable_kind(kind: &DatabaseErrorKind, message: &str) -> Option<&'static str> {
    if message.contains("statement timeout") || message.contains("canceling statement") {
        crate::telemetry::statement_timed_out();
        return Some(TIMED_OUT);
    }
    let lost = matches!(kind, DatabaseErrorKind::ClosedConnection)
        || [
            "terminating connection",
            "the database system is shutting down",
            "the database system is starting up",
            "the database system is in recovery mode",
            "connection closed",
            "Connection refused",
        ]
        .iter()
        .any(|needle| message.contains(needle));
    lost.then_some(UNAVAILABLE)
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for AppError {
    /// Every pool failure (no connection within the wait timeout, the server refusing
    /// connections) is `SERVICE_UNAVAILABLE`: the client may retry.
    fn from(error: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        tracing::warn!(error = %error, "no database connection");
        Self::Unavailable(Cow::Borrowed(UNAVAILABLE))
    }
}

/// Maps a constraint violation to a client error at the call site (realworld's
/// `on_constraint`), using the constraint names the migrations give.
/// `NOT_FOUND` for a row that is not there: `repo::find(…).await.or_not_found()`.
pub trait OrNotFound<T> {
    fn or_not_found(self) -> AppResult<T>;
}

impl<T> OrNotFound<T> for AppResult<Option<T>> {
    fn or_not_found(self) -> AppResult<T> {
        self?.ok_or_else(AppError::not_found)
    }
}

pub trait ResultExt<T> {
    fn on_constraint(self, name: &str, map: impl FnOnce() -> AppError) -> Result<T, AppError>;
}

impl<T> ResultExt<T> for Result<T, DieselError> {
    fn on_constraint(self, name: &str, map: impl FnOnce() -> AppError) -> Result<T, AppError> {
        match self {
            Err(DieselError::DatabaseError(
                DatabaseErrorKind::UniqueViolation
                | DatabaseErrorKind::ForeignKeyViolation
                | DatabaseErrorKind::CheckViolation,
                ref info,
            )) if info.constraint_name() == Some(name) => Err(map()),
            other => other.map_err(AppError::from),
        }
    }
}

impl<T> ResultExt<T> for Result<T, AppError> {
    fn on_constraint(self, name: &str, map: impl FnOnce() -> AppError) -> Result<T, AppError> {
        self.map_err(|error| match &error {
            AppError::Internal(inner) => match inner.downcast_ref::<DieselError>() {
                Some(DieselError::DatabaseError(_, info))
                    if info.constraint_name() == Some(name) =>
                {
                    map()
                }
                _ => error,
            },
            _ => error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_message_is_the_error_message() {
        let error = AppError::bad_input("title", "This field is required.");
        assert_eq!(error.to_string(), "This field is required.");
        assert_eq!(error.code(), "BAD_USER_INPUT");
        assert_eq!(error.status(), 400);
    }

    #[test]
    fn several_messages_are_summarised() {
        let mut errors = FieldErrors::new();
        errors.add("title", "This field is required.");
        errors.add("slug", "This field is required.");
        assert_eq!(AppError::BadUserInput(errors).to_string(), "Invalid input.");
    }

    #[test]
    fn internal_errors_never_show_their_source() {
        let error = AppError::internal(anyhow::anyhow!("relation \"secret\" does not exist"));
        assert_eq!(error.to_string(), "Internal server error");
        assert_eq!(error.status(), 500);
    }
}
