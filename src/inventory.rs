//! Stock, in one place: a product's inventory, the quantities live carts hold, what is
//! available to a cart, and taking stock for an order.
//!
//! A cart's lines hold their quantities while `carts.held_until` is in the future; what
//! is available is the inventory minus what live carts hold, evaluated in SQL at read time
//! (an expired hold simply stops counting). Taking stock is a guarded decrement
//! (`inventory >= quantity`), so no order ever oversells.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::db::schema::products;
use crate::db::sql::{Bind, Sql};
use crate::error::AppResult;

/// Not enough stock: how many units were left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shortfall {
    pub left: i32,
}

/// Takes `quantity` units of a product for an order (inside the caller's transaction):
/// its current unit price, or the shortfall.
pub async fn take(
    conn: &mut AsyncPgConnection, product_id: i64, quantity: i32,
) -> AppResult<Result<Decimal, Shortfall>> {
    let taken: Option<Decimal> = diesel::update(
        products::table.filter(products::id.eq(product_id).and(products::inventory.ge(quantity))),
    )
    .set(products::inventory.eq(products::inventory - quantity))
    .returning(products::unit_price)
    .get_result(conn)
    .await
    .optional()?;
    if let Some(price) = taken {
        return Ok(Ok(price));
    }
    let left: i32 = products::table
        .find(product_id)
        .select(products::inventory)
        .first(conn)
        .await
        .optional()?
        .unwrap_or(0);
    Ok(Err(Shortfall { left: left.max(0) }))
}

/// Puts `quantity` units of a product back in stock (inside the caller's transaction).
pub async fn give_back(
    conn: &mut AsyncPgConnection, product_id: i64, quantity: i32,
) -> AppResult<()> {
    diesel::update(products::table.find(product_id))
        .set(products::inventory.eq(products::inventory + quantity))
        .execute(conn)
        .await?;
    Ok(())
}

/// Locks `product_id` and returns how many units `cart_id` may hold in total: the
/// inventory minus what other carts hold right now. `None` when the product is gone.
pub async fn lock_available_for(
    conn: &mut AsyncPgConnection, product_id: i64, cart_id: Uuid,
) -> AppResult<Option<i64>> {
    let inventory: Option<i32> = products::table
        .find(product_id)
        .select(products::inventory)
        .for_no_key_update()
        .first(conn)
        .await
        .optional()?;
    let Some(inventory) = inventory else {
        return Ok(None);
    };
    #[derive(QueryableByName)]
    struct Held {
        #[diesel(sql_type = Nullable<BigInt>)]
        held: Option<i64>,
    }
    let mut sql = Sql::default();
    sql.push(
        "SELECT sum(ci.quantity)::bigint AS held FROM cart_items ci \
         JOIN carts c ON c.id = ci.cart_id WHERE c.held_until > now() AND ci.product_id = ",
    )
    .bind(Bind::BigInt(product_id))
    .push(" AND ci.cart_id <> ")
    .bind(Bind::Uuid(cart_id));
    let held: Held = sql.get_result(conn).await?;
    Ok(Some(i64::from(inventory) - held.held.unwrap_or(0)))
}

/// Inventory minus live holds, per product (never below zero).
pub async fn available_inventory(
    conn: &mut AsyncPgConnection, product_ids: &[i64],
) -> AppResult<Vec<(i64, i64)>> {
    #[derive(QueryableByName)]
    struct Available {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = BigInt)]
        available: i64,
    }
    let mut sql = Sql::default();
    sql.push(
        "SELECT p.id, greatest(p.inventory - coalesce((SELECT sum(ci.quantity) FROM cart_items ci \
         JOIN carts c ON c.id = ci.cart_id WHERE ci.product_id = p.id AND c.held_until > now()), 0), 0)::bigint \
         AS available FROM products p WHERE p.id = ANY(",
    )
    .bind(Bind::BigIntArray(product_ids.to_vec()))
    .push(")");
    let rows: Vec<Available> = sql.load(conn).await?;
    Ok(rows.into_iter().map(|r| (r.id, r.available)).collect())
}
