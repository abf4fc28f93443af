//! The catalogue's GraphQL API: products, collections and reviews, their inputs and rules.
//!
//! The API exposes only the fields the API lists, never a whole table: products and
//! collections are types that wrap their rows; a review is its row with the internal
//! columns (the author) skipped.

use crate::auth::ViewerExt;
use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use storefront_macros::paged;

use super::loaders::CollectionPageKey;
use super::loaders::ProductById;
use super::model::*;
use super::repo::{self, ProductFilter, ProductOrdering, ProductPageQuery, SortField, SortKey};
use crate::auth::guards::CatalogWrite;
use crate::error::{AppError, AppResult, FieldErrors, OrNotFound};
use crate::graphql::context::ContextExt;
use crate::graphql::loaders::{LoadRequired, prime};
use crate::graphql::pagination::{self, PageArgs, PageRequest, Window, list_limit};
use crate::graphql::scalars::Money;
use crate::validation::{self, Mode};

mod admin;
mod connection;
mod inputs;
mod public;
mod social;
mod types;

pub use admin::{CatalogAdminMutation, ClearInventoryResult, CollectionOrder, LastUpdateFilter};
pub use connection::*;
pub use inputs::*;
pub use public::is_public_read;
pub use social::{SocialMutation, SocialQuery};
pub use types::*;

// ---------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------

#[derive(Default)]
pub struct CatalogQuery;

#[paged]
#[Object]
impl CatalogQuery {
    /// Products, filtered, searched and ordered, as a Relay connection (default order:
    /// title, then id; at most 100 per page).
    #[allow(clippy::too_many_arguments)]
    async fn products(
        &self, ctx: &Context<'_>, page: PageArgs,
        #[graphql(desc = "Only products of this collection.")] collection_id: Option<i64>,
        #[graphql(desc = "Price strictly greater than this.")] unit_price_gt: Option<Money>,
        #[graphql(desc = "Price strictly less than this.")] unit_price_lt: Option<Money>,
        #[graphql(
            desc = "Terms split on spaces and commas; each must occur in the title or the description (case-insensitive)."
        )]
        search: Option<String>,
        #[graphql(desc = "Only products tagged with this label.")] tag: Option<String>,
        #[graphql(desc = "`LOW`: inventory below 10; `OK`: 10 or more.")] inventory_status: Option<
            InventoryStatus,
        >,
        #[graphql(desc = "Last saved within this calendar window (UTC).")] last_update: Option<
            LastUpdateFilter,
        >,
        order_by: Option<Vec<ProductOrder>>,
    ) -> AppResult<ProductConnection> {
        let ordering = ordering_of(order_by);
        let page = PageRequest::new(page, &ordering.signature())?;
        let search_terms = search.as_deref().map(ProductFilter::split_search).unwrap_or_default();
        check_search_terms(&search_terms)?;
        let filter = ProductFilter {
            collection_id,
            unit_price_gt: unit_price_gt.map(|m| m.0),
            unit_price_lt: unit_price_lt.map(|m| m.0),
            search_terms,
            tag,
            low_inventory: inventory_status.map(|s| s == InventoryStatus::Low),
            ..last_update.map(LastUpdateFilter::window).unwrap_or_default()
        };
        if let Some(id) = collection_id {
            let mut conn = ctx.conn().await?;
            if !repo::collection_exists(&mut conn, id).await? {
                return Err(AppError::bad_input(
                    "collectionId",
                    "Select a valid choice. That choice is not one of the available choices.",
                ));
            }
        }
        let total = TotalCount::Filter(filter.clone());
        let query = ProductPageQuery { filter, ordering, page };
        load_product_page(ctx, query, total).await
    }

    async fn product(&self, ctx: &Context<'_>, id: i64) -> AppResult<Product> {
        let mut conn = ctx.conn().await?;
        repo::find_product(&mut conn, id).await.or_not_found().map(Product)
    }

    /// Collections by title then id, or by their number of products (at most `first`, up
    /// to 100).
    #[graphql(directive = crate::graphql::limits::list_size::apply(None, crate::graphql::limits::first_only(), None, Some(false)))]
    async fn collections(
        &self, ctx: &Context<'_>, #[graphql(default = 100)] first: Option<i32>,
        order_by: Option<Vec<CollectionOrder>>,
    ) -> AppResult<Vec<Collection>> {
        let limit = list_limit(first, 100)?;
        let sort = match order_by.unwrap_or_default().first() {
            Some(CollectionOrder::ProductsCount) => repo::CollectionSort::ProductsCount,
            Some(CollectionOrder::ProductsCountDesc) => repo::CollectionSort::ProductsCountDesc,
            Some(CollectionOrder::Title) | None => repo::CollectionSort::Title,
        };
        let mut conn = ctx.conn().await?;
        let rows = repo::list_collections(&mut conn, limit, sort).await?;
        drop(conn);
        let featured = match ctx.look_ahead().field("featuredProduct").exists() {
            true => rows.iter().filter_map(|r| r.featured_product_id).collect(),
            false => Vec::new(),
        };
        tokio::try_join!(
            prime::<ProductById, _>(ctx, &featured),
            prime_collection_pages(ctx, &rows),
        )?;
        Ok(rows.into_iter().map(Collection).collect())
    }

    async fn collection(&self, ctx: &Context<'_>, id: i64) -> AppResult<Collection> {
        let mut conn = ctx.conn().await?;
        let row = repo::find_collection(&mut conn, id).await.or_not_found()?;
        drop(conn);
        prime_collection_pages(ctx, std::slice::from_ref(&row)).await?;
        Ok(Collection(row))
    }

    /// Reviews of one product, oldest first (empty for an unknown product; at most
    /// `first`, up to 100).
    #[graphql(directive = crate::graphql::limits::list_size::apply(None, crate::graphql::limits::first_only(), None, Some(false)))]
    async fn reviews(
        &self, ctx: &Context<'_>, product_id: i64, #[graphql(default = 20)] first: Option<i32>,
    ) -> AppResult<Vec<Review>> {
        let limit = list_limit(first, 20)?;
        let mut conn = ctx.conn().await?;
        let rows = repo::list_reviews(&mut conn, product_id, limit).await?;
        Ok(rows)
    }

    async fn review(&self, ctx: &Context<'_>, product_id: i64, id: i64) -> AppResult<Review> {
        let mut conn = ctx.conn().await?;
        repo::find_review(&mut conn, product_id, id).await.or_not_found()
    }
}

