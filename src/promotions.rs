//! Promotions (the course's `Promotion`): a percentage off, as an exact decimal, shared
//! by many products. Prices and checkout do not apply them (see the README).

pub mod graphql;
pub mod model;
pub mod repo;
