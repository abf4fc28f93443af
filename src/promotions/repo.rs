//! Promotions in SQL.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::model::{PromotionChanges, PromotionRow};
use crate::db::pagination::{IdRow, WholeTable};
use crate::db::schema::{product_promotions, promotions};
use crate::error::{AppError, AppResult};

crate::db::rows::by_id!(promotions => PromotionRow: find);
crate::db::rows::insert!(promotions => PromotionRow: insert(PromotionChanges));
crate::db::rows::update!(promotions => PromotionRow: update(PromotionChanges));

/// Deletes a promotion (its product links go with it); whether it existed.
pub async fn delete(conn: &mut AsyncPgConnection, id: i64) -> AppResult<bool> {
    Ok(diesel::delete(promotions::table.find(id)).execute(conn).await? > 0)
}

/// Links `product_ids` to the promotion (links that exist stay as they are), in one
/// transaction; `BAD_USER_INPUT` on `productIds` for ids that are not products.
pub async fn add_products(
    conn: &mut AsyncPgConnection, promotion_id: i64, product_ids: &[i64],
) -> AppResult<()> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let missing = crate::catalog::repo::missing_products(&mut *conn, product_ids).await?;
        if let Some(id) = <[i64]>::first(&missing) {
            return Err(AppError::bad_input(
                "productIds",
                format!("Invalid pk \"{id}\" - object does not exist."),
            ));
        }
        let rows: Vec<_> = product_ids
            .iter()
            .map(|product| {
                (
                    product_promotions::product_id.eq(*product),
                    product_promotions::promotion_id.eq(promotion_id),
                )
            })
            .collect();
        diesel::insert_into(product_promotions::table)
            .values(rows)
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        Ok(())
    })
    .await
}

/// Unlinks `product_ids` from the promotion (ids not linked are ignored).
pub async fn remove_products(
    conn: &mut AsyncPgConnection, promotion_id: i64, product_ids: &[i64],
) -> AppResult<()> {
    diesel::delete(
        product_promotions::table
            .filter(product_promotions::promotion_id.eq(promotion_id))
            .filter(product_promotions::product_id.eq_any(product_ids)),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The promotions of each of `product_ids`, by id.
pub async fn of_products(
    conn: &mut AsyncPgConnection, product_ids: &[i64],
) -> AppResult<Vec<(i64, PromotionRow)>> {
    Ok(product_promotions::table
        .inner_join(promotions::table)
        .filter(product_promotions::product_id.eq_any(product_ids))
        .order(promotions::id.asc())
        .select((product_promotions::product_id, PromotionRow::as_select()))
        .load(conn)
        .await?)
}

/// Every promotion, by id.
pub const ALL_PROMOTIONS: WholeTable<PromotionPageRow> =
    WholeTable::new("promotions", "id, description, discount", false);

impl IdRow for PromotionPageRow {
    fn id(&self) -> i64 {
        self.id
    }
}

/// A promotion as a page reads it.
#[derive(diesel::QueryableByName, Debug, Clone)]
pub struct PromotionPageRow {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub id: i64,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub description: String,
    #[diesel(sql_type = diesel::sql_types::Numeric)]
    pub discount: rust_decimal::Decimal,
}

impl From<PromotionPageRow> for PromotionRow {
    fn from(row: PromotionPageRow) -> Self {
        Self { id: row.id, description: row.description, discount: row.discount }
    }
}

pub async fn count(conn: &mut AsyncPgConnection) -> AppResult<i64> {
    Ok(promotions::table.count().get_result(conn).await?)
}
