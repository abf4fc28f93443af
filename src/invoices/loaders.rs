//! DataLoaders of the invoices domain.

use super::model::InvoiceRow;
use super::repo;
use crate::graphql::loaders::batch_loader;

batch_loader!(
    /// `Order.invoice`.
    InvoiceByOrderId => InvoiceRow, repo::by_order_ids, one by order_id
);
