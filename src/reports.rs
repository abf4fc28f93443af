//! Reports for staff: the ORM chapter's aggregates, each one SQL statement with exact
//! decimals.

pub mod graphql;
pub mod repo;
