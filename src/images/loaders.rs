//! DataLoaders of product images.

use super::model::ProductImageRow;
use super::repo;
use crate::graphql::loaders::batch_loader;

batch_loader!(
    /// `Product.images` (empty for products without images).
    ImagesByProductId => Vec<ProductImageRow>, repo::for_products, many by product_id
);
