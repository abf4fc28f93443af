//! Test data inserted through the crate's repo functions (not through GraphQL).

use std::str::FromStr;

use chrono::Utc;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use storefront::catalog::model::{
    CollectionRow, NewCollection, NewProduct, NewReview, ProductRow, ReviewRow,
};
use storefront::catalog::repo;

pub async fn collection(conn: &mut AsyncPgConnection, title: &str) -> CollectionRow {
    repo::insert_collection(
        conn,
        &NewCollection {
            title: title.to_owned(),
            featured_product_id: None,
        },
    )
    .await
    .unwrap_or_else(|e| panic!("collection: {e:?}"))
}

/// A product builder with sensible defaults.
pub struct ProductFactory {
    product: NewProduct,
}

pub fn product(collection_id: i64) -> ProductFactory {
    ProductFactory {
        product: NewProduct {
            title: "Coffee".to_owned(),
            slug: "coffee".to_owned(),
            description: None,
            unit_price: Decimal::new(999, 2),
            inventory: 50,
            collection_id,
            last_update: Utc::now(),
        },
    }
}

impl ProductFactory {
    pub fn title(mut self, title: &str) -> Self {
        self.product.title = title.to_owned();
        self
    }

    pub fn description(mut self, description: Option<&str>) -> Self {
        self.product.description = description.map(str::to_owned);
        self
    }

    pub fn price(mut self, price: &str) -> Self {
        self.product.unit_price =
            Decimal::from_str(price).unwrap_or_else(|e| panic!("price {price}: {e}"));
        self
    }

    pub fn inventory(mut self, inventory: i32) -> Self {
        self.product.inventory = inventory;
        self
    }

    pub fn updated(mut self, at: chrono::DateTime<Utc>) -> Self {
        self.product.last_update = at;
        self
    }

    pub async fn insert(self, conn: &mut AsyncPgConnection) -> ProductRow {
        repo::insert_product(conn, &self.product)
            .await
            .unwrap_or_else(|e| panic!("product: {e:?}"))
    }
}

pub async fn review(conn: &mut AsyncPgConnection, product_id: i64, name: &str) -> ReviewRow {
    repo::insert_review(
        conn,
        &NewReview {
            product_id,
            name: name.to_owned(),
            description: format!("{name} liked it."),
        },
    )
    .await
    .unwrap_or_else(|e| panic!("review: {e:?}"))
}

/// An order with one line for `product_id` (the orders domain has no repo yet).
pub async fn order_item(conn: &mut AsyncPgConnection, product_id: i64) {
    diesel::sql_query(
        "WITH o AS (INSERT INTO orders DEFAULT VALUES RETURNING id) \
         INSERT INTO order_items (order_id, product_id, quantity, unit_price) \
         SELECT o.id, $1, 1, 9.99 FROM o",
    )
    .bind::<diesel::sql_types::BigInt, _>(product_id)
    .execute(conn)
    .await
    .unwrap_or_else(|e| panic!("order item: {e}"));
}
