//! Cart queries. A cart's lines hold their quantities while `carts.held_until` is in the
//! future, and every write to a cart renews it (what that means for stock is in
//! `inventory`). Writes that raise a line lock the product row first (through
//! `inventory::lock_available_for`), so two carts racing for the last units are served
//! one after the other.

use std::time::Duration;

use diesel::prelude::*;

use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::model::{CartItemRow, CartRow, Hold, MAX_QUANTITY};
use crate::db::schema::{cart_items, carts};
use crate::db::sql::{Bind, Sql};
use crate::error::{AppError, AppResult};

pub const NO_PRODUCT: &str = "No product with the given ID was found.";

fn hold_interval(hold: Duration) -> String {
    format!("{} milliseconds", hold.as_millis())
}

/// A line over the per-line hold limit.
fn over_line_limit(max: i32) -> AppError {
    AppError::rejected("quantity", format!("Ensure this value is less than or equal to {max}."))
}

fn too_many() -> AppError {
    AppError::rejected(
        "quantity",
        format!("Ensure this value is less than or equal to {MAX_QUANTITY}."),
    )
}

fn only_left(available: i64) -> AppError {
    AppError::rejected("quantity", format!("Only {} left in stock.", available.max(0)))
}

/// A new cart; for a signed-in user, their open cart if they already have one.
pub async fn create_cart(conn: &mut AsyncPgConnection, user_id: Option<i64>) -> AppResult<CartRow> {
    if let Some(user_id) = user_id
        && let Some(existing) = find_user_cart(conn, user_id).await?
    {
        return Ok(existing);
    }
    let inserted: Option<CartRow> = diesel::insert_into(carts::table)
        .values((carts::id.eq(Uuid::new_v4()), carts::user_id.eq(user_id)))
        .on_conflict_do_nothing()
        .returning(CartRow::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    match (inserted, user_id) {
        (Some(cart), _) => Ok(cart),
        // Another request created the user's cart at the same moment.
        (None, Some(user_id)) => find_user_cart(conn, user_id)
            .await?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("user cart vanished"))),
        (None, None) => Err(AppError::internal(anyhow::anyhow!("cart id collision"))),
    }
}

