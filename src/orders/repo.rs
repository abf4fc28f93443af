//! Order queries, including checkout.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::events::{self, OrderEvent, OrderEventKind};
use super::model::{NewOrderItem, OrderItemRow, OrderRow};
use crate::audit::model::Actor;
use crate::audit::repo as audit;
use crate::carts::repo as cart_repo;
use crate::customers::repo as customer_repo;
use crate::invoices::repo as invoices;
use serde_json::Value as Json;

use crate::db::pagination::KeysetSource;
use crate::db::schema::{customers, order_items, orders};
use crate::db::sql::{Bind, Sql};
use crate::error::{AppError, AppResult, OrNotFound};
use crate::{inventory, jobs};

pub const NO_CART: &str = "No cart with the given ID was found.";
pub const EMPTY_CART: &str = "The cart is empty.";

fn no_cart() -> AppError {
    AppError::rejected("cart", NO_CART)
}

/// Places an order for `user_id`'s customer from a cart, as one transaction of domain
/// operations: lock the cart (a cart is ordered once), take each line's stock with a
/// guarded decrement in product order (any shortfall fails the whole order), keep the
/// current prices on the items, delete the cart, issue the invoice's number, and queue the
/// confirmation mail and the `order_created` event, which commit (or roll back) with the
/// order.
pub async fn place_order(
    conn: &mut AsyncPgConnection, cart_id: Uuid, user_id: i64,
) -> AppResult<OrderRow> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let lines =
            cart_repo::lock_for_checkout(conn, cart_id, user_id).await?.ok_or_else(no_cart)?;
        if lines.is_empty() {
            return Err(AppError::rejected("cart", EMPTY_CART));
        }
        let customer_id = customer_repo::id_for_user(conn, user_id).await?;
        let order = insert_order(conn, customer_id).await?;
        let mut items = Vec::with_capacity(lines.len());
        for line in &lines {
            let quantity = i32::from(line.quantity);
            let unit_price =
                inventory::take(conn, line.product_id, quantity).await?.map_err(|short| {
                    AppError::rejected("cart", format!("Only {} left in stock.", short.left))
                })?;
            items.push(NewOrderItem {
                order_id: order.id,
                product_id: line.product_id,
                quantity: line.quantity,
                unit_price,
            });
        }
        insert_items(conn, &items).await?;
        cart_repo::delete_cart(conn, cart_id).await?;
        // Last of the locks taken: the year's invoice counter is held only until commit.
        invoices::issue(conn, order.id).await?;
        jobs::enqueue(
            conn,
            jobs::task::SEND_ORDER_CONFIRMATION,
            serde_json::json!({ "order_id": order.id }),
            Some(10),
        )
        .await?;
        let event = OrderEvent { kind: OrderEventKind::Created, order_id: order.id, user_id };
        events::notify(conn, &event).await?;
        Ok(order)
    })
    .await
}

/// How long a checkout's idempotency key is kept (the nightly clean-up forgets older).
pub const CHECKOUT_KEY_HOURS: i32 = 24;

/// The message for an idempotency key retried with another cart.
pub const KEY_REUSED: &str = "This idempotency key was already used for another cart.";

