//! Order queries, including checkout.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::events::{self, OrderEvent, OrderEventKind};
use super::model::{NewOrderItem, OrderItemRow, OrderRow};
use crate::audit::model::Actor;
use crate::audit::repo as audit;
use crate::carts::model::{CartItemRow, CartRow};
use crate::db::schema::{cart_items, carts, customers, order_items, orders, products};
use crate::db::sql::{Bind, Sql};
use crate::error::{AppError, AppResult};
use crate::graphql::pagination::{Direction, PageRequest};

pub const NO_CART: &str = "No cart with the given ID was found.";
pub const EMPTY_CART: &str = "The cart is empty.";

fn no_cart() -> AppError {
    AppError::bad_input("cartId", NO_CART)
}

/// Places an order for `user_id`'s customer from a cart, in one transaction: the cart row
/// is locked and re-checked (a cart is ordered once, D-5), stock is taken line by line
/// with a guarded decrement (any shortfall fails the whole order), the items keep the
/// current prices, the cart is deleted, and the `order_created` notification is queued
/// (PostgreSQL delivers it only if the transaction commits).
pub async fn place_order(
    conn: &mut AsyncPgConnection,
    cart_id: Uuid,
    user_id: i64,
) -> AppResult<OrderRow> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let cart: Option<CartRow> = carts::table
            .find(cart_id)
            .select(CartRow::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?;
        if !cart.is_some_and(|c| c.visible_to(Some(user_id))) {
            return Err(no_cart());
        }
        // Lines in product order, so concurrent checkouts lock products in the same order.
        let lines: Vec<CartItemRow> = cart_items::table
            .filter(cart_items::cart_id.eq(cart_id))
            .order(cart_items::product_id.asc())
            .select(CartItemRow::as_select())
            .load(conn)
            .await?;
        if lines.is_empty() {
            return Err(AppError::bad_input("cartId", EMPTY_CART));
        }
        let customer_id: i64 = customers::table
            .filter(customers::user_id.eq(user_id))
            .select(customers::id)
            .first(conn)
            .await
            .optional()?
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("user {user_id} has no customer")))?;
        let order: OrderRow = diesel::insert_into(orders::table)
            .values(orders::customer_id.eq(customer_id))
            .returning(OrderRow::as_returning())
            .get_result(conn)
            .await?;
        let mut items = Vec::with_capacity(lines.len());
        for line in &lines {
            let taken: Option<rust_decimal::Decimal> = diesel::update(
                products::table.filter(
                    products::id
                        .eq(line.product_id)
                        .and(products::inventory.ge(i32::from(line.quantity))),
                ),
            )
            .set(products::inventory.eq(products::inventory - i32::from(line.quantity)))
            .returning(products::unit_price)
            .get_result(conn)
            .await
            .optional()?;
            let Some(unit_price) = taken else {
                let left: i32 = products::table
                    .find(line.product_id)
                    .select(products::inventory)
                    .first(conn)
                    .await?;
                return Err(AppError::bad_input(
                    "cartId",
                    format!("Only {} left in stock.", left.max(0)),
                ));
            };
            items.push(NewOrderItem {
                order_id: order.id,
                product_id: line.product_id,
                quantity: line.quantity,
                unit_price,
            });
        }
        diesel::insert_into(order_items::table)
            .values(&items)
            .execute(conn)
            .await?;
        diesel::delete(carts::table.find(cart_id))
            .execute(conn)
            .await?;
        // The confirmation mail commits (or rolls back) with the order.
        crate::jobs::enqueue(
            conn,
            crate::jobs::tasks::SEND_ORDER_CONFIRMATION,
            serde_json::json!({ "order_id": order.id }),
            Some(10),
        )
        .await?;
        events::notify(
            conn,
            &OrderEvent {
                kind: OrderEventKind::Created,
                order_id: order.id,
                user_id,
            },
        )
        .await?;
        Ok(order)
    })
    .await
}

/// Who may see which orders: staff see all, others only their customer's (never creating
/// a customer on the way; no customer → nothing).
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    All,
    User(i64),
}

fn push_scope(sql: &mut Sql, scope: Scope) {
    if let Scope::User(user_id) = scope {
        sql.push(" AND o.customer_id = (SELECT id FROM customers WHERE user_id = ")
            .bind(Bind::BigInt(user_id))
            .push(")");
    }
}

/// Newest first: placed_at, then id, both descending.
pub const ORDER_ORDER: [(&str, bool); 2] = [("o.placed_at", true), ("o.id", true)];

