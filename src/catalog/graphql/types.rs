//! The catalogue's object types: products, collections, reviews.

use super::*;
use crate::carts::loaders::AvailableByProductId;
use crate::catalog::loaders::CollectionById;
use crate::catalog::loaders::FirstProductsByCollection;
use crate::catalog::loaders::ProductById;
use crate::catalog::loaders::ReviewsByProductId;
use crate::catalog::loaders::{
    LikedByUser, LikesByProductId, PromotionsByProductId, TagsByProductId, UnitsSoldByProductId,
};
use crate::graphql::loaders::{Selected, feed, load_or_default, prime};
use crate::images::loaders::ImagesByProductId;
use async_graphql::{InputType, Lookahead, SelectionField};
use storefront_macros::paged;

// ---------------------------------------------------------------------------------------
// Object types
// ---------------------------------------------------------------------------------------

/// A product of the catalogue.
#[derive(Clone)]
pub struct Product(pub ProductRow);

/// Stock level as the admin shows it: `LOW` below 10 units, else `OK`.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum InventoryStatus {
    Low,
    Ok,
}

/// Primes the relations that the fields selected on `rows` (`products`: the look-ahead
/// at the product objects, e.g. a connection's `nodes` and `edges.node`) will ask for,
/// each for all rows in one statement, so a page resolves without batch-window waits.
/// `joined`: the rows' collections when the page's own statement read them.
pub async fn prime_product_relations<'r>(
    ctx: &Context<'_>, products: &[Lookahead<'_>],
    rows: impl Iterator<Item = &'r ProductRow> + Clone, joined: Option<Vec<CollectionRow>>,
) -> AppResult<()> {
    let selected = Selected(products);
    let ids = || rows.clone().map(|r| r.id).collect::<Vec<_>>();
    let collections = match joined {
        Some(joined) => {
            feed::<CollectionById, _>(ctx, joined.into_iter().map(|c| (c.id, c))).await?;
            Vec::new()
        }
        None => selected.keys("collection", || rows.clone().map(|r| r.collection_id).collect()),
    };
    let reviews = selected.keys("reviews", ids);
    let images = selected.keys("images", ids);
    let available = selected.keys("availableInventory", ids);
    let tags = selected.keys("tags", ids);
    let likes = selected.keys("likesCount", ids);
    let promotions = selected.keys("promotions", ids);
    let sold = selected.keys("unitsSold", ids);
    let liked: Vec<(i64, i64)> = match ctx.viewer_opt() {
        Some(viewer) => {
            selected.keys("viewerHasLiked", ids).into_iter().map(|id| (viewer.id(), id)).collect()
        }
        None => Vec::new(),
    };
    tokio::try_join!(
        prime::<CollectionById, _>(ctx, &collections),
        prime::<ReviewsByProductId, _>(ctx, &reviews),
        prime::<ImagesByProductId, _>(ctx, &images),
        prime::<AvailableByProductId, _>(ctx, &available),
        prime::<TagsByProductId, _>(ctx, &tags),
        prime::<LikesByProductId, _>(ctx, &likes),
        prime::<LikedByUser, _>(ctx, &liked),
        prime::<PromotionsByProductId, _>(ctx, &promotions),
        prime::<UnitsSoldByProductId, _>(ctx, &sold),
    )?;
    Ok(())
}

/// The product `id` through the request's loader (`NOT_FOUND` when it is gone): what
/// every link to a product resolves with.
pub async fn product_of(ctx: &Context<'_>, id: i64) -> AppResult<Product> {
    ctx.loader::<ProductById>()?.load_required(id).await.map(Product)
}

#[Object]
impl Product {
    async fn id(&self) -> i64 {
        self.0.id
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn slug(&self) -> &str {
        &self.0.slug
    }

    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    /// Units in stock.
    async fn inventory(&self) -> i32 {
        self.0.inventory
    }

    async fn unit_price(&self) -> Money {
        Money(self.0.unit_price)
    }

    /// `unitPrice` plus 10 % tax, rounded half-up to cents.
    async fn price_with_tax(&self) -> Money {
        Money(self.0.price_with_tax())
    }

    /// When the product was last saved.
    async fn last_update(&self) -> DateTime<Utc> {
        self.0.last_update
    }

    async fn collection_id(&self) -> i64 {
        self.0.collection_id
    }

    async fn collection(&self, ctx: &Context<'_>) -> AppResult<Collection> {
        let row = ctx.loader::<CollectionById>()?.load_required(self.0.collection_id).await?;
        Ok(Collection(row))
    }

    /// Reviews of this product, oldest first (at most `first`, up to 100).
    #[graphql(directive = crate::graphql::limits::list_size::apply(None, crate::graphql::limits::first_only(), None, Some(false)))]
    async fn reviews(
        &self, ctx: &Context<'_>, #[graphql(default = 10)] first: Option<i32>,
    ) -> AppResult<Vec<Review>> {
        let limit = usize::try_from(list_limit(first, 10)?).unwrap_or(0);
        let rows = load_or_default::<ReviewsByProductId, _>(ctx, self.0.id).await?;
        Ok(rows.into_iter().take(limit).collect())
    }

    /// Units that can still be added to a cart: inventory minus the quantities other
    /// carts hold right now.
    async fn available_inventory(&self, ctx: &Context<'_>) -> AppResult<i64> {
        load_or_default::<AvailableByProductId, _>(ctx, self.0.id).await
    }

    /// The product's images, oldest first (at most `first`, up to 100).
    #[graphql(directive = crate::graphql::limits::list_size::apply(None, crate::graphql::limits::first_only(), None, Some(false)))]
    async fn images(
        &self, ctx: &Context<'_>, #[graphql(default = 10)] first: Option<i32>,
    ) -> AppResult<Vec<crate::images::graphql::ProductImage>> {
        let limit = usize::try_from(list_limit(first, 10)?).unwrap_or(0);
        let rows = load_or_default::<ImagesByProductId, _>(ctx, self.0.id).await?;
        Ok(rows.into_iter().take(limit).map(crate::images::graphql::ProductImage).collect())
    }

    /// The product's tags, by label.
    async fn tags(&self, ctx: &Context<'_>) -> AppResult<Vec<crate::tags::graphql::Tag>> {
        let rows = load_or_default::<TagsByProductId, _>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(|row| crate::tags::model::TagRow::from(row).into()).collect())
    }

