//! The database-backed integration tests: one binary, one database per test cloned from a
//! migrated template, every request through the real HTTP router.

mod common;

mod auth;
mod catalog;
mod collections;
mod customers;
mod http;
mod permissions;
mod reviews;
mod seed;