/// [`place_order`] under the caller's idempotency `key`: a retry with the key (within
/// [`CHECKOUT_KEY_HOURS`]) gets the order the first call made, even when both run at
/// once; the key with another cart is `BAD_USER_INPUT` on `idempotencyKey`.
pub async fn place_order_once(
    conn: &mut AsyncPgConnection, cart_id: Uuid, user_id: i64, key: Uuid,
) -> AppResult<OrderRow> {
    use crate::db::schema::checkout_keys;
    conn.transaction::<_, AppError, _>(async |conn| {
        // Calls with one key run one after the other: a retry waits for the first to commit.
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind::<diesel::sql_types::Text, _>(format!("checkout:{user_id}:{key}"))
            .execute(&mut *conn)
            .await?;
        let earlier: Option<(Uuid, i64)> = checkout_keys::table
            .filter(checkout_keys::user_id.eq(user_id))
            .filter(checkout_keys::key.eq(key))
            .filter(checkout_keys::created_at.gt(checkout_key_cutoff()))
            .select((checkout_keys::cart_id, checkout_keys::order_id))
            .first(&mut *conn)
            .await
            .optional()?;
        if let Some((earlier_cart, order_id)) = earlier {
            if earlier_cart != cart_id {
                return Err(AppError::bad_input("idempotencyKey", KEY_REUSED));
            }
            return find_order(conn, Scope::All, order_id).await.or_not_found();
        }
        let order = place_order(&mut *conn, cart_id, user_id).await?;
        diesel::insert_into(checkout_keys::table)
            .values((
                checkout_keys::user_id.eq(user_id),
                checkout_keys::key.eq(key),
                checkout_keys::cart_id.eq(cart_id),
                checkout_keys::order_id.eq(order.id),
            ))
            .on_conflict((checkout_keys::user_id, checkout_keys::key))
            .do_update()
            .set((
                checkout_keys::cart_id.eq(cart_id),
                checkout_keys::order_id.eq(order.id),
                checkout_keys::created_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        Ok(order)
    })
    .await
}

/// The order `id` with its placing time and its customer's user, while its confirmation is
/// not yet recorded as sent; `None` once it is, or when the order is gone.
pub async fn unconfirmed(
    conn: &mut AsyncPgConnection, id: i64,
) -> AppResult<Option<(i64, chrono::DateTime<chrono::Utc>, i64)>> {
    let query = orders::table
        .inner_join(customers::table)
        .filter(orders::id.eq(id).and(orders::confirmation_sent_at.is_null()))
        .select((orders::id, orders::placed_at, customers::user_id));
    crate::db::first_or_none(conn, query).await
}

/// Records that the order's confirmation was sent.
pub async fn mark_confirmed(conn: &mut AsyncPgConnection, id: i64) -> AppResult<()> {
    let now = orders::confirmation_sent_at.eq(diesel::dsl::now);
    diesel::update(orders::table.find(id)).set(now).execute(conn).await?;
    Ok(())
}

/// Forgets idempotency keys older than [`CHECKOUT_KEY_HOURS`].
pub async fn forget_checkout_keys(conn: &mut AsyncPgConnection) -> AppResult<usize> {
    use crate::db::schema::checkout_keys;
    Ok(diesel::delete(
        checkout_keys::table.filter(checkout_keys::created_at.lt(checkout_key_cutoff())),
    )
    .execute(conn)
    .await?)
}

/// Keys made before this are forgotten.
fn checkout_key_cutoff() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::Duration::hours(i64::from(CHECKOUT_KEY_HOURS))
}

async fn insert_order(conn: &mut AsyncPgConnection, customer_id: i64) -> AppResult<OrderRow> {
    Ok(diesel::insert_into(orders::table)
        .values(orders::customer_id.eq(customer_id))
        .returning(OrderRow::as_returning())
        .get_result(conn)
        .await?)
}

async fn insert_items(conn: &mut AsyncPgConnection, items: &[NewOrderItem]) -> AppResult<()> {
    diesel::insert_into(order_items::table).values(items).execute(conn).await?;
    Ok(())
}

/// Who may see which orders: staff see all, others only their customer's (never creating
/// a customer on the way; no customer → nothing).
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    All,
    User(i64),
    /// One customer's (staff's filter).
    Customer(i64),
}

fn push_scope(sql: &mut Sql, scope: Scope) {
    match scope {
        Scope::All => {}
        Scope::User(user_id) => {
            sql.push(" AND o.customer_id = (SELECT id FROM customers WHERE user_id = ")
                .bind(Bind::BigInt(user_id))
                .push(")");
        }
        Scope::Customer(customer_id) => {
            sql.push(" AND o.customer_id = ").bind(Bind::BigInt(customer_id));
        }
    }
}

/// Newest first: placed_at, then id, both descending.
pub const ORDER_ORDER: [(&str, bool); 2] = [("o.placed_at", true), ("o.id", true)];

/// The orders within a scope, newest first (placed_at, then id).
pub struct OrdersIn(pub Scope);

impl KeysetSource for OrdersIn {
    type Row = OrderRow;

    fn columns(&self) -> &str {
        "o.id, o.placed_at, o.payment_status, o.customer_id"
    }

    fn order(&self) -> Vec<(&'static str, bool)> {
        ORDER_ORDER.to_vec()
    }

    fn push_source(&self, sql: &mut Sql) {
        sql.push(" FROM orders o WHERE TRUE");
        push_scope(sql, self.0);
    }

