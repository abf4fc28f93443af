//! Storefront: an e-commerce GraphQL backend (async-graphql, axum, Diesel on PostgreSQL).

pub mod app;
pub mod audit;
pub mod auth;
pub mod carts;
pub mod catalog;
pub mod config;
pub mod customers;
pub mod db;
pub mod email;
pub mod error;
pub mod graphql;
pub mod health;
pub mod http;
pub mod images;
pub mod inventory;
pub mod invoices;
pub mod jobs;
pub mod likes;
pub mod orders;
pub mod promotions;
pub mod reports;
pub mod schema;
pub mod seed;
pub mod server;
pub mod tags;
pub mod tasks;
pub mod telemetry;
pub mod throttle;
pub mod validation;

pub use app::AppState;
pub use http::build_app;
