//! DataLoaders of the customer domain.

use super::model::CustomerRow;
use super::repo;
use crate::graphql::loaders::batch_loader;

batch_loader!(
    /// `Order.customer` and other links to customers.
    CustomerById => CustomerRow, repo::customers_by_ids, one by id
);

batch_loader!(
    /// `Customer.ordersCount`, `totalSpent`, `lastOrderId`.
    CustomerStatsById => repo::CustomerStats, repo::stats, one by id
);
