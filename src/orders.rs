//! Orders: atomic checkout of a cart, scoped reads, staff updates, and order events.

pub mod events;
pub mod graphql;
pub mod loaders;
pub mod model;
pub mod repo;