    fn binds(&self, keys: &[Json]) -> Option<Vec<Bind>> {
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

    fn keys(&self, row: &OrderRow) -> Vec<Json> {
        let placed_at = row.placed_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        vec![Json::from(placed_at), Json::from(row.id)]
    }
}

pub async fn count_orders(conn: &mut AsyncPgConnection, scope: Scope) -> AppResult<i64> {
    let mut sql = Sql::default();
    sql.push("SELECT count(*) AS value FROM orders o WHERE TRUE");
    push_scope(&mut sql, scope);
    Ok(sql.fetch_i64(conn).await?)
}

/// One order within `scope`.
pub async fn find_order(
    conn: &mut AsyncPgConnection, scope: Scope, id: i64,
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
    conn: &mut AsyncPgConnection, ids: &[i64],
) -> AppResult<HashMap<i64, Vec<OrderItemRow>>> {
    let rows: Vec<OrderItemRow> = order_items::table
        .filter(order_items::order_id.eq_any(ids))
        .order(order_items::id.asc())
        .select(OrderItemRow::as_select())
        .load(conn)
        .await?;
    Ok(crate::db::group_by_key(ids, rows, |r| r.order_id))
}

/// Sets the payment status and notifies the order's owner. `None` when missing.
pub async fn update_payment_status(
    conn: &mut AsyncPgConnection, id: i64, status: &str, actor: &Actor,
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
            let event = OrderEvent { kind: OrderEventKind::Updated, order_id: order.id, user_id };
            events::notify(conn, &event).await?;
            audit::record(conn, actor, "update_order", "order", order.id).await?;
        }
        Ok(order)
    })
    .await
}

/// Replaces an order's lines with `lines` (`(product, quantity)`, products distinct), in
/// one transaction: the stock moves by each product's difference (a shortfall refuses
/// the whole change), products already on the order keep the price they were sold at
/// and new ones take today's, and the change is audit-logged. `None` when the order is
/// missing.
pub async fn replace_items(
    conn: &mut AsyncPgConnection, order_id: i64, lines: &[(i64, i16)], actor: &Actor,
) -> AppResult<Option<OrderRow>> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let order: Option<OrderRow> = orders::table
            .find(order_id)
            .for_update()
            .select(OrderRow::as_select())
            .first(&mut *conn)
            .await
            .optional()?;
        let Some(order) = order else {
            return Ok(None);
        };
        let old: Vec<OrderItemRow> = order_items::table
            .filter(order_items::order_id.eq(order_id))
            .select(OrderItemRow::as_select())
            .load(&mut *conn)
            .await?;
        let items = moved_lines(&mut *conn, order_id, &old, lines).await?;
        for gone in old.iter().filter(|i| !lines.iter().any(|(p, _)| *p == i.product_id)) {
            inventory::give_back(&mut *conn, gone.product_id, i32::from(gone.quantity)).await?;
        }
        diesel::delete(order_items::table.filter(order_items::order_id.eq(order_id)))
            .execute(&mut *conn)
            .await?;
        insert_items(&mut *conn, &items).await?;
        audit::record(conn, actor, "update_order_items", "order", order_id).await?;
        Ok(Some(order))
    })
    .await
}

/// The new lines of an order that had `old`: each product's stock moved by its
/// difference, the price it was sold at kept (today's for a new product).
async fn moved_lines(
    conn: &mut AsyncPgConnection, order_id: i64, old: &[OrderItemRow], lines: &[(i64, i16)],
) -> AppResult<Vec<NewOrderItem>> {
    let mut items = Vec::with_capacity(lines.len());
    for (product_id, quantity) in lines {
        let before = old.iter().find(|i| i.product_id == *product_id);
        let delta = i32::from(*quantity) - before.map_or(0, |i| i32::from(i.quantity));
        let today = if delta > 0 {
            inventory::take(conn, *product_id, delta).await?.map_err(|short| {
                AppError::bad_input("items", format!("Only {} left in stock.", short.left))
            })?
        } else {
            if delta < 0 {
                inventory::give_back(conn, *product_id, -delta).await?;
            }
            rust_decimal::Decimal::ZERO
        };
        items.push(NewOrderItem {
            order_id,
            product_id: *product_id,
            quantity: *quantity,
            unit_price: before.map_or(today, |i| i.unit_price),
        });
    }
    Ok(items)
}

/// Deletes an order and its items in one transaction. `false` when missing.
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
