//! Catalogue queries. Every function takes the caller's connection, so the caller decides
//! about transactions.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::Value as Json;

use super::model::*;
use crate::db::pagination::{Direction, KeysetSource, PageRequest};
use crate::db::schema::{collections, products, reviews};
use crate::db::sql::{Bind, Sql};
use crate::error::{AppError, AppResult};

mod collection_queries;
mod review_queries;

pub use collection_queries::*;
pub use review_queries::*;

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
    /// Only products tagged with this label.
    pub tag: Option<String>,
    /// `Some(true)`: inventory below the low threshold; `Some(false)`: at or above it.
    pub low_inventory: Option<bool>,
    /// Last saved at or after this…
    pub updated_from: Option<DateTime<Utc>>,
    /// …and before this.
    pub updated_before: Option<DateTime<Utc>>,
}

impl ProductFilter {
    /// DRF's `SearchFilter` terms: split on whitespace and commas.
    pub fn split_search(search: &str) -> Vec<String> {
        search.replace('\0', "").replace(',', " ").split_whitespace().map(str::to_owned).collect()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortField {
    Title,
    UnitPrice,
    LastUpdate,
    Inventory,
}

impl SortField {
    fn column(self) -> &'static str {
        match self {
            Self::Title => "p.title",
            Self::UnitPrice => "p.unit_price",
            Self::LastUpdate => "p.last_update",
            Self::Inventory => "p.inventory",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Title => "TITLE",
            Self::UnitPrice => "UNIT_PRICE",
            Self::LastUpdate => "LAST_UPDATE",
            Self::Inventory => "INVENTORY",
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
        Self(vec![SortKey { field: SortField::Title, descending: false }])
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
        if unique.is_empty() { Self::default() } else { Self(unique) }
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
                SortField::LastUpdate => {
                    Json::from(row.last_update.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
                }
                SortField::Inventory => Json::from(row.inventory.to_string()),
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
                SortField::Inventory => Bind::BigInt(text.parse().ok()?),
            });
        }
        binds.push(Bind::BigInt(keys.last()?.as_i64()?));
        Some(binds)
    }

    /// Orderings by at most one key: their statements are worth caching.
    fn is_common(&self) -> bool {
        self.0.len() <= 1
    }

    /// `(column, descending)` for every key including the final `id ASC`.
    fn columns(&self) -> Vec<(&'static str, bool)> {
        let mut columns: Vec<_> = self.0.iter().map(|k| (k.field.column(), k.descending)).collect();
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

/// `AND <filter conditions>`.
fn push_filter(sql: &mut Sql, filter: &ProductFilter) {
    if let Some(id) = filter.collection_id {
        sql.push(" AND p.collection_id = ").bind(Bind::BigInt(id));
    }
    if let Some(price) = filter.unit_price_gt {
        sql.push(" AND p.unit_price > ").bind(Bind::Numeric(price));
    }
    if let Some(price) = filter.unit_price_lt {
        sql.push(" AND p.unit_price < ").bind(Bind::Numeric(price));
    }
    match filter.low_inventory {
        Some(true) => {
            sql.push(&format!(" AND p.inventory < {LOW_INVENTORY_THRESHOLD}"));
        }
        Some(false) => {
            sql.push(&format!(" AND p.inventory >= {LOW_INVENTORY_THRESHOLD}"));
        }
        None => {}
    }
    if let Some(from) = filter.updated_from {
        sql.push(" AND p.last_update >= ").bind(Bind::Timestamptz(from));
    }
    if let Some(before) = filter.updated_before {
        sql.push(" AND p.last_update < ").bind(Bind::Timestamptz(before));
    }
    if let Some(label) = &filter.tag {
        crate::tags::repo::push_tagged_with(sql, super::model::PRODUCT_KIND, "p.id", label);
    }
    if !filter.search_terms.is_empty() {
        let patterns = filter
            .search_terms
            .iter()
            .map(|term| format!("%{}%", crate::db::sql::escape_like(term)))
            .collect();
        // Every pattern must match the title or the description.
        sql.push(" AND NOT EXISTS (SELECT 1 FROM unnest(").bind(Bind::TextArray(patterns)).push(
            ") AS t(pattern) WHERE NOT (p.title ILIKE t.pattern ESCAPE '\\' \
                 OR coalesce(p.description ILIKE t.pattern ESCAPE '\\', false)))",
        );
    }
}

/// The product columns every product statement selects (a macro, so the joined page can
/// extend it with `concat!`).
macro_rules! product_columns {
    () => {
        "p.id, p.title, p.slug, p.description, p.unit_price, p.inventory, p.last_update, \
         p.collection_id"
    };
}

/// The product columns, `p.`-qualified (for statements of other modules too).
pub const PRODUCT_COLUMNS: &str = product_columns!();

/// The products matching a filter, in an ordering: the source of the product
/// connections.
pub struct ProductList<'a> {
    pub filter: &'a ProductFilter,
    pub ordering: &'a ProductOrdering,
}

impl KeysetSource for ProductList<'_> {
    type Row = ProductRow;

    fn columns(&self) -> &str {
        PRODUCT_COLUMNS
    }

    fn order(&self) -> Vec<(&'static str, bool)> {
        self.ordering.columns()
    }

