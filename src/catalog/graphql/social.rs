//! Products' tags and likes (the course's generic `tags` and `likes` apps applied to the
//! catalogue): staff tag and untag products; signed-in users like them and list what they
//! like.

use std::collections::HashMap;

use super::*;
use crate::auth::guards::Authenticated;
use crate::db::pagination::{KeysetPage, read_page};
use crate::graphql::pagination::{Connection, Counter, ID_DESC};
use crate::likes::repo::LikesOf;
use crate::tags::graphql::{Tag, label_of};
use storefront_macros::paged;

/// The product `id`, or `NOT_FOUND`.
async fn existing_product(ctx: &Context<'_>, id: i64) -> AppResult<ProductRow> {
    let mut conn = ctx.conn().await?;
    repo::find_product(&mut conn, id).await.or_not_found()
}

/// The caller likes the product, or no longer does; the product.
async fn set_liked(ctx: &Context<'_>, product_id: i64, liked: bool) -> AppResult<Product> {
    let row = existing_product(ctx, product_id).await?;
    let mut conn = ctx.conn().await?;
    let user_id = ctx.viewer()?.id();
    crate::likes::repo::set_liked(&mut conn, user_id, (PRODUCT_KIND, product_id), liked).await?;
    Ok(Product(row))
}

#[derive(Default)]
pub struct SocialQuery;

#[paged]
#[Object]
impl SocialQuery {
    /// The products the caller likes, most recently liked first, as a Relay connection.
    #[graphql(guard = "Authenticated")]
    async fn my_likes(&self, ctx: &Context<'_>, page: PageArgs) -> AppResult<Connection<Product>> {
        let user_id = ctx.viewer()?.id();
        let page = PageRequest::new(page, ID_DESC)?;
        let source = LikesOf { user_id, kind: PRODUCT_KIND };
        let mut conn = ctx.conn().await?;
        let likes = read_page(&mut conn, &source, &page).await?;
        let ids: Vec<i64> = likes.window.rows.iter().map(|(_, l)| l.object_id).collect();
        let products: HashMap<i64, ProductRow> = repo::products_by_ids(&mut conn, &ids)
            .await?
            .into_iter()
            .map(|row| (row.id, row))
            .collect();
        drop(conn);
        let rows = likes.window.rows.into_iter().filter_map(|(keys, like)| {
            products.get(&like.object_id).cloned().map(|row| (keys, row))
        });
        let liked = KeysetPage {
            window: Window { rows: rows.collect(), has_more: likes.window.has_more },
            other_side: likes.other_side,
        };
        let nodes = pagination::node_selections(ctx.look_ahead());
        prime_product_relations(ctx, &nodes, liked.window.rows.iter().map(|(_, r)| r), None)
            .await?;
        let counter = Counter::new(move |mut conn| async move {
            let source = LikesOf { user_id, kind: PRODUCT_KIND };
            crate::likes::repo::count_of(&mut conn, &source).await
        });
        Ok(Connection::from_keyset(liked, &page, ID_DESC, Product, counter))
    }
}

#[derive(Default)]
pub struct SocialMutation;

#[Object]
impl SocialMutation {
    /// Tags a product with `label`, making the tag when there is none (staff only;
    /// tagging twice changes nothing).
    #[graphql(guard = "CatalogWrite")]
    async fn tag_product(
        &self, ctx: &Context<'_>, product_id: i64, label: String,
    ) -> AppResult<Tag> {
        let label = label_of(&label)?;
        existing_product(ctx, product_id).await?;
        let mut conn = ctx.conn().await?;
        let tag =
            crate::tags::repo::tag_object(&mut conn, PRODUCT_KIND, product_id, &label).await?;
        Ok(tag.into())
    }

    /// Removes a tag from a product (staff only); `false` when the product did not have it.
    #[graphql(guard = "CatalogWrite")]
    async fn untag_product(
        &self, ctx: &Context<'_>, product_id: i64, tag_id: i64,
    ) -> AppResult<bool> {
        existing_product(ctx, product_id).await?;
        let mut conn = ctx.conn().await?;
        crate::tags::repo::untag_object(&mut conn, PRODUCT_KIND, product_id, tag_id).await
    }

    /// The caller likes the product (liking twice changes nothing).
    #[graphql(guard = "Authenticated")]
    async fn like_product(&self, ctx: &Context<'_>, product_id: i64) -> AppResult<Product> {
        set_liked(ctx, product_id, true).await
    }

    /// The caller no longer likes the product (nothing when they did not).
    #[graphql(guard = "Authenticated")]
    async fn unlike_product(&self, ctx: &Context<'_>, product_id: i64) -> AppResult<Product> {
        set_liked(ctx, product_id, false).await
    }
}
