//! Shopping carts for guests and signed-in users, with stock holds (spec part B §3, §4).

pub mod graphql;
pub mod loaders;
pub mod model;
pub mod repo;
