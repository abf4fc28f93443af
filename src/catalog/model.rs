//! Database rows and write sets of the catalogue (the API types live in `graphql.rs`).

use async_graphql::SimpleObject;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;

use crate::db::schema::{collections, products, reviews};

/// Tax rate applied by `priceWithTax`.
pub const TAX_RATE: Decimal = Decimal::from_parts(10, 0, 0, false, 2);

/// Below this inventory a product is reported `LOW` in the admin (`inventoryStatus`).
pub const LOW_INVENTORY_THRESHOLD: i32 = 10;

/// What tags and likes call a product (`content_types` row `store.product`).
pub const PRODUCT_KIND: crate::tags::model::ContentType =
    crate::tags::model::ContentType { app_label: "store", model: "product" };

pub const PRODUCT_DELETE_GUARD: &str =
    "Product cannot be deleted because it is associated with an order item.";
pub const COLLECTION_DELETE_GUARD: &str =
    "Collection cannot be deleted because it includes one or more products.";

#[derive(Debug, Clone, PartialEq, Queryable, QueryableByName, Selectable, Identifiable)]
#[diesel(table_name = products, check_for_backend(diesel::pg::Pg))]
pub struct ProductRow {
    pub id: i64,
    pub title: String,
    pub slug: String,
    pub description: Option<String>,
    pub unit_price: Decimal,
    pub inventory: i32,
    pub last_update: DateTime<Utc>,
    pub collection_id: i64,
}

impl ProductRow {
    /// `round_half_up(unit_price × 1.1, 2)`.
    pub fn price_with_tax(&self) -> Decimal {
        (self.unit_price * (Decimal::ONE + TAX_RATE))
            .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
    }
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = products)]
pub struct NewProduct {
    pub title: String,
    pub slug: String,
    pub description: Option<String>,
    pub unit_price: Decimal,
    pub inventory: i32,
    pub collection_id: i64,
    pub last_update: DateTime<Utc>,
}

/// The columns a full or partial update sets (`None` leaves a column alone; for the
/// nullable description, `Some(None)` clears it).
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = products)]
pub struct ProductChanges {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub description: Option<Option<String>>,
    pub unit_price: Option<Decimal>,
    pub inventory: Option<i32>,
    pub collection_id: Option<i64>,
    pub last_update: Option<DateTime<Utc>>,
}

impl ProductChanges {
    /// The insert for a create whose required fields were all validated.
    pub fn into_new(self) -> Option<NewProduct> {
        Some(NewProduct {
            title: self.title?,
            slug: self.slug?,
            description: self.description.flatten(),
            unit_price: self.unit_price?,
            inventory: self.inventory?,
            collection_id: self.collection_id?,
            last_update: self.last_update.unwrap_or_else(Utc::now),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, QueryableByName, Selectable, Identifiable)]
#[diesel(table_name = collections, check_for_backend(diesel::pg::Pg))]
pub struct CollectionRow {
    pub id: i64,
    pub title: String,
    pub featured_product_id: Option<i64>,
    /// Kept by the database in the transaction of every product insert, move and delete.
    pub products_count: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = collections)]
pub struct NewCollection {
    pub title: String,
    pub featured_product_id: Option<i64>,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = collections)]
pub struct CollectionChanges {
    pub title: Option<String>,
    pub featured_product_id: Option<Option<i64>>,
}

/// A customer's review of a product.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = reviews, check_for_backend(diesel::pg::Pg))]
#[graphql(name = "Review")]
pub struct ReviewRow {
    pub id: i64,
    pub product_id: i64,
    /// Name of the reviewer.
    pub name: String,
    pub description: String,
    /// The day the review was written (UTC).
    pub date: NaiveDate,
    /// The signed-in author; `None` for a review written anonymously (not in the API).
    #[graphql(skip)]
    pub user_id: Option<i64>,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = reviews)]
pub struct NewReview {
    pub product_id: i64,
    pub name: String,
    pub description: String,
    pub user_id: Option<i64>,
}

#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = reviews)]
pub struct ReviewChanges {
    pub name: Option<String>,
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn price_with_tax_rounds_half_up() {
        let cases = [
            ("999.99", "1099.99"),
            ("8.99", "9.89"),
            ("2.25", "2.48"),
            ("1.05", "1.16"),
            ("10.00", "11.00"),
            ("1.00", "1.10"),
            ("9999.99", "10999.99"),
        ];
        for (price, expected) in cases {
            let row = ProductRow {
                id: 1,
                title: "t".into(),
                slug: "t".into(),
                description: None,
                unit_price: Decimal::from_str(price).unwrap_or_default(),
                inventory: 0,
                last_update: Utc::now(),
                collection_id: 1,
            };
            assert_eq!(row.price_with_tax().to_string(), expected, "{price}");
        }
    }
}