pub async fn find_cart(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<Option<CartRow>> {
    let query = carts::table.find(id).select(CartRow::as_select());
    crate::db::first_or_none(conn, query).await
}

pub async fn find_user_cart(
    conn: &mut AsyncPgConnection, user_id: i64,
) -> AppResult<Option<CartRow>> {
    let query = carts::table.filter(carts::user_id.eq(user_id)).select(CartRow::as_select());
    crate::db::first_or_none(conn, query).await
}

pub async fn delete_cart(conn: &mut AsyncPgConnection, id: Uuid) -> AppResult<bool> {
    Ok(diesel::delete(carts::table.find(id)).execute(conn).await? > 0)
}

/// Locks a cart for checkout (the same row lock `claim` takes) and returns its lines in
/// product order, so concurrent checkouts lock products in the same order. `None` when
/// the cart does not exist or is not `user_id`'s to order.
pub async fn lock_for_checkout(
    conn: &mut AsyncPgConnection, cart_id: Uuid, user_id: i64,
) -> AppResult<Option<Vec<CartItemRow>>> {
    if lock_cart(conn, cart_id).await?.is_none_or(|cart| !cart.visible_to(Some(user_id))) {
        return Ok(None);
    }
    Ok(Some(
        cart_items::table
            .filter(cart_items::cart_id.eq(cart_id))
            .order(cart_items::product_id.asc())
            .select(CartItemRow::as_select())
            .load(conn)
            .await?,
    ))
}

/// `SELECT … FOR UPDATE` of one cart (inside the caller's transaction).
async fn lock_cart(conn: &mut AsyncPgConnection, cart_id: Uuid) -> AppResult<Option<CartRow>> {
    let query = carts::table.find(cart_id).select(CartRow::as_select()).for_update();
    crate::db::first_or_none(conn, query).await
}

/// Lines of one cart, oldest first.
pub async fn items_of(conn: &mut AsyncPgConnection, cart_id: Uuid) -> AppResult<Vec<CartItemRow>> {
    Ok(cart_items::table
        .filter(cart_items::cart_id.eq(cart_id))
        .order(cart_items::id.asc())
        .select(CartItemRow::as_select())
        .load(conn)
        .await?)
}

pub async fn find_item(
    conn: &mut AsyncPgConnection, cart_id: Uuid, id: i64,
) -> AppResult<Option<CartItemRow>> {
    let query = cart_items::table
        .filter(cart_items::id.eq(id).and(cart_items::cart_id.eq(cart_id)))
        .select(CartItemRow::as_select());
    crate::db::first_or_none(conn, query).await
}

/// Renews the cart's holds (and its last-change time).
async fn touch(conn: &mut AsyncPgConnection, cart_id: Uuid, hold: Hold) -> AppResult<()> {
    let mut sql = Sql::default();
    sql.push("UPDATE carts SET updated_at = now(), held_until = now() + ")
        .bind(Bind::Text(hold_interval(hold.duration)))
        .push("::interval WHERE id = ")
        .bind(Bind::Uuid(cart_id));
    sql.execute(conn).await?;
    Ok(())
}

/// Adds `quantity` of a product to a cart, merging into its line with one upsert.
pub async fn add_item(
    conn: &mut AsyncPgConnection, cart_id: Uuid, product_id: i64, quantity: i32, hold: Hold,
) -> AppResult<CartItemRow> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let available = crate::inventory::lock_available_for(conn, product_id, cart_id)
            .await?
            .ok_or_else(|| AppError::rejected("product", NO_PRODUCT))?;
        let current: i32 = cart_items::table
            .filter(cart_items::cart_id.eq(cart_id).and(cart_items::product_id.eq(product_id)))
            .select(cart_items::quantity)
            .first::<i16>(conn)
            .await
            .optional()?
            .map_or(0, i32::from);
        let total = current + quantity;
        if total > MAX_QUANTITY {
            return Err(too_many());
        }
        if total > hold.max_per_line {
            return Err(over_line_limit(hold.max_per_line));
        }
        if i64::from(total) > available {
            return Err(only_left(available));
        }
        let quantity = i16::try_from(quantity).map_err(|_| too_many())?;
        let item = diesel::insert_into(cart_items::table)
            .values((
                cart_items::cart_id.eq(cart_id),
                cart_items::product_id.eq(product_id),
                cart_items::quantity.eq(quantity),
            ))
            .on_conflict((cart_items::cart_id, cart_items::product_id))
            .do_update()
            .set(cart_items::quantity.eq(cart_items::quantity + quantity))
            .returning(CartItemRow::as_returning())
            .get_result(conn)
            .await?;
        touch(conn, cart_id, hold).await?;
        Ok(item)
    })
    .await
}

/// Sets a line's quantity (checking stock when it grows). `None` when the line is not in
/// the cart.
pub async fn set_quantity(
    conn: &mut AsyncPgConnection, cart_id: Uuid, id: i64, quantity: i32, hold: Hold,
) -> AppResult<Option<CartItemRow>> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let Some(item) = find_item(conn, cart_id, id).await? else {
            return Ok(None);
        };
        if quantity > hold.max_per_line {
            return Err(over_line_limit(hold.max_per_line));
        }
        if quantity > i32::from(item.quantity) {
            let available = crate::inventory::lock_available_for(conn, item.product_id, cart_id)
                .await?
                .unwrap_or(0);
            if i64::from(quantity) > available {
                return Err(only_left(available));
            }
        }
        let quantity = i16::try_from(quantity).map_err(|_| too_many())?;
        let item = diesel::update(cart_items::table.find(id))
            .set(cart_items::quantity.eq(quantity))
            .returning(CartItemRow::as_returning())
            .get_result(conn)
            .await?;
        touch(conn, cart_id, hold).await?;
        Ok(Some(item))
    })
    .await
}