    /// The promotions the product is on, by id.
    async fn promotions(
        &self, ctx: &Context<'_>,
    ) -> AppResult<Vec<crate::promotions::graphql::Promotion>> {
        let rows = load_or_default::<PromotionsByProductId, _>(ctx, self.0.id).await?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    /// Units sold over every order (staff only).
    #[graphql(guard = "crate::auth::guards::Staff")]
    async fn units_sold(&self, ctx: &Context<'_>) -> AppResult<i64> {
        load_or_default::<UnitsSoldByProductId, _>(ctx, self.0.id).await
    }

    /// How many users like the product.
    async fn likes_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        load_or_default::<LikesByProductId, _>(ctx, self.0.id).await
    }

    /// Whether the signed-in caller likes the product (`false` for anonymous callers).
    async fn viewer_has_liked(&self, ctx: &Context<'_>) -> AppResult<bool> {
        let Some(viewer) = ctx.viewer_opt() else {
            return Ok(false);
        };
        load_or_default::<LikedByUser, _>(ctx, (viewer.id(), self.0.id)).await
    }

    async fn inventory_status(&self) -> InventoryStatus {
        if self.0.inventory < LOW_INVENTORY_THRESHOLD {
            InventoryStatus::Low
        } else {
            InventoryStatus::Ok
        }
    }
}

/// Primes what the `products` selections on the collections `rows` will ask for: each
/// selection's first page for every collection (one windowed statement per page shape),
/// then the relations that the fields selected on those products need.
pub async fn prime_collection_pages(ctx: &Context<'_>, rows: &[CollectionRow]) -> AppResult<()> {
    let products = ctx.look_ahead().field("products");
    let mut keys = Vec::new();
    for field in products.selection_fields() {
        if let Some((ordering, page)) = page_of(&field) {
            keys.extend(
                rows.iter()
                    .filter_map(|row| CollectionPageKey::first_page(row.id, &ordering, &page)),
            );
        }
    }
    let pages = prime::<FirstProductsByCollection, _>(ctx, &keys).await?;
    let nodes = pagination::node_selections(products);
    prime_product_relations(ctx, &nodes, pages.values().flatten(), None).await
}

/// The ordering and page a `products(first, after, last, before, orderBy)` selection asks
/// for; `None` for arguments that the resolver itself will refuse.
fn page_of(field: &SelectionField<'_>) -> Option<(ProductOrdering, PageRequest)> {
    let arguments = field.arguments().ok()?;
    let argument = |name: &str| {
        arguments.iter().find(|(n, _)| n.as_str() == name).map(|(_, value)| value.clone())
    };
    let page = PageArgs {
        first: match argument("first") {
            None => Some(pagination::DEFAULT_PAGE_SIZE),
            given => InputType::parse(given).ok()?,
        },
        after: InputType::parse(argument("after")).ok()?,
        last: InputType::parse(argument("last")).ok()?,
        before: InputType::parse(argument("before")).ok()?,
    };
    let order_by: Option<Vec<ProductOrder>> = InputType::parse(argument("orderBy")).ok()?;
    let ordering = ordering_of(order_by);
    let page = PageRequest::new(page, &ordering.signature()).ok()?;
    Some((ordering, page))
}

/// A group of products; every product belongs to exactly one collection.
#[derive(Clone)]
pub struct Collection(pub CollectionRow);

#[paged]
#[Object]
impl Collection {
    async fn id(&self) -> i64 {
        self.0.id
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    /// Number of products in the collection.
    async fn products_count(&self) -> i64 {
        self.0.products_count
    }

    async fn featured_product(&self, ctx: &Context<'_>) -> AppResult<Option<Product>> {
        let Some(id) = self.0.featured_product_id else {
            return Ok(None);
        };
        Ok(ctx.loader::<ProductById>()?.load_one(id).await?.map(Product))
    }

    /// The collection's products, a Relay connection ordered like `products`.
    async fn products(
        &self, ctx: &Context<'_>, page: PageArgs, order_by: Option<Vec<ProductOrder>>,
    ) -> AppResult<ProductConnection> {
        let ordering = ordering_of(order_by);
        let page = PageRequest::new(page, &ordering.signature())?;
        let total = TotalCount::Known(self.0.products_count);
        if let Some(key) = CollectionPageKey::first_page(self.0.id, &ordering, &page) {
            // The first page of many collections is batched into one query.
            let rows = load_or_default::<FirstProductsByCollection, _>(ctx, key).await?;
            return Ok(product_page(rows, &page, false, &ordering, total));
        }
        let filter = ProductFilter { collection_id: Some(self.0.id), ..ProductFilter::default() };
        let query = ProductPageQuery { filter, ordering, page };
        load_product_page(ctx, query, total).await
    }
}

/// A customer's review of a product (the row is the API type).
pub type Review = ReviewRow;
