//! DataLoaders of the orders domain.

use super::model::OrderItemRow;
use super::repo;
use crate::graphql::loaders::batch_loader;

batch_loader!(
    /// `Order.items`.
    ItemsByOrderId => Vec<OrderItemRow>, repo::items_by_order_ids
);
