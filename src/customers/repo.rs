//! Customer queries.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use serde_json::Value as Json;

use super::model::{CUSTOMER_DELETE_GUARD, CustomerChanges, CustomerRow, NewCustomer};
use crate::auth::model::UserRow;
use crate::db::pagination::KeysetSource;
use crate::db::schema::customers;
use crate::db::sql::{Bind, Sql};
use crate::error::{AppError, AppResult};

crate::db::rows::by_id!(customers => CustomerRow: find_customer, customers_by_ids);

pub async fn find_by_user(
    conn: &mut AsyncPgConnection, user_id: i64,
) -> AppResult<Option<CustomerRow>> {
    let query =
        customers::table.filter(customers::user_id.eq(user_id)).select(CustomerRow::as_select());
    crate::db::first_or_none(conn, query).await
}

/// The list order: the user's first name, last name, then the customer id.
pub const CUSTOMER_ORDER: [(&str, bool); 3] =
    [("u.first_name", false), ("u.last_name", false), ("c.id", false)];

/// The customers staff list, by the user's first name, last name, then id: those whose
/// first or last name starts with `search` (case-insensitive), and who placed at least
/// `min_orders` orders (each filter only when given).
#[derive(Debug, Clone, Default)]
pub struct CustomersWhere {
    pub search: Option<String>,
    pub min_orders: Option<i64>,
}

impl CustomersWhere {
    /// ` AND …` for each filter given.
    fn push_filters(&self, sql: &mut Sql) {
        if let Some(search) = &self.search {
            let prefix = format!("{}%", crate::db::sql::escape_like(search));
            sql.push(" AND (u.first_name ILIKE ")
                .bind(Bind::Text(prefix.clone()))
                .push(" OR u.last_name ILIKE ")
                .bind(Bind::Text(prefix))
                .push(")");
        }
        if let Some(min) = self.min_orders {
            sql.push(" AND (SELECT count(*) FROM orders o WHERE o.customer_id = c.id) >= ")
                .bind(Bind::BigInt(min));
        }
    }
}

impl KeysetSource for CustomersWhere {
    type Row = CustomerPageRow;

    fn columns(&self) -> &str {
        "c.id, c.phone, c.birth_date, c.membership, c.user_id, u.first_name, u.last_name"
    }

    fn order(&self) -> Vec<(&'static str, bool)> {
        CUSTOMER_ORDER.to_vec()
    }

    fn push_source(&self, sql: &mut Sql) {
        sql.push(" FROM customers c JOIN users u ON u.id = c.user_id WHERE TRUE");
        self.push_filters(sql);
    }

    fn binds(&self, keys: &[Json]) -> Option<Vec<Bind>> {
        match keys {
            [first, last, id] => Some(vec![
                Bind::Text(first.as_str()?.to_owned()),
                Bind::Text(last.as_str()?.to_owned()),
                Bind::BigInt(id.as_i64()?),
            ]),
            _ => None,
        }
    }

    fn keys(&self, row: &CustomerPageRow) -> Vec<Json> {
        vec![
            Json::from(row.first_name.as_str()),
            Json::from(row.last_name.as_str()),
            Json::from(row.customer.id),
        ]
    }
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

pub async fn count_customers(
    conn: &mut AsyncPgConnection, filter: &CustomersWhere,
) -> AppResult<i64> {
    let mut sql = Sql::default();
    sql.push(
        "SELECT count(*) AS value FROM customers c JOIN users u ON u.id = c.user_id WHERE TRUE",
    );
    filter.push_filters(&mut sql);
    Ok(sql.fetch_i64(conn).await?)
}

/// What a second customer profile for one user is refused with.
const CUSTOMER_TAKEN: &str = "customer with this user already exists.";

crate::db::rows::insert!(customers => CustomerRow: insert_customer(NewCustomer),
    on "customers_user_id_key" => || AppError::rejected("user", CUSTOMER_TAKEN));

pub async fn update_customer(
    conn: &mut AsyncPgConnection, id: i64, changes: &CustomerChanges,
) -> AppResult<Option<CustomerRow>> {
    if changes.is_empty() {
        return find_customer(conn, id).await;
    }
    let query = diesel::update(customers::table.find(id))
        .set(changes)
        .returning(CustomerRow::as_returning());
    crate::db::one_or_none(conn, query).await
}

crate::db::rows::guarded_delete!(customers: delete_customer,
    restricted by "orders_customer_id_fkey" => CUSTOMER_DELETE_GUARD);

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

/// What a customer bought: orders, money spent, and the latest order.
#[derive(diesel::QueryableByName, Debug, Clone, PartialEq)]
pub struct CustomerStats {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub orders_count: i64,
    #[diesel(sql_type = diesel::sql_types::Numeric)]
    pub total_spent: rust_decimal::Decimal,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    pub last_order_id: Option<i64>,
}

/// The stats of each of `ids`, in one statement (zero for customers without orders).
pub async fn stats(conn: &mut AsyncPgConnection, ids: &[i64]) -> AppResult<Vec<CustomerStats>> {
    Ok(diesel::sql_query(
        "SELECT c.id, count(DISTINCT o.id) AS orders_count, \
                coalesce(sum(oi.quantity * oi.unit_price), 0) AS total_spent, \
                (array_agg(o.id ORDER BY o.placed_at DESC, o.id DESC) \
                   FILTER (WHERE o.id IS NOT NULL))[1] AS last_order_id \
         FROM unnest($1::bigint[]) AS c(id) \
         LEFT JOIN orders o ON o.customer_id = c.id \
         LEFT JOIN order_items oi ON oi.order_id = o.id \
         GROUP BY c.id",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::BigInt>, _>(ids)
    .load(conn)
    .await?)
}

/// Up to `limit` active users with a customer profile whose id is above `after`, by id (a
/// mailing's batches).
pub async fn active_users_after(
    conn: &mut AsyncPgConnection, after: i64, limit: i64,
) -> AppResult<Vec<UserRow>> {
    use crate::db::schema::users;
    let query = users::table.inner_join(customers::table);
    let query = query.filter(users::id.gt(after).and(users::is_active.eq(true)));
    Ok(query.order(users::id.asc()).limit(limit).select(UserRow::as_select()).load(conn).await?)
}
