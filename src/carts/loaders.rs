//! DataLoaders of the cart domain.

use crate::graphql::loaders::batch_loader;
use crate::inventory::available_inventory;

batch_loader!(
    /// `Product.availableInventory`: inventory minus live holds.
    AvailableByProductId => i64, available_inventory
);
