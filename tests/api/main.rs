#![expect(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails loudly on any unexpected error"
)]

//! The database-backed integration tests: one binary, one database per test cloned from a
//! migrated template, every request through the real HTTP router.

mod common;

mod admin_tools;
mod auth;
mod browser;
mod budget;
mod caching;
mod carts;
mod catalog;
mod checkout_retry;
mod collections;
mod customers;
mod drain;
mod http;
pub mod images;
mod invoices;
mod mail;
mod operations;
mod orders;
mod permissions;
mod production;
mod promotions;
mod replicas;
mod reports;
mod reviews;
mod security;
mod seed;
mod shapes;
mod tags;
mod ws;
