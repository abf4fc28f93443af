//! Promotion rows.

use diesel::prelude::*;
use rust_decimal::Decimal;

use crate::db::schema::promotions;

#[derive(Queryable, Selectable, Debug, Clone, PartialEq)]
#[diesel(table_name = promotions)]
pub struct PromotionRow {
    pub id: i64,
    pub description: String,
    pub discount: Decimal,
}

/// The columns a create or an update writes (`None`: left as it is).
#[derive(AsChangeset, Insertable, Debug, Clone, Default)]
#[diesel(table_name = promotions)]
pub struct PromotionChanges {
    pub description: Option<String>,
    pub discount: Option<Decimal>,
}