// ---------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------

#[derive(Default)]
pub struct CatalogMutation;

#[Object]
impl CatalogMutation {
    #[graphql(guard = "CatalogWrite")]
    async fn create_product(&self, ctx: &Context<'_>, input: ProductInput) -> AppResult<Product> {
        let mut conn = ctx.conn().await?;
        let changes = validation::validated::<ProductRow>(&mut conn, input, Mode::Create).await?;
        let new = changes
            .into_new()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("validated product incomplete")))?;
        let row = repo::insert_product(&mut conn, &new).await;
        Ok(Product(row.map_err(|e| e.on_argument("collection", "collectionId"))?))
    }

    /// Replaces a product: every required field must be sent.
    #[graphql(guard = "CatalogWrite")]
    async fn update_product(
        &self, ctx: &Context<'_>, id: i64, input: ProductInput,
    ) -> AppResult<Product> {
        let mut conn = ctx.conn().await?;
        validation::update(&mut conn, id, input, Mode::Replace, validation::anyone)
            .await
            .map(Product)
    }

    /// Changes only the fields sent.
    #[graphql(guard = "CatalogWrite")]
    async fn patch_product(
        &self, ctx: &Context<'_>, id: i64, input: ProductPatch,
    ) -> AppResult<Product> {
        let mut conn = ctx.conn().await?;
        validation::update(&mut conn, id, input, Mode::Patch, validation::anyone).await.map(Product)
    }

    /// Refused (METHOD_NOT_ALLOWED) while an order item refers to the product.
    #[graphql(guard = "CatalogWrite")]
    async fn delete_product(&self, ctx: &Context<'_>, id: i64) -> AppResult<bool> {
        let mut conn = ctx.conn().await?;
        AppError::deleted(repo::delete_product(&mut conn, id).await?)
    }

    #[graphql(guard = "CatalogWrite")]
    async fn create_collection(
        &self, ctx: &Context<'_>, input: CollectionInput,
    ) -> AppResult<Collection> {
        let mut conn = ctx.conn().await?;
        let changes =
            validation::validated::<CollectionRow>(&mut conn, input, Mode::Create).await?;
        let new = NewCollection {
            title: changes.title.unwrap_or_default(),
            featured_product_id: changes.featured_product_id.flatten(),
        };
        let row = repo::insert_collection(&mut conn, &new)
            .await
            .map_err(|e| e.on_argument("featuredProduct", "featuredProductId"))?;
        Ok(Collection(row))
    }

    #[graphql(guard = "CatalogWrite")]
    async fn update_collection(
        &self, ctx: &Context<'_>, id: i64, input: CollectionInput,
    ) -> AppResult<Collection> {
        let mut conn = ctx.conn().await?;
        let row =
            validation::update(&mut conn, id, input, Mode::Replace, validation::anyone).await?;
        Ok(Collection(row))
    }

    /// Refused (METHOD_NOT_ALLOWED) while the collection has products.
    #[graphql(guard = "CatalogWrite")]
    async fn delete_collection(&self, ctx: &Context<'_>, id: i64) -> AppResult<bool> {
        let mut conn = ctx.conn().await?;
        AppError::deleted(repo::delete_collection(&mut conn, id).await?)
    }

    async fn create_review(
        &self, ctx: &Context<'_>, product_id: i64, input: ReviewInput,
    ) -> AppResult<Review> {
        let mut conn = ctx.conn().await?;
        if !repo::product_exists(&mut conn, product_id).await? {
            return Err(AppError::not_found());
        }
        let changes = validation::validated::<ReviewRow>(&mut conn, input, Mode::Create).await?;
        let new = NewReview {
            product_id,
            name: changes.name.unwrap_or_default(),
            description: changes.description.unwrap_or_default(),
            user_id: ctx.viewer_opt().map(|viewer| viewer.id()),
        };
        repo::insert_review(&mut conn, &new).await
    }

    /// Replaces a review: `name` and `description` are required.
    async fn update_review(
        &self, ctx: &Context<'_>, product_id: i64, id: i64, input: ReviewInput,
    ) -> AppResult<Review> {
        let mut conn = ctx.conn().await?;
        let allowed = |review: &ReviewRow| may_change_review(ctx, review);
        validation::update(&mut conn, (product_id, id), input, Mode::Replace, allowed).await
    }

    async fn patch_review(
        &self, ctx: &Context<'_>, product_id: i64, id: i64, input: ReviewPatch,
    ) -> AppResult<Review> {
        let mut conn = ctx.conn().await?;
        let allowed = |review: &ReviewRow| may_change_review(ctx, review);
        validation::update(&mut conn, (product_id, id), input, Mode::Patch, allowed).await
    }

    /// Deletes a review: its signed-in author or staff.
    async fn delete_review(&self, ctx: &Context<'_>, product_id: i64, id: i64) -> AppResult<bool> {
        let mut conn = ctx.conn().await?;
        let review = repo::find_review(&mut conn, product_id, id).await.or_not_found()?;
        may_change_review(ctx, &review)?;
        AppError::deleted(repo::delete_review(&mut conn, product_id, id).await?)
    }
}

/// A review is changed by its signed-in author or by staff; one written anonymously only
/// by staff. Anonymous callers get `UNAUTHENTICATED`, everyone else `FORBIDDEN`.
fn may_change_review(ctx: &Context<'_>, review: &ReviewRow) -> AppResult<()> {
    let viewer = ctx.viewer()?;
    if viewer.is_staff() || review.user_id == Some(viewer.id()) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}
