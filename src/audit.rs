//! The audit log: who changed privileges, (de)activated users, changed or deleted orders.
//! Entries are written in the same transaction as the change they record, so a refused
//! or rolled-back change leaves none.

pub mod graphql;
pub mod model;
pub mod repo;
