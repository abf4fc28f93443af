//! Customer rows.

use async_graphql::SimpleObject;
use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::customers;

pub const CUSTOMER_DELETE_GUARD: &str =
    "Customer cannot be deleted because it is associated with one or more orders.";

/// A customer profile; names and email live on the user.
#[derive(
    Debug, Clone, PartialEq, Queryable, QueryableByName, Selectable, Identifiable, SimpleObject,
)]
#[diesel(table_name = customers, check_for_backend(diesel::pg::Pg))]
#[graphql(name = "Customer", complex)]
pub struct CustomerRow {
    pub id: i64,
    pub phone: String,
    pub birth_date: Option<NaiveDate>,
    /// `B`, `S` or `G` (`membership` as an enum).
    #[graphql(skip)]
    pub membership: String,
    pub user_id: i64,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = customers)]
pub struct NewCustomer {
    pub user_id: i64,
    pub phone: String,
    pub birth_date: Option<NaiveDate>,
    pub membership: String,
}

/// Columns to set (`None` leaves a column alone; `Some(None)` clears the birth date).
#[derive(Debug, Clone, Default, AsChangeset)]
#[diesel(table_name = customers)]
pub struct CustomerChanges {
    pub phone: Option<String>,
    pub birth_date: Option<Option<NaiveDate>>,
    pub membership: Option<String>,
}

impl CustomerChanges {
    pub fn is_empty(&self) -> bool {
        self.phone.is_none() && self.birth_date.is_none() && self.membership.is_none()
    }
}
