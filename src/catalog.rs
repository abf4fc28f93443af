//! The catalogue: collections, products and their reviews (spec part A §2, §5).

pub mod graphql;
pub mod loaders;
pub mod model;
pub mod repo;
