//! `Order.invoice`.

use async_graphql::{Context, SimpleObject};
use chrono::{DateTime, Utc};

use super::loaders::InvoiceByOrderId;
use super::model::Invoicing;
use crate::error::AppResult;
use crate::graphql::context::ContextExt;

/// An order's invoice, issued when the order is placed.
#[derive(Debug, Clone, SimpleObject)]
pub struct Invoice {
    /// Gap-free per calendar year in UTC: `2026-000123`.
    pub number: String,
    pub issued_at: DateTime<Utc>,
    /// The PDF: `GET` it with the order owner's (or a staff member's) bearer token.
    pub url: String,
}

/// The invoice of order `order_id` (batched).
pub async fn of_order(ctx: &Context<'_>, order_id: i64) -> AppResult<Option<Invoice>> {
    let Some(row) = ctx.loader::<InvoiceByOrderId>()?.load_one(order_id).await? else {
        return Ok(None);
    };
    let url = ctx.shared::<Invoicing>()?.url(&row.number);
    Ok(Some(Invoice { number: row.number, issued_at: row.issued_at, url }))
}
