//! Order rows.

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;

use crate::db::schema::{order_items, orders};

#[derive(Debug, Clone, PartialEq, Queryable, QueryableByName, Selectable, Identifiable)]
#[diesel(table_name = orders, check_for_backend(diesel::pg::Pg))]
pub struct OrderRow {
    pub id: i64,
    pub placed_at: DateTime<Utc>,
    /// `P`, `C` or `F`.
    pub payment_status: String,
    pub customer_id: i64,
}

/// One line of an order, with the price paid.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = order_items, check_for_backend(diesel::pg::Pg))]
#[graphql(name = "OrderItem", complex)]
pub struct OrderItemRow {
    pub id: i64,
    #[graphql(skip)]
    pub order_id: i64,
    pub product_id: i64,
    pub quantity: i16,
    /// The product's price when the order was placed (`unitPrice` as `Money`).
    #[graphql(skip)]
    pub unit_price: Decimal,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = order_items)]
pub struct NewOrderItem {
    pub order_id: i64,
    pub product_id: i64,
    pub quantity: i16,
    pub unit_price: Decimal,
}
