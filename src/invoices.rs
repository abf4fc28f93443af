//! Invoices: one per order, numbered without gaps per UTC year (`2026-000123`) inside the
//! order's transaction, rendered to PDF once (by the confirmation job, or on the first
//! download) and kept unchanged; mailed with the confirmation and downloadable at
//! `GET /invoices/{number}.pdf` by the order's owner and staff.

pub mod graphql;
pub mod http;
pub mod loaders;
pub mod model;
pub mod pdf;
pub mod repo;