/// A page of orders within `scope` (`limit + 1` rows in reading order).
pub async fn list_orders(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    page: &PageRequest,
    after: Option<Vec<Bind>>,
    before: Option<Vec<Bind>>,
) -> AppResult<Vec<OrderRow>> {
    let mut sql = Sql::default();
    sql.push("SELECT o.id, o.placed_at, o.payment_status, o.customer_id FROM orders o WHERE TRUE");
    push_scope(&mut sql, scope);
    if let Some(values) = after {
        sql.keyset(&ORDER_ORDER, values, true);
    }
    if let Some(values) = before {
        sql.keyset(&ORDER_ORDER, values, false);
    }
    let reverse = page.direction == Direction::Backward;
    let order = if reverse {
        "o.placed_at ASC, o.id ASC"
    } else {
        "o.placed_at DESC, o.id DESC"
    };
    sql.push(&format!(" ORDER BY {order} LIMIT "))
        .bind(Bind::BigInt(page.limit + 1));
    Ok(sql.load(conn).await?)
}

/// Whether orders in `scope` lie on the far side of a cursor.
pub async fn orders_beyond(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    values: Vec<Bind>,
    beyond_after: bool,
) -> AppResult<bool> {
    let mut sql = Sql::default();
    sql.push("SELECT EXISTS (SELECT 1 FROM orders o WHERE TRUE");
    push_scope(&mut sql, scope);
    sql.push(" AND NOT (TRUE");
    sql.keyset(&ORDER_ORDER, values, !beyond_after);
    sql.push(")) AS value");
    Ok(sql.fetch_bool(conn).await?)
}

pub async fn count_orders(conn: &mut AsyncPgConnection, scope: Scope) -> AppResult<i64> {
    let mut sql = Sql::default();
    sql.push("SELECT count(*) AS value FROM orders o WHERE TRUE");
    push_scope(&mut sql, scope);
    Ok(sql.fetch_i64(conn).await?)
}

/// One order within `scope`.
pub async fn find_order(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    id: i64,
) -> AppResult<Option<OrderRow>> {
    let mut sql = Sql::default();
    sql.push(
        "SELECT o.id, o.placed_at, o.payment_status, o.customer_id FROM orders o WHERE o.id = ",
    )
    .bind(Bind::BigInt(id));
    push_scope(&mut sql, scope);
    Ok(sql.get_result(conn).await.optional()?)
}

pub async fn items_by_order_ids(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> AppResult<HashMap<i64, Vec<OrderItemRow>>> {
    let rows: Vec<OrderItemRow> = order_items::table
        .filter(order_items::order_id.eq_any(ids))
        .order(order_items::id.asc())
        .select(OrderItemRow::as_select())
        .load(conn)
        .await?;
    Ok(crate::graphql::loaders::group_by_key(ids, rows, |r| {
        r.order_id
    }))
}

/// Sets the payment status and notifies the order's owner. `None` when missing.
pub async fn update_payment_status(
    conn: &mut AsyncPgConnection,
    id: i64,
    status: &str,
    actor: &Actor,
) -> AppResult<Option<OrderRow>> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let order: Option<OrderRow> = diesel::update(orders::table.find(id))
            .set(orders::payment_status.eq(status))
            .returning(OrderRow::as_returning())
            .get_result(conn)
            .await
            .optional()?;
        if let Some(order) = &order {
            let user_id: i64 = customers::table
                .find(order.customer_id)
                .select(customers::user_id)
                .first(conn)
                .await?;
            let event = OrderEvent {
                kind: OrderEventKind::Updated,
                order_id: order.id,
                user_id,
            };
            events::notify(conn, &event).await?;
            audit::record(conn, actor, "update_order", "order", order.id).await?;
        }
        Ok(order)
    })
    .await
}

/// Deletes an order and its items in one transaction (D-8). `false` when missing.
pub async fn delete_order(conn: &mut AsyncPgConnection, id: i64, actor: &Actor) -> AppResult<bool> {
    conn.transaction::<_, AppError, _>(async |conn| {
        diesel::delete(order_items::table.filter(order_items::order_id.eq(id)))
            .execute(conn)
            .await?;
        let deleted = diesel::delete(orders::table.find(id)).execute(conn).await? > 0;
        if deleted {
            audit::record(conn, actor, "delete_order", "order", id).await?;
        }
        Ok(deleted)
    })
    .await
}

/// Cursor keys of an order row.
pub fn cursor_binds(keys: &[serde_json::Value]) -> Option<Vec<Bind>> {
    match keys {
        [placed_at, id] => Some(vec![
            Bind::Timestamptz(
                chrono::DateTime::parse_from_rfc3339(placed_at.as_str()?)
                    .ok()?
                    .with_timezone(&chrono::Utc),
            ),
            Bind::BigInt(id.as_i64()?),
        ]),
        _ => None,
    }
}
