//! Relay cursor connections : `first`/`after` forwards, `last`/`before`
//! backwards, at most 100 per page, opaque keyset cursors that stay valid while rows
//! change.

use std::borrow::Cow;
use std::sync::Arc;

use async_graphql::{Context, Lookahead, Object, OutputType, SimpleObject, TypeName};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::db::DbConn;
use crate::error::{AppError, AppResult, FieldErrors};
use crate::graphql::context::ContextExt;

pub const DEFAULT_PAGE_SIZE: i32 = 10;
pub const MAX_PAGE_SIZE: i32 = 100;

/// `first` of a plain (non-connection) list: 0..=100, else `BAD_USER_INPUT` on `first`.
/// An explicit `null` means the field's `default`.
pub fn list_limit(first: Option<i32>, default: i32) -> Result<i64, AppError> {
    let first = first.unwrap_or(default);
    if first < 0 {
        return Err(AppError::bad_input(
            "first",
            "Ensure this value is greater than or equal to 0.",
        ));
    }
    if first > MAX_PAGE_SIZE {
        return Err(AppError::bad_input(
            "first",
            format!("Ensure this value is less than or equal to {MAX_PAGE_SIZE}."),
        ));
    }
    Ok(i64::from(first))
}

pub use crate::db::pagination::{Direction, KeysetPage, PageRequest, Window};

/// A connection field's Relay arguments as the client sent them. A resolver takes a
/// `page: PageArgs` parameter and `#[storefront_macros::paged]` (above its `#[Object]`)
/// turns it into the arguments `first` (default 10, or the parameter's
/// `#[graphql(default = n)]`), `after`, `last` and `before`.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageRequest {
    /// Validates `first`/`after`/`last`/`before` for an ordering whose signature is
    /// `ordering` (a cursor made for another ordering is rejected). `first` defaults to
    /// 10 in the schema, so a given `last` reads backwards and wins over it.
    pub fn new(args: PageArgs, ordering: &str) -> Result<Self, AppError> {
        let PageArgs { first, after, last, before } = args;
        let mut errors = FieldErrors::new();
        for (name, value) in [("first", first), ("last", last)] {
            match value {
                Some(n) if n < 0 => {
                    errors.add(name, "Ensure this value is greater than or equal to 0.")
                }
                Some(n) if n > MAX_PAGE_SIZE => errors.add(
                    name,
                    format!("Ensure this value is less than or equal to {MAX_PAGE_SIZE}."),
                ),
                _ => {}
            }
        }
        let after = decode_field(&mut errors, "after", after.as_deref(), ordering);
        let before = decode_field(&mut errors, "before", before.as_deref(), ordering);
        errors.into_result()?;
        let (direction, limit) = match (first, last) {
            (_, Some(last)) => (Direction::Backward, last),
            (Some(first), None) => (Direction::Forward, first),
            (None, None) => (Direction::Forward, DEFAULT_PAGE_SIZE),
        };
        Ok(Self { direction, limit: i64::from(limit), after, before })
    }
}

fn decode_field(
    errors: &mut FieldErrors, field: &str, cursor: Option<&str>, ordering: &str,
) -> Option<Vec<Json>> {
    let cursor = cursor?;
    match decode_cursor(cursor, ordering) {
        Some(values) => Some(values),
        None => {
            errors.add(field, "Invalid cursor.");
            None
        }
    }
}

#[derive(Serialize, Deserialize)]
struct CursorBody {
    /// Ordering signature.
    o: String,
    /// Sort-key values, ending with the id.
    k: Vec<Json>,
}

/// An opaque cursor: the row's sort-key values plus the ordering they belong to.
pub fn encode_cursor(ordering: &str, keys: Vec<Json>) -> String {
    let body = CursorBody { o: ordering.to_owned(), k: keys };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&body).unwrap_or_default())
}

fn decode_cursor(cursor: &str, ordering: &str) -> Option<Vec<Json>> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor.trim()).ok()?;
    let body: CursorBody = serde_json::from_slice(&bytes).ok()?;
    (body.o == ordering).then_some(body.k)
}

/// The ordering signature of newest-first pages keyed by id alone.
pub const ID_DESC: &str = "ID_DESC";
/// The ordering signature of oldest-first pages keyed by id alone.
pub const ID_ASC: &str = "ID_ASC";

#[derive(SimpleObject, Debug, Clone, Default)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

/// One row of a connection and its cursor; named `<Node>Edge` in the schema.
#[derive(SimpleObject)]
#[graphql(name_type)]
pub struct Edge<T: OutputType> {
    /// Opaque cursor of this row.
    pub cursor: String,
    pub node: T,
}

impl<T: OutputType> TypeName for Edge<T> {
    fn type_name() -> Cow<'static, str> {
        Cow::Owned(format!("{}Edge", T::type_name()))
    }
}

type Count = dyn for<'a> Fn(&'a Context<'a>) -> BoxFuture<'a, AppResult<i64>> + Send + Sync;

/// How a connection counts all its rows, run only when `totalCount` is asked for.
#[derive(Clone)]
pub struct Counter(Arc<Count>);

