//! Test data inserted through the crate's repo functions (not through GraphQL).

use std::str::FromStr;

use chrono::Utc;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use storefront::auth::Auth;
use storefront::auth::model::{NewUser, UserRow};
use storefront::auth::repo as auth_repo;
use storefront::catalog::model::{
    CollectionRow, NewCollection, NewProduct, NewReview, ProductRow, ReviewRow,
};
use storefront::catalog::repo;

use crate::common::Kind;

pub async fn collection(conn: &mut AsyncPgConnection, title: &str) -> CollectionRow {
    repo::insert_collection(
        conn,
        &NewCollection { title: title.to_owned(), featured_product_id: None },
    )
    .await
    .expect("collection")
}

/// One product with the defaults, in a new collection "C".
pub async fn lone_product(conn: &mut AsyncPgConnection) -> ProductRow {
    let c = collection(conn, "C").await;
    product(c.id).insert(conn).await
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
        repo::insert_product(conn, &self.product).await.expect("product")
    }
}

pub async fn review(conn: &mut AsyncPgConnection, product_id: i64, name: &str) -> ReviewRow {
    repo::insert_review(
        conn,
        &NewReview {
            product_id,
            name: name.to_owned(),
            description: format!("{name} liked it."),
            user_id: None,
        },
    )
    .await
    .expect("review")
}

/// A user with its customer, created through the repo.
pub async fn user(
    conn: &mut AsyncPgConnection, auth: &Auth, username: &str, kind: Kind,
) -> UserRow {
    let new = NewUser {
        password: auth.passwords.hash("a-strong-pass-9").await.unwrap(),
        username: username.to_owned(),
        first_name: String::new(),
        last_name: String::new(),
        email: format!("{username}@example.com"),
        is_staff: matches!(kind, Kind::Staff | Kind::Superuser),
        is_superuser: matches!(kind, Kind::Superuser | Kind::SuperuserNotStaff),
    };
    let user = auth_repo::create_user(conn, &new).await.expect("user");
    if kind == Kind::Inactive {
        auth_repo::set_active(conn, user.id, false).await.unwrap();
    }
    user
}

/// The customer id of `user_id`.
pub async fn customer_of(conn: &mut AsyncPgConnection, user_id: i64) -> i64 {
    storefront::customers::repo::find_by_user(conn, user_id)
        .await
        .ok()
        .flatten()
        .map(|c| c.id)
        .unwrap_or_else(|| panic!("user {user_id} has no customer"))
}

/// An order of `customer_id` with one line for `product_id`, written directly: no cart,
/// no stock taken, no mail queued.
pub async fn order_for(conn: &mut AsyncPgConnection, customer_id: i64, product_id: i64) {
    diesel::sql_query(
        "WITH o AS (INSERT INTO orders (customer_id) VALUES ($1) RETURNING id) \
         INSERT INTO order_items (order_id, product_id, quantity, unit_price) \
         SELECT o.id, $2, 1, 9.99 FROM o",
    )
    .bind::<diesel::sql_types::BigInt, _>(customer_id)
    .bind::<diesel::sql_types::BigInt, _>(product_id)
    .execute(conn)
    .await
    .expect("order item");
}

/// An order with one line for `product_id`, placed by a new customer.
pub async fn order_item(conn: &mut AsyncPgConnection, auth: &Auth, product_id: i64) {
    let name = format!("buyer{}", uuid::Uuid::new_v4().simple());
    let buyer = user(conn, auth, &name, Kind::Customer).await;
    let customer = customer_of(conn, buyer.id).await;
    order_for(conn, customer, product_id).await;
}

/// One collection "C" with products of `(title, price, inventory)`; their ids in order.
pub async fn catalogue(conn: &mut AsyncPgConnection, specs: &[(&str, &str, i32)]) -> Vec<i64> {
    let c = collection(conn, "C").await;
    let mut ids = Vec::new();
    for (title, price, inventory) in specs {
        ids.push(
            product(c.id).title(title).price(price).inventory(*inventory).insert(conn).await.id,
        );
    }
    ids
}
