//! Customer profiles: one per user, created with the user (spec part B §2.5, §6).

pub mod graphql;
pub mod loaders;
pub mod model;
pub mod repo;