impl Counter {
    /// `count` runs with a pooled connection of its own.
    pub fn new<F, Fut>(count: F) -> Self
    where
        F: Fn(DbConn) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = AppResult<i64>> + Send + 'static,
    {
        let count = Arc::new(count);
        Self(Arc::new(move |ctx| {
            let count = count.clone();
            Box::pin(async move { count(ctx.conn().await?).await })
        }))
    }

    /// A known total.
    pub fn known(total: i64) -> Self {
        Self(Arc::new(move |_| Box::pin(std::future::ready(Ok(total)))))
    }
}

/// A Relay connection of `T`, named `<Node>Connection` in the schema: one type for every
/// paginated list.
pub struct Connection<T: OutputType> {
    pub edges: Vec<Edge<T>>,
    pub page_info: PageInfo,
    pub counter: Counter,
}

impl<T: OutputType> TypeName for Connection<T> {
    fn type_name() -> Cow<'static, str> {
        Cow::Owned(format!("{}Connection", T::type_name()))
    }
}

#[Object(name_type)]
impl<T: OutputType + Clone> Connection<T> {
    /// How many rows the whole list has (counted only when asked for).
    async fn total_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        (self.counter.0)(ctx).await
    }

    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    async fn edges(&self) -> &[Edge<T>] {
        &self.edges
    }

    /// The rows of `edges`, without their cursors.
    async fn nodes(&self) -> Vec<T> {
        self.edges.iter().map(|edge| edge.node.clone()).collect()
    }
}

impl<T: OutputType + Clone> Connection<T> {
    pub fn new(edges: Vec<Edge<T>>, page_info: PageInfo, counter: Counter) -> Self {
        Self { edges, page_info, counter }
    }

    /// The connection of a page read by `db::pagination::read_page`: each row's cursor
    /// is its key values under the ordering `signature`, and `node` makes the row an API
    /// value.
    pub fn from_keyset<R>(
        page: KeysetPage<R>, request: &PageRequest, signature: &str, node: impl Fn(R) -> T,
        counter: Counter,
    ) -> Self {
        let window = Window {
            has_more: page.window.has_more,
            rows: page
                .window
                .rows
                .into_iter()
                .map(|(keys, row)| (encode_cursor(signature, keys), node(row)))
                .collect(),
        };
        let (edges, page_info) = page_with_cursors(window, request, page.other_side);
        Self::new(edges, page_info, counter)
    }
}

/// The look-ahead at a connection's node objects (given the look-ahead at the
/// connection, e.g. `ctx.look_ahead()` in its resolver), through `nodes` and `edges.node`.
pub fn node_selections(connection: Lookahead<'_>) -> [Lookahead<'_>; 2] {
    [connection.field("nodes"), connection.field("edges").field("node")]
}

/// Builds the edges and page info of a page; `other_side` says whether rows exist before
/// (forward pages) or after (backward pages) the page.
pub fn page<T: Clone + OutputType>(
    window: Window<T>, request: &PageRequest, other_side: bool, cursor_of: impl Fn(&T) -> String,
) -> (Vec<Edge<T>>, PageInfo) {
    let window = Window {
        has_more: window.has_more,
        rows: window.rows.into_iter().map(|node| (cursor_of(&node), node)).collect(),
    };
    page_with_cursors(window, request, other_side)
}

/// Like [`page`], for rows that come with their cursors.
pub fn page_with_cursors<T: Clone + OutputType>(
    window: Window<(String, T)>, request: &PageRequest, other_side: bool,
) -> (Vec<Edge<T>>, PageInfo) {
    let edges: Vec<Edge<T>> =
        window.rows.into_iter().map(|(cursor, node)| Edge { cursor, node }).collect();
    let (has_next_page, has_previous_page) = match request.direction {
        Direction::Forward => (window.has_more, other_side),
        Direction::Backward => (other_side, window.has_more),
    };
    let info = PageInfo {
        has_next_page,
        has_previous_page,
        start_cursor: edges.first().map(|edge| edge.cursor.clone()),
        end_cursor: edges.last().map(|edge| edge.cursor.clone()),
    };
    (edges, info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_are_tied_to_their_ordering() {
        let cursor = encode_cursor("TITLE", vec![Json::from("Mug"), Json::from(7)]);
        assert_eq!(decode_cursor(&cursor, "TITLE"), Some(vec![Json::from("Mug"), Json::from(7)]));
        assert_eq!(decode_cursor(&cursor, "UNIT_PRICE"), None);
        assert_eq!(decode_cursor("not a cursor", "TITLE"), None);
    }

    #[test]
    fn page_size_bounds() {
        let error = |first, last| {
            let args = PageArgs { first, last, ..PageArgs::default() };
            PageRequest::new(args, "T").err()
        };
        assert!(error(Some(-1), None).is_some());
        assert!(error(Some(101), None).is_some());
        assert!(error(None, Some(101)).is_some());
        assert!(error(Some(10), Some(5)).is_none());
        assert!(error(Some(100), None).is_none());
        assert!(error(Some(0), None).is_none());
    }
}
