//! Customer queries.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::model::{CUSTOMER_DELETE_GUARD, CustomerChanges, CustomerRow, NewCustomer};
use crate::db::pagination::{Direction, PageRequest};
use crate::db::schema::customers;
use crate::db::sql::{Bind, Sql};
use crate::error::{AppError, AppResult, ResultExt};

pub async fn find_customer(
    conn: &mut AsyncPgConnection,
    id: i64,
) -> AppResult<Option<CustomerRow>> {
    Ok(customers::table
        .find(id)
        .select(CustomerRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn find_by_user(
    conn: &mut AsyncPgConnection,
    user_id: i64,
) -> AppResult<Option<CustomerRow>> {
    Ok(customers::table
        .filter(customers::user_id.eq(user_id))
        .select(CustomerRow::as_select())
        .first(conn)
        .await
        .optional()?)
}

pub async fn customers_by_ids(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> AppResult<Vec<CustomerRow>> {
    Ok(customers::table
        .filter(customers::id.eq_any(ids))
        .select(CustomerRow::as_select())
        .load(conn)
        .await?)
}

/// The list order: the user's first name, last name, then the customer id.
pub const CUSTOMER_ORDER: [(&str, bool); 3] = [
    ("u.first_name", false),
    ("u.last_name", false),
    ("c.id", false),
];

/// A page of customers with each row's cursor keys (first name, last name).
pub async fn list_customers(
    conn: &mut AsyncPgConnection,
    page: &PageRequest,
    after: Option<Vec<Bind>>,
    before: Option<Vec<Bind>>,
) -> AppResult<Vec<CustomerPageRow>> {
    let mut sql = Sql::default();
    sql.push(
        "SELECT c.id, c.phone, c.birth_date, c.membership, c.user_id, \
         u.first_name, u.last_name FROM customers c JOIN users u ON u.id = c.user_id WHERE TRUE",
    );
    if let Some(values) = after {
        sql.keyset(&CUSTOMER_ORDER, values, true);
    }
    if let Some(values) = before {
        sql.keyset(&CUSTOMER_ORDER, values, false);
    }
    let reverse = page.direction == Direction::Backward;
    let order = CUSTOMER_ORDER
        .iter()
        .map(|(column, _)| format!("{column} {}", if reverse { "DESC" } else { "ASC" }))
        .collect::<Vec<_>>()
        .join(", ");
    sql.push(&format!(" ORDER BY {order} LIMIT "))
        .bind(Bind::BigInt(page.limit + 1));
    Ok(sql.load(conn).await?)
}

/// Whether customers exist before `after` / after `before` (the other side of a page).
pub async fn customers_beyond(
    conn: &mut AsyncPgConnection,
    values: Vec<Bind>,
    beyond_after: bool,
) -> AppResult<bool> {
    let mut sql = Sql::default();
    sql.push(
        "SELECT EXISTS (SELECT 1 FROM customers c JOIN users u ON u.id = c.user_id WHERE NOT (TRUE",
    );
    sql.keyset(&CUSTOMER_ORDER, values, !beyond_after);
    sql.push(")) AS value");
    Ok(sql.fetch_bool(conn).await?)
}

#[derive(Debug, Clone, QueryableByName)]
pub struct CustomerPageRow {
    #[diesel(embed)]
    pub customer: CustomerRow,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub first_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub last_name: String,
}

pub async fn count_customers(conn: &mut AsyncPgConnection) -> AppResult<i64> {
    Ok(customers::table.count().get_result(conn).await?)
}

pub async fn insert_customer(
    conn: &mut AsyncPgConnection,
    new: &NewCustomer,
) -> AppResult<CustomerRow> {
    diesel::insert_into(customers::table)
        .values(new)
        .returning(CustomerRow::as_returning())
        .get_result(conn)
        .await
        .on_constraint("customers_user_id_key", || {
            AppError::rejected("user", "customer with this user already exists.")
        })
}

pub async fn update_customer(
    conn: &mut AsyncPgConnection,
    id: i64,
    changes: &CustomerChanges,
) -> AppResult<Option<CustomerRow>> {
    if changes.is_empty() {
        return find_customer(conn, id).await;
    }
    Ok(diesel::update(customers::table.find(id))
        .set(changes)
        .returning(CustomerRow::as_returning())
        .get_result(conn)
        .await
        .optional()?)
}

/// Deletes a customer unless they have orders, through the RESTRICT foreign key.
/// `false` when missing.
pub async fn delete_customer(conn: &mut AsyncPgConnection, id: i64) -> AppResult<bool> {
    let deleted = diesel::delete(customers::table.find(id))
        .execute(conn)
        .await
        .on_constraint("orders_customer_id_fkey", || {
            AppError::MethodNotAllowed(CUSTOMER_DELETE_GUARD.into())
        })?;
    Ok(deleted > 0)
}

/// Cursor keys of a customer row.
pub fn cursor_binds(keys: &[serde_json::Value]) -> Option<Vec<Bind>> {
    match keys {
        [first, last, id] => Some(vec![
            Bind::Text(first.as_str()?.to_owned()),
            Bind::Text(last.as_str()?.to_owned()),
            Bind::BigInt(id.as_i64()?),
        ]),
        _ => None,
    }
}

/// The id of `user_id`'s customer profile (every user has one, created with the user).
pub async fn id_for_user(conn: &mut AsyncPgConnection, user_id: i64) -> AppResult<i64> {
    customers::table
        .filter(customers::user_id.eq(user_id))
        .select(customers::id)
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("user {user_id} has no customer")))
}
