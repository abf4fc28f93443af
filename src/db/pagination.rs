//! The data side of keyset pagination: which way a page is read, how many rows, the
//! decoded keys of its cursors, and the window of rows read for it. The GraphQL layer
//! (`graphql::pagination`) validates the arguments and builds connections from these.

use serde_json::Value as Json;

/// Which way a page is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    Forward,
    Backward,
}

/// Validated paging arguments.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageRequest {
    pub direction: Direction,
    /// Rows wanted (0..=100).
    pub limit: i64,
    /// Decoded key values of `after` / `before`.
    pub after: Option<Vec<Json>>,
    pub before: Option<Vec<Json>>,
}

/// Rows read for one page: `limit + 1` were asked for, so an extra row means more exist.
pub struct Window<T> {
    pub rows: Vec<T>,
    pub has_more: bool,
}

impl<T> Window<T> {
    /// Trims the look-ahead row and restores natural order for backward pages.
    pub fn from_rows(mut rows: Vec<T>, request: &PageRequest) -> Self {
        let limit = usize::try_from(request.limit).unwrap_or(0);
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        if request.direction == Direction::Backward {
            rows.reverse();
        }
        Self { rows, has_more }
    }
}
