//! The promotions API: the public list and staff editing, and which products a
//! promotion covers. `Product.promotions` is the catalogue's.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject};
use rust_decimal::Decimal;
use storefront_macros::paged;

use super::model::{PromotionChanges, PromotionRow};
use super::repo;
use crate::auth::guards::CatalogWrite;
use crate::db::pagination::read_page;
use crate::error::{AppResult, FieldErrors, OrNotFound};
use crate::graphql::context::ContextExt;
use crate::graphql::pagination::{Connection, Counter, ID_ASC, PageArgs, PageRequest};
use crate::graphql::scalars::Money;
use crate::validation::{self, Mode, Validate};

/// A promotion: `discount` percent off (0 < discount <= 100, an exact decimal).
#[derive(SimpleObject, Debug, Clone)]
pub struct Promotion {
    pub id: i64,
    pub description: String,
    pub discount: Money,
}

impl From<PromotionRow> for Promotion {
    fn from(row: PromotionRow) -> Self {
        Self { id: row.id, description: row.description, discount: Money(row.discount) }
    }
}

/// A promotion's fields: every one for a create or an update.
#[derive(InputObject, Default)]
pub struct PromotionInput {
    /// At most 255 characters, not blank.
    pub description: MaybeUndefined<String>,
    /// A percentage: more than 0, at most 100, two decimal places at most.
    pub discount: MaybeUndefined<Money>,
}

impl Validate for PromotionInput {
    type Changes = PromotionChanges;

    fn validate(self, mode: Mode, e: &mut FieldErrors) -> PromotionChanges {
        let description = validation::text(e, "description", self.description, mode, 255);
        let discount = validation::present(e, "discount", self.discount, mode)
            .and_then(|v| validation::decimal_field(e, "discount", v.0, 5, 2, None))
            .and_then(|v| {
                if v <= Decimal::ZERO {
                    e.add("discount", "Ensure this value is greater than 0.");
                    None
                } else if v > Decimal::ONE_HUNDRED {
                    e.add("discount", "Ensure this value is less than or equal to 100.");
                    None
                } else {
                    Some(v)
                }
            });
        PromotionChanges { description, discount }
    }
}

validation::editable_by_id!(PromotionRow, PromotionChanges, repo::find, repo::update);

#[derive(Default)]
pub struct PromotionsQuery;

#[paged]
#[Object]
impl PromotionsQuery {
    /// Promotions by id, as a Relay connection.
    async fn promotions(
        &self, ctx: &Context<'_>, page: PageArgs,
    ) -> AppResult<Connection<Promotion>> {
        let page = PageRequest::new(page, ID_ASC)?;
        let mut conn = ctx.conn().await?;
        let rows = read_page(&mut conn, &repo::ALL_PROMOTIONS, &page).await?;
        let counter = Counter::new(|mut conn| async move { repo::count(&mut conn).await });
        let node = |row: repo::PromotionPageRow| Promotion::from(PromotionRow::from(row));
        Ok(Connection::from_keyset(rows, &page, ID_ASC, node, counter))
    }

    async fn promotion(&self, ctx: &Context<'_>, id: i64) -> AppResult<Promotion> {
        let mut conn = ctx.conn().await?;
        Ok(repo::find(&mut conn, id).await.or_not_found()?.into())
    }
}

#[derive(Default)]
pub struct PromotionsMutation;

#[Object]
impl PromotionsMutation {
    /// A new promotion (staff only).
    #[graphql(guard = "CatalogWrite")]
    async fn create_promotion(
        &self, ctx: &Context<'_>, input: PromotionInput,
    ) -> AppResult<Promotion> {
        let mut conn = ctx.conn().await?;
        let changes = validation::validated::<PromotionRow>(&mut conn, input, Mode::Create).await?;
        Ok(repo::insert(&mut conn, &changes).await?.into())
    }

    /// Replaces a promotion's fields (staff only).
    #[graphql(guard = "CatalogWrite")]
    async fn update_promotion(
        &self, ctx: &Context<'_>, id: i64, input: PromotionInput,
    ) -> AppResult<Promotion> {
        let mut conn = ctx.conn().await?;
        let row: PromotionRow =
            validation::update(&mut conn, id, input, Mode::Replace, validation::anyone).await?;
        Ok(row.into())
    }

    /// Deletes a promotion; its products stay (staff only). `NOT_FOUND` when there is
    /// none.
    #[graphql(guard = "CatalogWrite")]
    async fn delete_promotion(&self, ctx: &Context<'_>, id: i64) -> AppResult<bool> {
        let mut conn = ctx.conn().await?;
        Ok(repo::delete(&mut conn, id).await?.then_some(true)).or_not_found()
    }

    /// Puts products on a promotion (those already on it stay; staff only). An id that
    /// is not a product is `BAD_USER_INPUT` on `productIds`, and nothing changes.
    #[graphql(guard = "CatalogWrite")]
    async fn add_products_to_promotion(
        &self, ctx: &Context<'_>, promotion_id: i64, product_ids: Vec<i64>,
    ) -> AppResult<Promotion> {
        change_products(ctx, promotion_id, &product_ids, true).await
    }

    /// Takes products off a promotion (ids not on it are ignored; staff only).
    #[graphql(guard = "CatalogWrite")]
    async fn remove_products_from_promotion(
        &self, ctx: &Context<'_>, promotion_id: i64, product_ids: Vec<i64>,
    ) -> AppResult<Promotion> {
        change_products(ctx, promotion_id, &product_ids, false).await
    }
}

/// Puts products on the promotion (`add`) or takes them off; the promotion, or
/// `NOT_FOUND`.
async fn change_products(
    ctx: &Context<'_>, promotion_id: i64, product_ids: &[i64], add: bool,
) -> AppResult<Promotion> {
    let mut conn = ctx.conn().await?;
    let promotion = repo::find(&mut conn, promotion_id).await.or_not_found()?;
    if add {
        repo::add_products(&mut conn, promotion_id, product_ids).await?;
    } else {
        repo::remove_products(&mut conn, promotion_id, product_ids).await?;
    }
    Ok(promotion.into())
}
