//! Customer profiles: one per user, created with the user.

pub mod graphql;
pub mod loaders;
pub mod model;
pub mod repo;