/// The short notes' "decrease": one less, deleting the line at 1. `None` when the line is
/// not in the cart, `Some(None)` when it was deleted.
pub async fn decrement(
    conn: &mut AsyncPgConnection, cart_id: Uuid, id: i64, hold: Hold,
) -> AppResult<Option<Option<CartItemRow>>> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let Some(item) = find_item(conn, cart_id, id).await? else {
            return Ok(None);
        };
        let result = if item.quantity <= 1 {
            diesel::delete(cart_items::table.find(id)).execute(conn).await?;
            None
        } else {
            Some(
                diesel::update(cart_items::table.find(id))
                    .set(cart_items::quantity.eq(cart_items::quantity - 1))
                    .returning(CartItemRow::as_returning())
                    .get_result(conn)
                    .await?,
            )
        };
        touch(conn, cart_id, hold).await?;
        Ok(Some(result))
    })
    .await
}

pub async fn delete_item(
    conn: &mut AsyncPgConnection, cart_id: Uuid, id: i64, hold: Hold,
) -> AppResult<bool> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let deleted = diesel::delete(
            cart_items::table.filter(cart_items::id.eq(id).and(cart_items::cart_id.eq(cart_id))),
        )
        .execute(conn)
        .await?;
        if deleted > 0 {
            touch(conn, cart_id, hold).await?;
        }
        Ok(deleted > 0)
    })
    .await
}

/// Moves the lines of cart `from` into cart `into` (quantities add, up to the per-line
/// hold limit) and deletes `from`.
async fn merge_into(
    conn: &mut AsyncPgConnection, from: Uuid, into: Uuid, hold: Hold,
) -> AppResult<()> {
    let mut merge = Sql::default();
    merge
        .push("INSERT INTO cart_items (cart_id, product_id, quantity) SELECT ")
        .bind(Bind::Uuid(into))
        .push(", product_id, quantity FROM cart_items WHERE cart_id = ")
        .bind(Bind::Uuid(from))
        .push(
            " ON CONFLICT (cart_id, product_id) DO UPDATE \
             SET quantity = least(cart_items.quantity + EXCLUDED.quantity, ",
        )
        .bind(Bind::BigInt(i64::from(hold.max_per_line)))
        .push("::smallint)");
    merge.execute(conn).await.map_err(|error| match error {
        // smallint overflow: a merged line would exceed the maximum.
        diesel::result::Error::DatabaseError(_, ref info)
            if info.message().contains("out of range") =>
        {
            too_many()
        }
        other => AppError::from(other),
    })?;
    diesel::delete(carts::table.find(from)).execute(conn).await?;
    Ok(())
}

/// Attaches a guest cart to `user_id`. When the user already has a cart, the guest cart's
/// lines are merged into it (quantities add) and the guest cart is deleted. One
/// transaction. `None` when the cart does not exist or belongs to someone else.
pub async fn claim(
    conn: &mut AsyncPgConnection, cart_id: Uuid, user_id: i64, hold: Hold,
) -> AppResult<Option<CartRow>> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let cart = lock_cart(conn, cart_id).await?;
        let Some(cart) = cart.filter(|c| c.visible_to(Some(user_id))) else {
            return Ok(None);
        };
        if cart.user_id == Some(user_id) {
            touch(conn, cart.id, hold).await?;
            return find_cart(conn, cart.id).await;
        }
        let own: Option<CartRow> = carts::table
            .filter(carts::user_id.eq(user_id))
            .select(CartRow::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let target = match own {
            None => {
                diesel::update(carts::table.find(cart.id))
                    .set(carts::user_id.eq(user_id))
                    .execute(conn)
                    .await?;
                cart.id
            }
            Some(own) => {
                merge_into(conn, cart.id, own.id, hold).await?;
                own.id
            }
        };
        touch(conn, target, hold).await?;
        find_cart(conn, target).await
    })
    .await
}

/// Deletes carts untouched since `older_than` ago (housekeeping).
pub async fn delete_stale_carts(
    conn: &mut AsyncPgConnection, older_than: Duration,
) -> AppResult<usize> {
    let mut sql = Sql::default();
    sql.push("DELETE FROM carts WHERE updated_at < now() - ")
        .bind(Bind::Text(hold_interval(older_than)))
        .push("::interval");
    Ok(sql.execute(conn).await?)
}
