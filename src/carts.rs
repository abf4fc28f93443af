//! Shopping carts for guests and signed-in users, with stock holds.

pub mod graphql;
pub mod loaders;
pub mod model;
pub mod repo;
