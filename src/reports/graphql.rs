//! The reports API (staff only). `Product.unitsSold` is the catalogue's.

use async_graphql::{Context, Object, SimpleObject};

use super::repo;
use crate::auth::guards::Staff;
use crate::catalog::graphql::Product;
use crate::error::{AppError, AppResult, OrNotFound};
use crate::graphql::context::ContextExt;
use crate::graphql::scalars::Money;

/// Every order's count, units and revenue.
#[derive(SimpleObject, Debug, Clone)]
pub struct SalesReport {
    pub orders_count: i64,
    pub units_sold: i64,
    pub revenue: Money,
}

/// A product and what it sold.
#[derive(SimpleObject, Clone)]
pub struct TopSeller {
    pub product: Product,
    pub units_sold: i64,
    pub revenue: Money,
}

/// A collection's prices: `min`, `avg` (rounded half-up to cents) and `max` are null for
/// a collection without products.
#[derive(SimpleObject, Debug, Clone)]
pub struct PriceStats {
    pub min: Option<Money>,
    pub avg: Option<Money>,
    pub max: Option<Money>,
    pub count: i64,
}

#[derive(Default)]
pub struct ReportsQuery;

#[Object]
impl ReportsQuery {
    /// Orders, units sold and revenue over every order (staff only).
    #[graphql(guard = "Staff")]
    async fn sales_report(&self, ctx: &Context<'_>) -> AppResult<SalesReport> {
        let mut conn = ctx.conn().await?;
        let sales = repo::sales(&mut conn).await?;
        Ok(SalesReport {
            orders_count: sales.orders_count,
            units_sold: sales.units_sold,
            revenue: Money(sales.revenue),
        })
    }

    /// The products with the most revenue, most first (unsold products are left out;
    /// `limit` 1 to 100; staff only).
    #[graphql(guard = "Staff")]
    async fn top_selling_products(
        &self, ctx: &Context<'_>, #[graphql(default = 5)] limit: i32,
    ) -> AppResult<Vec<TopSeller>> {
        if !(1..=100).contains(&limit) {
            return Err(AppError::bad_input("limit", "Ensure this value is between 1 and 100."));
        }
        let mut conn = ctx.conn().await?;
        let rows = repo::top_selling(&mut conn, i64::from(limit)).await?;
        Ok(rows
            .into_iter()
            .map(|row| TopSeller {
                product: Product(row.product),
                units_sold: row.units_sold,
                revenue: Money(row.revenue),
            })
            .collect())
    }

    /// A collection's lowest, average and highest price, and its number of products
    /// (staff only).
    #[graphql(guard = "Staff")]
    async fn collection_price_stats(
        &self, ctx: &Context<'_>, collection_id: i64,
    ) -> AppResult<PriceStats> {
        let mut conn = ctx.conn().await?;
        let stats = repo::price_stats(&mut conn, collection_id).await.or_not_found()?;
        Ok(PriceStats {
            min: stats.min.map(Money),
            avg: stats.avg.map(Money),
            max: stats.max.map(Money),
            count: stats.count,
        })
    }
}
