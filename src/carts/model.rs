//! Cart rows.

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::db::schema::{cart_items, carts};

pub const MAX_QUANTITY: i32 = 32_767;

/// How a cart holds stock: for how long after its last change, and at most how many
/// units per line (guest carts hold for a shorter time than signed-in ones).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    pub duration: std::time::Duration,
    pub max_per_line: i32,
}

/// The hold policy of every cart (schema-level data): signed-in carts hold longer than
/// guest carts, which cannot be held to account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HoldPolicy {
    pub signed_in: std::time::Duration,
    pub guest: std::time::Duration,
    pub max_per_line: i32,
}

impl HoldPolicy {
    /// The hold of a cart that is (or is not) owned by a signed-in user.
    pub fn for_cart(&self, owned: bool) -> Hold {
        Hold {
            duration: if owned { self.signed_in } else { self.guest },
            max_per_line: self.max_per_line,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = carts, check_for_backend(diesel::pg::Pg))]
pub struct CartRow {
    pub id: Uuid,
    /// The owner; `None` for a guest cart (usable by anyone holding its id).
    pub user_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub held_until: DateTime<Utc>,
}

impl CartRow {
    /// Guest carts are open to anyone with the id; owned carts only to their owner.
    pub fn visible_to(&self, user_id: Option<i64>) -> bool {
        self.user_id.is_none() || self.user_id == user_id
    }
}

/// One product line of a cart.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable, SimpleObject)]
#[diesel(table_name = cart_items, check_for_backend(diesel::pg::Pg))]
#[graphql(name = "CartItem", complex)]
pub struct CartItemRow {
    pub id: i64,
    #[graphql(skip)]
    pub cart_id: Uuid,
    pub product_id: i64,
    pub quantity: i16,
}
