//! The catalogue: collections, products and their reviews.

pub mod graphql;
pub mod loaders;
pub mod model;
pub mod repo;
