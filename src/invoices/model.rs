//! Invoice rows and the document an invoice prints.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;

/// An issued invoice, as `Order.invoice` shows it.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct InvoiceRow {
    pub order_id: i64,
    pub number: String,
    pub issued_at: DateTime<Utc>,
}

/// Who sells: the name and address mail is sent from (`DEFAULT_FROM_EMAIL`).
#[derive(Debug, Clone, PartialEq)]
pub struct Seller {
    pub name: String,
    pub email: String,
}

impl Seller {
    pub fn of(mailbox: &lettre::message::Mailbox) -> Self {
        Self {
            name: mailbox.name.clone().unwrap_or_else(|| "Storefront".to_owned()),
            email: mailbox.email.to_string(),
        }
    }
}

impl Default for Seller {
    fn default() -> Self {
        Self { name: "Storefront".to_owned(), email: "noreply@storefront.example".to_owned() }
    }
}

/// Everything an invoice prints.
#[derive(Debug, Clone)]
pub struct Document {
    pub number: String,
    pub issued_at: DateTime<Utc>,
    pub order_id: i64,
    pub seller_name: String,
    pub seller_email: String,
    pub buyer_name: String,
    pub buyer_email: String,
    pub lines: Vec<Line>,
}

/// One invoiced line, at the price paid.
#[derive(Debug, Clone, Queryable)]
pub struct Line {
    pub title: String,
    pub quantity: i16,
    pub unit_price: Decimal,
}

impl Line {
    pub fn amount(&self) -> Decimal {
        self.unit_price * Decimal::from(self.quantity)
    }
}

/// What invoices need from the configuration: who sells, and where downloads are.
#[derive(Debug, Clone)]
pub struct Invoicing {
    pub seller: Seller,
    /// `PUBLIC_BASE_URL`, without a trailing slash.
    pub public_base_url: String,
}

impl Invoicing {
    /// Where invoice `number`'s PDF is downloaded (with the bearer token).
    pub fn url(&self, number: &str) -> String {
        format!("{}/invoices/{number}.pdf", self.public_base_url)
    }
}