    fn push_source(&self, sql: &mut Sql) {
        sql.push(" FROM products p WHERE TRUE");
        push_filter(sql, self.filter);
    }

    fn binds(&self, keys: &[Json]) -> Option<Vec<Bind>> {
        self.ordering.bind_cursor(keys)
    }

    fn keys(&self, row: &ProductRow) -> Vec<Json> {
        self.ordering.cursor_keys(row)
    }

    fn cached(&self) -> bool {
        self.ordering.is_common()
    }
}

/// A product row read with its collection, for pages that show `collection`: the to-one
/// relation joined into the page's own statement.
#[derive(QueryableByName)]
pub struct ProductWithCollection {
    #[diesel(embed)]
    pub product: ProductRow,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub collection_title: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub collection_featured_product_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub collection_products_count: i64,
}

impl ProductWithCollection {
    pub fn collection(&self) -> CollectionRow {
        CollectionRow {
            id: self.product.collection_id,
            title: self.collection_title.clone(),
            featured_product_id: self.collection_featured_product_id,
            products_count: self.collection_products_count,
        }
    }
}

/// [`ProductList`] with each product's collection joined in.
pub struct ProductsWithCollections<'a>(pub ProductList<'a>);

impl KeysetSource for ProductsWithCollections<'_> {
    type Row = ProductWithCollection;

    fn columns(&self) -> &str {
        concat!(
            product_columns!(),
            ", c.title AS collection_title, \
             c.featured_product_id AS collection_featured_product_id, \
             c.products_count AS collection_products_count"
        )
    }

    fn order(&self) -> Vec<(&'static str, bool)> {
        self.0.order()
    }

    fn push_source(&self, sql: &mut Sql) {
        sql.push(" FROM products p JOIN collections c ON c.id = p.collection_id WHERE TRUE");
        push_filter(sql, self.0.filter);
    }

    fn binds(&self, keys: &[Json]) -> Option<Vec<Bind>> {
        self.0.binds(keys)
    }

    fn keys(&self, row: &ProductWithCollection) -> Vec<Json> {
        self.0.keys(&row.product)
    }

    fn cached(&self) -> bool {
        self.0.cached()
    }
}

/// Number of products matching `filter`.
pub async fn count_products(
    conn: &mut AsyncPgConnection, filter: &ProductFilter,
) -> AppResult<i64> {
    let mut sql = Sql::default();
    sql.push("SELECT count(*) AS value FROM products p WHERE TRUE");
    push_filter(&mut sql, filter);
    Ok(sql.fetch_i64(conn).await?)
}

/// The first (or last) `limit + 1` products of each collection, in one statement.
/// Rows come back grouped by collection, in reading order.
pub async fn first_products_by_collection(
    conn: &mut AsyncPgConnection, collection_ids: &[i64], ordering: &ProductOrdering,
    direction: Direction, limit: i64,
) -> AppResult<Vec<ProductRow>> {
    let mut sql = Sql::default();
    sql.uncached = !ordering.is_common();
    let window = ordering.order_by(direction == Direction::Backward);
    sql.push(&format!(
        "SELECT {} FROM (SELECT {PRODUCT_COLUMNS}, row_number() OVER \
         (PARTITION BY p.collection_id ORDER BY {window}) AS rn \
         FROM products p WHERE p.collection_id = ANY(",
        PRODUCT_COLUMNS.replace("p.", "ranked.")
    ))
    .bind(Bind::BigIntArray(collection_ids.to_vec()))
    .push(")) ranked WHERE rn <= ")
    .bind(Bind::BigInt(limit + 1))
    .push(" ORDER BY collection_id, rn");
    Ok(sql.load(conn).await?)
}

// ---------------------------------------------------------------------------------------
// Products
// ---------------------------------------------------------------------------------------

crate::db::rows::by_id!(products => ProductRow: find_product, products_by_ids, product_exists);
crate::db::rows::insert!(products => ProductRow: insert_product(NewProduct),
    on "products_collection_id_fkey" => collection_gone);
crate::db::rows::update!(products => ProductRow: update_product(ProductChanges),
    on "products_collection_id_fkey" => collection_gone);

fn collection_gone() -> AppError {
    AppError::rejected(
        "collection",
        "The collection was deleted while the product was being saved.",
    )
}

crate::db::rows::guarded_delete!(products: delete_product,
    restricted by "order_items_product_id_fkey" => PRODUCT_DELETE_GUARD);

/// Sets the inventory of the products `ids` to 0 in one statement (unknown ids are
/// ignored); how many were updated. `last_update` is left as it is, as the admin's bulk
/// action leaves it.
pub async fn clear_inventory(conn: &mut AsyncPgConnection, ids: &[i64]) -> AppResult<usize> {
    Ok(diesel::update(products::table.filter(products::id.eq_any(ids)))
        .set(products::inventory.eq(0))
        .execute(conn)
        .await?)
}

/// The ids among `ids` that are not products.
pub async fn missing_products(conn: &mut AsyncPgConnection, ids: &[i64]) -> AppResult<Vec<i64>> {
    let found: Vec<i64> =
        products::table.filter(products::id.eq_any(ids)).select(products::id).load(conn).await?;
    Ok(ids.iter().filter(|id| !found.contains(id)).copied().collect())
}
