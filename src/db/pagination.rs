//! The data side of keyset pagination: which way a page is read, how many rows, the
//! decoded keys of its cursors, the window of rows read for it, and [`read_page`], which
//! reads a page of any [`KeysetSource`]. The GraphQL layer (`graphql::pagination`)
//! validates the arguments and builds connections from these.

use std::marker::PhantomData;

use diesel::QueryableByName;
use diesel::pg::Pg;
use diesel_async::AsyncPgConnection;
use serde_json::Value as Json;

use super::sql::{Bind, Sql};
use crate::error::{AppError, AppResult};

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

/// A list read page by page over a keyset (the one paginator of SQL lists): the source
/// says what a page selects, from where and with which filters, in which order, and how
/// its keys read; [`read_page`] does the rest.
pub trait KeysetSource: Sync {
    type Row: QueryableByName<Pg> + Send + 'static;
    /// The columns a page selects, e.g. `o.id, o.placed_at`.
    fn columns(&self) -> &str;
    /// `(column, descending)` in reading order, ending with a unique key.
    fn order(&self) -> Vec<(&'static str, bool)>;
    /// ` FROM … WHERE TRUE` followed by the source's filters (` AND …`).
    fn push_source(&self, sql: &mut Sql);
    /// A cursor's key values as typed binds; `None` for a malformed cursor. By default, the
    /// one key of a source ordered by its id alone.
    fn binds(&self, keys: &[Json]) -> Option<Vec<Bind>> {
        id_binds(keys)
    }
    /// A row's key values, for its cursor.
    fn keys(&self, row: &Self::Row) -> Vec<Json>;
    /// Whether the statements are worth keeping prepared (bounded shapes).
    fn cached(&self) -> bool {
        true
    }
}

/// A row keyed by its `id` alone, for a [`WholeTable`].
pub trait IdRow {
    fn id(&self) -> i64;
}

/// Every row of one table, by id (newest first when `descending`): a source with no filter.
pub struct WholeTable<R> {
    table: &'static str,
    columns: &'static str,
    descending: bool,
    row: PhantomData<fn() -> R>,
}

impl<R> WholeTable<R> {
    pub const fn new(table: &'static str, columns: &'static str, descending: bool) -> Self {
        Self { table, columns, descending, row: PhantomData }
    }
}

impl<R: QueryableByName<Pg> + IdRow + Send + 'static> KeysetSource for WholeTable<R> {
    type Row = R;

    fn columns(&self) -> &str {
        self.columns
    }

    fn order(&self) -> Vec<(&'static str, bool)> {
        vec![("id", self.descending)]
    }

    fn push_source(&self, sql: &mut Sql) {
        sql.push(" FROM ").push(self.table).push(" WHERE TRUE");
    }

    fn keys(&self, row: &R) -> Vec<Json> {
        vec![Json::from(row.id())]
    }
}

/// The cursor binds of a source ordered by its id alone.
pub fn id_binds(keys: &[Json]) -> Option<Vec<Bind>> {
    match keys {
        [id] => Some(vec![Bind::BigInt(id.as_i64()?)]),
        _ => None,
    }
}

/// One page of a [`KeysetSource`]: its rows with their key values (in natural order),
/// and whether rows lie on the other side of the cursor it was read from.
pub struct KeysetPage<R> {
    pub window: Window<(Vec<Json>, R)>,
    pub other_side: bool,
}

impl<R> KeysetPage<R> {
    /// The same page with each row mapped.
    pub fn map<T>(self, f: impl Fn(R) -> T) -> KeysetPage<T> {
        KeysetPage {
            window: Window {
                rows: self.window.rows.into_iter().map(|(k, r)| (k, f(r))).collect(),
                has_more: self.window.has_more,
            },
            other_side: self.other_side,
        }
    }
}

/// Reads the page `request` asks for: the rows in one statement (one look-ahead row says
/// whether more follow), and one `EXISTS` probe when a cursor was given.
pub async fn read_page<S: KeysetSource>(
    conn: &mut AsyncPgConnection, source: &S, request: &PageRequest,
) -> AppResult<KeysetPage<S::Row>> {
    let decode = |field: &str, keys: &Option<Vec<Json>>| {
        keys.as_deref()
            .map(|keys| {
                source.binds(keys).ok_or_else(|| AppError::bad_input(field, "Invalid cursor."))
            })
            .transpose()
    };
    let after = decode("after", &request.after)?;
    let before = decode("before", &request.before)?;
    let order = source.order();
    let other_side = match request.direction {
        Direction::Forward => beyond(conn, source, &order, after.clone(), true).await?,
        Direction::Backward => beyond(conn, source, &order, before.clone(), false).await?,
    };
    let mut sql = Sql::default();
    sql.uncached = !source.cached();
    sql.push(&format!("SELECT {}", source.columns()));
    source.push_source(&mut sql);
    if let Some(values) = after {
        sql.keyset(&order, values, true);
    }
    if let Some(values) = before {
        sql.keyset(&order, values, false);
    }
    let reverse = request.direction == Direction::Backward;
    let order = order
        .iter()
        .map(|(column, descending)| {
            let direction = if *descending != reverse { "DESC" } else { "ASC" };
            format!("{column} {direction}")
        })
        .collect::<Vec<_>>()
        .join(", ");
    sql.push(&format!(" ORDER BY {order} LIMIT ")).bind(Bind::BigInt(request.limit + 1));
    let rows: Vec<S::Row> = diesel_async::RunQueryDsl::load(sql, conn).await?;
    let rows = rows.into_iter().map(|row| (source.keys(&row), row)).collect();
    Ok(KeysetPage { window: Window::from_rows(rows, request), other_side })
}

/// Whether rows lie on the other side of a cursor: rows not after an `after` cursor (or
/// not before a `before` one). No statement without a cursor.
async fn beyond<S: KeysetSource>(
    conn: &mut AsyncPgConnection, source: &S, order: &[(&'static str, bool)],
    cursor: Option<Vec<Bind>>, past_after: bool,
) -> AppResult<bool> {
    let Some(values) = cursor else {
        return Ok(false);
    };
    let mut sql = Sql::default();
    sql.uncached = !source.cached();
    sql.push("SELECT EXISTS (SELECT 1");
    source.push_source(&mut sql);
    sql.push(" AND NOT (TRUE");
    sql.keyset(order, values, past_after);
    sql.push(")) AS value");
    Ok(sql.fetch_bool(conn).await?)
}
