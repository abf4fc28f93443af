//! Catalogue queries. Every function takes the caller's connection, so the caller decides
//! about transactions.

use chrono::{DateTime, Utc};
use diesel::dsl::{count, exists};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{Array, BigInt, Bool, Numeric, Text, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::Value as Json;

use super::model::*;
use crate::db::schema::{collections, order_items, products, reviews};
use crate::error::{AppError, AppResult, ResultExt};
use crate::graphql::pagination::{Direction, PageRequest};

// ---------------------------------------------------------------------------------------
// Product lists: filters, orderings and keyset pages
// ---------------------------------------------------------------------------------------

/// Conditions of the product list (all ANDed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ProductFilter {
    pub collection_id: Option<i64>,
    pub unit_price_gt: Option<Decimal>,
    pub unit_price_lt: Option<Decimal>,
    /// Every term must occur in the title or the description (case-insensitive).
    pub search_terms: Vec<String>,
}

impl ProductFilter {
    /// DRF's `SearchFilter` terms: split on whitespace and commas.
    pub fn split_search(search: &str) -> Vec<String> {
        search
            .replace('\0', "")
            .replace(',', " ")
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortField {
    Title,
    UnitPrice,
    LastUpdate,
}

impl SortField {
    fn column(self) -> &'static str {
        match self {
            Self::Title => "p.title",
            Self::UnitPrice => "p.unit_price",
            Self::LastUpdate => "p.last_update",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Title => "TITLE",
            Self::UnitPrice => "UNIT_PRICE",
            Self::LastUpdate => "LAST_UPDATE",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SortKey {
    pub field: SortField,
    pub descending: bool,
}

/// An ordering: the requested keys (first occurrence of a field wins), then `id`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProductOrdering(Vec<SortKey>);

impl Default for ProductOrdering {
    fn default() -> Self {
        Self(vec![SortKey {
            field: SortField::Title,
            descending: false,
        }])
    }
}

impl ProductOrdering {
    pub fn new(keys: impl IntoIterator<Item = SortKey>) -> Self {
        let mut unique: Vec<SortKey> = Vec::new();
        for key in keys {
            if !unique.iter().any(|k| k.field == key.field) {
                unique.push(key);
            }
        }
        if unique.is_empty() {
            Self::default()
        } else {
            Self(unique)
        }
    }

    /// Identifies the ordering inside cursors.
    pub fn signature(&self) -> String {
        self.0
            .iter()
            .map(|k| {
                if k.descending {
                    format!("{}_DESC", k.field.name())
                } else {
                    k.field.name().to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The cursor key values of a row (sort keys, then id).
    pub fn cursor_keys(&self, row: &ProductRow) -> Vec<Json> {
        let mut keys: Vec<Json> = self
            .0
            .iter()
            .map(|k| match k.field {
                SortField::Title => Json::from(row.title.clone()),
                SortField::UnitPrice => Json::from(row.unit_price.to_string()),
                SortField::LastUpdate => Json::from(
                    row.last_update
                        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                ),
            })
            .collect();
        keys.push(Json::from(row.id));
        keys
    }

    /// Typed values of cursor keys, or `None` if they do not fit this ordering.
    fn bind_cursor(&self, keys: &[Json]) -> Option<Vec<Bind>> {
        if keys.len() != self.0.len() + 1 {
            return None;
        }
        let mut binds = Vec::with_capacity(keys.len());
        for (key, value) in self.0.iter().zip(keys) {
            let text = value.as_str()?;
            binds.push(match key.field {
                SortField::Title => Bind::Text(text.to_owned()),
                SortField::UnitPrice => Bind::Numeric(text.parse().ok()?),
                SortField::LastUpdate => {
                    Bind::Timestamptz(DateTime::parse_from_rfc3339(text).ok()?.with_timezone(&Utc))
                }
            });
        }
        binds.push(Bind::BigInt(keys.last()?.as_i64()?));
        Some(binds)
    }

    /// `(column, descending)` for every key including the final `id ASC`.
    fn columns(&self) -> Vec<(&'static str, bool)> {
        let mut columns: Vec<_> = self
            .0
            .iter()
            .map(|k| (k.field.column(), k.descending))
            .collect();
        columns.push(("p.id", false));
        columns
    }

    fn order_by(&self, reverse: bool) -> String {
        self.columns()
            .iter()
            .map(|(column, descending)| {
                let descending = *descending != reverse;
                format!("{column} {}", if descending { "DESC" } else { "ASC" })
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// A page of products as asked for by a connection field.
#[derive(Debug, Clone)]
pub struct ProductPageQuery {
    pub filter: ProductFilter,
    pub ordering: ProductOrdering,
    pub page: PageRequest,
}

#[derive(Debug, Clone)]
enum Bind {
    Text(String),
    Numeric(Decimal),
    Timestamptz(DateTime<Utc>),
    BigInt(i64),
    BigIntArray(Vec<i64>),
}

/// Raw SQL with positional binds, for the dynamic parts Diesel's DSL cannot express well
/// (keyset conditions over a chosen ordering, window functions). Only bind placeholders
/// and fixed column names are ever spliced into the text.
#[derive(Default)]
struct Sql {
    text: String,
    binds: Vec<Bind>,
}

impl Sql {
    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    fn bind(&mut self, value: Bind) -> String {
        self.binds.push(value);
        format!("${}", self.binds.len())
    }

    fn query(self) -> BoxedSqlQuery<'static, Pg, diesel::query_builder::SqlQuery> {
        let mut query = diesel::sql_query(self.text).into_boxed::<Pg>();
        for bind in self.binds {
            query = match bind {
                Bind::Text(v) => query.bind::<Text, _>(v),
                Bind::Numeric(v) => query.bind::<Numeric, _>(v),
                Bind::Timestamptz(v) => query.bind::<Timestamptz, _>(v),
                Bind::BigInt(v) => query.bind::<BigInt, _>(v),
                Bind::BigIntArray(v) => query.bind::<Array<BigInt>, _>(v),
            };
        }
        query
    }

    /// `AND <filter conditions>`.
    fn filter(&mut self, filter: &ProductFilter) {
        if let Some(id) = filter.collection_id {
            let p = self.bind(Bind::BigInt(id));
            self.push(&format!(" AND p.collection_id = {p}"));
        }
        if let Some(price) = filter.unit_price_gt {
            let p = self.bind(Bind::Numeric(price));
            self.push(&format!(" AND p.unit_price > {p}"));
        }
        if let Some(price) = filter.unit_price_lt {
            let p = self.bind(Bind::Numeric(price));
            self.push(&format!(" AND p.unit_price < {p}"));
        }
        for term in &filter.search_terms {
            let pattern = format!("%{}%", escape_like(term));
            let p = self.bind(Bind::Text(pattern));
            self.push(&format!(
                " AND (p.title ILIKE {p} ESCAPE '\\' OR p.description ILIKE {p} ESCAPE '\\')"
            ));
        }
    }

    /// `AND <row is strictly after (or before) the cursor row in the ordering>`.
    fn keyset(&mut self, ordering: &ProductOrdering, values: Vec<Bind>, after: bool) {
        let columns = ordering.columns();
        let same_direction = columns.iter().all(|(_, d)| *d == columns[0].1);
        if same_direction {
            // A row comparison lets PostgreSQL use the (key, id) index.
            let op = if after != columns[0].1 { ">" } else { "<" };
            let names: Vec<&str> = columns.iter().map(|(c, _)| *c).collect();
            let params: Vec<String> = values.into_iter().map(|v| self.bind(v)).collect();
            self.push(&format!(
                " AND ({}) {op} ({})",
                names.join(", "),
                params.join(", ")
            ));
            return;
        }
        let params: Vec<String> = values.into_iter().map(|v| self.bind(v)).collect();
        let mut alternatives = Vec::new();
        for i in 0..columns.len() {
            let mut parts: Vec<String> = (0..i)
                .map(|j| format!("{} = {}", columns[j].0, params[j]))
                .collect();
            let op = if after != columns[i].1 { ">" } else { "<" };
            parts.push(format!("{} {op} {}", columns[i].0, params[i]));
            alternatives.push(format!("({})", parts.join(" AND ")));
        }
        self.push(&format!(" AND ({})", alternatives.join(" OR ")));
    }
}

fn escape_like(term: &str) -> String {
    term.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

const PRODUCT_COLUMNS: &str = "p.id, p.title, p.slug, p.description, p.unit_price, p.inventory, \
                               p.last_update, p.collection_id";

/// Decodes the cursors of `query` into binds (BAD_USER_INPUT when they do not fit).
/// Typed values of the `after` and `before` cursors.
type CursorBinds = (Option<Vec<Bind>>, Option<Vec<Bind>>);

fn cursor_binds(query: &ProductPageQuery) -> AppResult<CursorBinds> {
    let decode = |field: &str, keys: &Option<Vec<Json>>| -> AppResult<Option<Vec<Bind>>> {
        keys.as_ref()
            .map(|keys| {
                query
                    .ordering
                    .bind_cursor(keys)
                    .ok_or_else(|| AppError::bad_input(field, "Invalid cursor."))
            })
            .transpose()
    };
    Ok((
        decode("after", &query.page.after)?,
        decode("before", &query.page.before)?,
    ))
}

/// One page of products (`limit + 1` rows, in the direction of reading).
pub async fn list_products(
    conn: &mut AsyncPgConnection,
    query: &ProductPageQuery,
) -> AppResult<Vec<ProductRow>> {
    let (after, before) = cursor_binds(query)?;
    let mut sql = Sql::default();
    sql.push(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM products p WHERE TRUE"
    ));
    sql.filter(&query.filter);
    if let Some(values) = after {
        sql.keyset(&query.ordering, values, true);
    }
    if let Some(values) = before {
        sql.keyset(&query.ordering, values, false);
    }
    let backward = query.page.direction == Direction::Backward;
    let limit = sql.bind(Bind::BigInt(query.page.limit + 1));
    sql.push(&format!(
        " ORDER BY {} LIMIT {limit}",
        query.ordering.order_by(backward)
    ));
    Ok(sql.query().load(conn).await?)
}

/// Whether rows exist on the far side of the page's cursor: before `after` for a forward
/// page, after `before` for a backward one (Relay's `hasPreviousPage`/`hasNextPage`).
pub async fn products_beyond_cursor(
    conn: &mut AsyncPgConnection,
    query: &ProductPageQuery,
) -> AppResult<bool> {
    let (after, before) = cursor_binds(query)?;
    let (values, beyond_after) = match (query.page.direction, after, before) {
        (Direction::Forward, Some(values), _) => (values, false),
        (Direction::Backward, _, Some(values)) => (values, true),
        _ => return Ok(false),
    };
    let mut sql = Sql::default();
    sql.push("SELECT EXISTS (SELECT 1 FROM products p WHERE TRUE");
    sql.filter(&query.filter);
    // Rows at or before the `after` cursor = rows not strictly after it (and vice versa).
    sql.push(" AND NOT (TRUE");
    sql.keyset(&query.ordering, values, !beyond_after);
    sql.push(")) AS found");
    #[derive(QueryableByName)]
    struct Found {
        #[diesel(sql_type = Bool)]
        found: bool,
    }
    let row: Found = sql.query().get_result(conn).await?;
    Ok(row.found)
}

/// Number of products matching `filter`.
pub async fn count_products(
    conn: &mut AsyncPgConnection,
    filter: &ProductFilter,
) -> AppResult<i64> {
    let mut sql = Sql::default();
    sql.push("SELECT count(*) AS total FROM products p WHERE TRUE");
    sql.filter(filter);
    #[derive(QueryableByName)]
    struct Total {
        #[diesel(sql_type = BigInt)]
        total: i64,
    }
    let row: Total = sql.query().get_result(conn).await?;
    Ok(row.total)
}

/// The first (or last) `limit + 1` products of each collection, in one statement.
/// Rows come back grouped by collection, in reading order.
pub async fn first_products_by_collection(
    conn: &mut AsyncPgConnection,
    collection_ids: &[i64],
    ordering: &ProductOrdering,
    direction: Direction,
    limit: i64,
) -> AppResult<Vec<ProductRow>> {
    let mut sql = Sql::default();
    let ids = sql.bind(Bind::BigIntArray(collection_ids.to_vec()));
    let window = ordering.order_by(direction == Direction::Backward);
    sql.push(&format!(
        "SELECT {} FROM (SELECT {PRODUCT_COLUMNS}, row_number() OVER \
         (PARTITION BY p.collection_id ORDER BY {window}) AS rn \
         FROM products p WHERE p.collection_id = ANY({ids})) ranked",
        PRODUCT_COLUMNS.replace("p.", "ranked.")
    ));
    let limit = sql.bind(Bind::BigInt(limit + 1));
    sql.push(&format!(" WHERE rn <= {limit} ORDER BY collection_id, rn"));
    Ok(sql.query().load(conn).await?)
}

// ---------------------------------------------------------------------------------------
// Products
// ---------------------------------------------------------------------------------------

pub async fn find_product(conn: &mut AsyncPgConnection, id: i64) -> AppResult<Option<ProductRow>> {
    Ok(products::table
        .find(id)
        .select(ProductRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn products_by_ids(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> AppResult<Vec<ProductRow>> {
    Ok(products::table
        .filter(products::id.eq_any(ids))
        .select(ProductRow::as_select())
        .load(conn)
        .await?)
}

pub async fn product_exists(conn: &mut AsyncPgConnection, id: i64) -> AppResult<bool> {
    Ok(diesel::select(exists(products::table.find(id)))
        .get_result(conn)
        .await?)
}

pub async fn insert_product(
    conn: &mut AsyncPgConnection,
    product: &NewProduct,
) -> AppResult<ProductRow> {
    diesel::insert_into(products::table)
        .values(product)
        .returning(ProductRow::as_returning())
        .get_result(conn)
        .await
        .on_constraint("products_collection_id_fkey", collection_gone)
}

/// Applies `changes`; `None` when the product does not exist.
pub async fn update_product(
    conn: &mut AsyncPgConnection,
    id: i64,
    changes: &ProductChanges,
) -> AppResult<Option<ProductRow>> {
    diesel::update(products::table.find(id))
        .set(changes)
        .returning(ProductRow::as_returning())
        .get_result(conn)
        .await
        .optional()
        .on_constraint("products_collection_id_fkey", collection_gone)
}

fn collection_gone() -> AppError {
    AppError::bad_input(
        "collectionId",
        "The collection was deleted while the product was being saved.",
    )
}

/// Deletes a product unless an order item refers to it (API-DEL-1). `false` when missing.
pub async fn delete_product(conn: &mut AsyncPgConnection, id: i64) -> AppResult<bool> {
    conn.transaction::<_, AppError, _>(async |conn| {
        // Lock the row so the guard and the delete see the same state.
        let found: Option<i64> = products::table
            .find(id)
            .select(products::id)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        if found.is_none() {
            return Ok(false);
        }
        let ordered: bool = diesel::select(exists(
            order_items::table.filter(order_items::product_id.eq(id)),
        ))
        .get_result(conn)
        .await?;
        if ordered {
            return Err(AppError::MethodNotAllowed(PRODUCT_DELETE_GUARD.into()));
        }
        diesel::delete(products::table.find(id))
            .execute(conn)
            .await
            .on_constraint("order_items_product_id_fkey", || {
                AppError::MethodNotAllowed(PRODUCT_DELETE_GUARD.into())
            })?;
        Ok(true)
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Collections
// ---------------------------------------------------------------------------------------

/// All collections by title then id, each with its product count when `with_counts`.
pub async fn list_collections(
    conn: &mut AsyncPgConnection,
    with_counts: bool,
) -> AppResult<Vec<(CollectionRow, Option<i64>)>> {
    if with_counts {
        let rows: Vec<(CollectionRow, i64)> = collections::table
            .left_join(products::table)
            .group_by(collections::id)
            .select((CollectionRow::as_select(), count(products::id.nullable())))
            .order((collections::title.asc(), collections::id.asc()))
            .load(conn)
            .await?;
        Ok(rows.into_iter().map(|(c, n)| (c, Some(n))).collect())
    } else {
        let rows: Vec<CollectionRow> = collections::table
            .select(CollectionRow::as_select())
            .order((collections::title.asc(), collections::id.asc()))
            .load(conn)
            .await?;
        Ok(rows.into_iter().map(|c| (c, None)).collect())
    }
}

pub async fn find_collection(
    conn: &mut AsyncPgConnection,
    id: i64,
    with_count: bool,
) -> AppResult<Option<(CollectionRow, Option<i64>)>> {
    if with_count {
        let row: Option<(CollectionRow, i64)> = collections::table
            .left_join(products::table)
            .filter(collections::id.eq(id))
            .group_by(collections::id)
            .select((CollectionRow::as_select(), count(products::id.nullable())))
            .first(conn)
            .await
            .optional()?;
        Ok(row.map(|(c, n)| (c, Some(n))))
    } else {
        let row: Option<CollectionRow> = collections::table
            .find(id)
            .select(CollectionRow::as_select())
            .first(conn)
            .await
            .optional()?;
        Ok(row.map(|c| (c, None)))
    }
}

pub async fn collections_by_ids(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> AppResult<Vec<CollectionRow>> {
    Ok(collections::table
        .filter(collections::id.eq_any(ids))
        .select(CollectionRow::as_select())
        .load(conn)
        .await?)
}

pub async fn product_counts_by_collection(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> AppResult<Vec<(i64, i64)>> {
    Ok(products::table
        .filter(products::collection_id.eq_any(ids))
        .group_by(products::collection_id)
        .select((products::collection_id, count(products::id)))
        .load(conn)
        .await?)
}

pub async fn collection_exists(conn: &mut AsyncPgConnection, id: i64) -> AppResult<bool> {
    Ok(diesel::select(exists(collections::table.find(id)))
        .get_result(conn)
        .await?)
}

pub async fn insert_collection(
    conn: &mut AsyncPgConnection,
    collection: &NewCollection,
) -> AppResult<CollectionRow> {
    diesel::insert_into(collections::table)
        .values(collection)
        .returning(CollectionRow::as_returning())
        .get_result(conn)
        .await
        .on_constraint("collections_featured_product_id_fkey", featured_gone)
}

pub async fn update_collection(
    conn: &mut AsyncPgConnection,
    id: i64,
    changes: &CollectionChanges,
) -> AppResult<Option<CollectionRow>> {
    diesel::update(collections::table.find(id))
        .set(changes)
        .returning(CollectionRow::as_returning())
        .get_result(conn)
        .await
        .optional()
        .on_constraint("collections_featured_product_id_fkey", featured_gone)
}

fn featured_gone() -> AppError {
    AppError::bad_input(
        "featuredProductId",
        "The product was deleted while the collection was being saved.",
    )
}

/// Deletes a collection unless it still has products (API-COL-7). `false` when missing.
pub async fn delete_collection(conn: &mut AsyncPgConnection, id: i64) -> AppResult<bool> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let found: Option<i64> = collections::table
            .find(id)
            .select(collections::id)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        if found.is_none() {
            return Ok(false);
        }
        let has_products: bool = diesel::select(exists(
            products::table.filter(products::collection_id.eq(id)),
        ))
        .get_result(conn)
        .await?;
        if has_products {
            return Err(AppError::MethodNotAllowed(COLLECTION_DELETE_GUARD.into()));
        }
        diesel::delete(collections::table.find(id))
            .execute(conn)
            .await
            .on_constraint("products_collection_id_fkey", || {
                AppError::MethodNotAllowed(COLLECTION_DELETE_GUARD.into())
            })?;
        Ok(true)
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Reviews
// ---------------------------------------------------------------------------------------

pub async fn list_reviews(
    conn: &mut AsyncPgConnection,
    product_id: i64,
) -> AppResult<Vec<ReviewRow>> {
    Ok(reviews::table
        .filter(reviews::product_id.eq(product_id))
        .order(reviews::id.asc())
        .select(ReviewRow::as_select())
        .load(conn)
        .await?)
}

pub async fn reviews_by_product_ids(
    conn: &mut AsyncPgConnection,
    product_ids: &[i64],
) -> AppResult<Vec<ReviewRow>> {
    Ok(reviews::table
        .filter(reviews::product_id.eq_any(product_ids))
        .order((reviews::product_id.asc(), reviews::id.asc()))
        .select(ReviewRow::as_select())
        .load(conn)
        .await?)
}

/// A review of `product_id` (a review of another product is not found).
pub async fn find_review(
    conn: &mut AsyncPgConnection,
    product_id: i64,
    id: i64,
) -> AppResult<Option<ReviewRow>> {
    Ok(reviews::table
        .filter(reviews::id.eq(id).and(reviews::product_id.eq(product_id)))
        .select(ReviewRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn insert_review(
    conn: &mut AsyncPgConnection,
    review: &NewReview,
) -> AppResult<ReviewRow> {
    diesel::insert_into(reviews::table)
        .values(review)
        .returning(ReviewRow::as_returning())
        .get_result(conn)
        .await
        .on_constraint("reviews_product_id_fkey", AppError::not_found)
}

pub async fn update_review(
    conn: &mut AsyncPgConnection,
    product_id: i64,
    id: i64,
    changes: &ReviewChanges,
) -> AppResult<Option<ReviewRow>> {
    let target = reviews::table.filter(reviews::id.eq(id).and(reviews::product_id.eq(product_id)));
    if changes.name.is_none() && changes.description.is_none() {
        // Nothing to set: an empty PATCH answers with the review as it is.
        return find_review(conn, product_id, id).await;
    }
    Ok(diesel::update(target)
        .set(changes)
        .returning(ReviewRow::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

pub async fn delete_review(
    conn: &mut AsyncPgConnection,
    product_id: i64,
    id: i64,
) -> AppResult<bool> {
    let deleted = diesel::delete(
        reviews::table.filter(reviews::id.eq(id).and(reviews::product_id.eq(product_id))),
    )
    .execute(conn)
    .await?;
    Ok(deleted > 0)
}
