//! The reports' statements.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Nullable, Numeric};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;

use crate::catalog::model::ProductRow;
use crate::error::AppResult;

/// Orders, units and revenue over every order.
#[derive(QueryableByName, Debug, Clone, PartialEq)]
pub struct Sales {
    #[diesel(sql_type = BigInt)]
    pub orders_count: i64,
    #[diesel(sql_type = BigInt)]
    pub units_sold: i64,
    #[diesel(sql_type = Numeric)]
    pub revenue: Decimal,
}

pub async fn sales(conn: &mut AsyncPgConnection) -> AppResult<Sales> {
    Ok(diesel::sql_query(
        "SELECT (SELECT count(*) FROM orders) AS orders_count, \
                coalesce(sum(oi.quantity), 0)::bigint AS units_sold, \
                coalesce(sum(oi.quantity * oi.unit_price), 0) AS revenue \
         FROM order_items oi",
    )
    .get_result(conn)
    .await?)
}

/// A product with what it sold.
#[derive(QueryableByName, Debug, Clone)]
pub struct ProductSales {
    #[diesel(embed)]
    pub product: ProductRow,
    #[diesel(sql_type = BigInt)]
    pub units_sold: i64,
    #[diesel(sql_type = Numeric)]
    pub revenue: Decimal,
}

/// The `limit` products with the most revenue (then the lower id); unsold ones are left
/// out.
pub async fn top_selling(conn: &mut AsyncPgConnection, limit: i64) -> AppResult<Vec<ProductSales>> {
    Ok(diesel::sql_query(format!(
        "SELECT {}, sum(oi.quantity)::bigint AS units_sold, \
                sum(oi.quantity * oi.unit_price) AS revenue \
         FROM order_items oi JOIN products p ON p.id = oi.product_id \
         GROUP BY p.id ORDER BY revenue DESC, p.id LIMIT $1",
        crate::catalog::repo::PRODUCT_COLUMNS
    ))
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?)
}

/// Units sold of each of `product_ids` (0 for those never sold).
pub async fn units_sold(
    conn: &mut AsyncPgConnection, product_ids: &[i64],
) -> AppResult<Vec<(i64, i64)>> {
    #[derive(QueryableByName)]
    struct Sold {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = BigInt)]
        units: i64,
    }
    let rows: Vec<Sold> = diesel::sql_query(
        "SELECT ids.id, coalesce(sum(oi.quantity), 0)::bigint AS units \
         FROM unnest($1::bigint[]) AS ids(id) \
         LEFT JOIN order_items oi ON oi.product_id = ids.id GROUP BY ids.id",
    )
    .bind::<diesel::sql_types::Array<BigInt>, _>(product_ids)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.units)).collect())
}

/// A collection's price statistics; `None` for no such collection.
#[derive(QueryableByName, Debug, Clone, PartialEq)]
pub struct PriceStats {
    #[diesel(sql_type = Nullable<Numeric>)]
    pub min: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub avg: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    pub max: Option<Decimal>,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

/// Min, average (rounded half-up to cents), max and count of a collection's prices.
pub async fn price_stats(
    conn: &mut AsyncPgConnection, collection_id: i64,
) -> AppResult<Option<PriceStats>> {
    let query = diesel::sql_query(
        "SELECT min(p.unit_price) AS min, round(avg(p.unit_price), 2) AS avg, \
                max(p.unit_price) AS max, count(p.id) AS count \
         FROM collections c LEFT JOIN products p ON p.collection_id = c.id \
         WHERE c.id = $1 GROUP BY c.id",
    )
    .bind::<BigInt, _>(collection_id);
    crate::db::one_or_none(conn, query).await
}
