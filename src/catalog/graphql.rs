//! The catalogue's GraphQL API: products, collections and reviews, their inputs and rules.
//!
//! API types wrap rows and expose only the listed fields (API-0.5/0.6): the data model is
//! not the API model.

use async_graphql::{Context, Enum, InputObject, MaybeUndefined, Object};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::loaders::CollectionPageKey;
use super::model::*;
use super::repo::{self, ProductFilter, ProductOrdering, ProductPageQuery, SortField, SortKey};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::graphql::context::ContextExt;
use crate::graphql::guards::CatalogWrite;
use crate::graphql::pagination::{self, Edge, PageInfo, PageRequest, Window, list_limit};
use crate::graphql::scalars::Money;
use crate::validation::{self, Mode};

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
        let row = ctx
            .loaders()?
            .collection_by_id
            .load_one(self.0.collection_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        Ok(Collection::new(row, None))
    }

    /// Reviews of this product, oldest first (at most `first`, up to 100).
    #[graphql(directive = crate::graphql::limits::list_size::apply(None, crate::graphql::limits::first_only(), None, Some(false)))]
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: Option<i32>,
    ) -> AppResult<Vec<Review>> {
        let limit = usize::try_from(list_limit(first, 10)?).unwrap_or(0);
        let rows = ctx
            .loaders()?
            .reviews_by_product
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().take(limit).map(Review).collect())
    }

    /// Units that can still be added to a cart: inventory minus the quantities other
    /// carts hold right now.
    async fn available_inventory(&self, ctx: &Context<'_>) -> AppResult<i64> {
        Ok(ctx
            .loaders()?
            .available_by_product
            .load_one(self.0.id)
            .await?
            .unwrap_or(0))
    }

    /// The product's images, oldest first (at most `first`, up to 100).
    #[graphql(directive = crate::graphql::limits::list_size::apply(None, crate::graphql::limits::first_only(), None, Some(false)))]
    async fn images(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: Option<i32>,
    ) -> AppResult<Vec<crate::images::graphql::ProductImage>> {
        let limit = usize::try_from(list_limit(first, 10)?).unwrap_or(0);
        let rows = ctx
            .loaders()?
            .images_by_product
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .take(limit)
            .map(crate::images::graphql::ProductImage)
            .collect())
    }

    async fn inventory_status(&self) -> InventoryStatus {
        if self.0.inventory < LOW_INVENTORY_THRESHOLD {
            InventoryStatus::Low
        } else {
            InventoryStatus::Ok
        }
    }
}

/// A group of products; every product belongs to exactly one collection.
#[derive(Clone)]
pub struct Collection {
    row: CollectionRow,
    /// Known when the query that read the row also counted its products.
    products_count: Option<i64>,
}

impl Collection {
    pub fn new(row: CollectionRow, products_count: Option<i64>) -> Self {
        Self {
            row,
            products_count,
        }
    }
}

#[Object]
impl Collection {
    async fn id(&self) -> i64 {
        self.row.id
    }

    async fn title(&self) -> &str {
        &self.row.title
    }

    /// Number of products in the collection.
    async fn products_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        if let Some(count) = self.products_count {
            return Ok(count);
        }
        Ok(ctx
            .loaders()?
            .products_count_by_collection
            .load_one(self.row.id)
            .await?
            .unwrap_or(0))
    }

    async fn featured_product(&self, ctx: &Context<'_>) -> AppResult<Option<Product>> {
        let Some(id) = self.row.featured_product_id else {
            return Ok(None);
        };
        Ok(ctx
            .loaders()?
            .product_by_id
            .load_one(id)
            .await?
            .map(Product))
    }

    /// The collection's products, a Relay connection ordered like `products`.
    #[graphql(directive = crate::graphql::limits::list_size::apply(None, crate::graphql::limits::first_or_last(), crate::graphql::limits::page_fields(), Some(false)))]
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        order_by: Option<Vec<ProductOrder>>,
    ) -> AppResult<ProductConnection> {
        let ordering = ordering_of(order_by);
        let page = PageRequest::new(first, after, last, before, &ordering.signature())?;
        let total = TotalCount::Collection(self.row.id, self.products_count);
        if page.after.is_none() && page.before.is_none() {
            // The first page of many collections is batched into one query.
            let key = CollectionPageKey {
                collection_id: self.row.id,
                ordering: ordering.clone(),
                direction: page.direction,
                limit: page.limit,
            };
            let rows = ctx
                .loaders()?
                .first_products_by_collection
                .load_one(key)
                .await?
                .unwrap_or_default();
            return Ok(ProductConnection::new(rows, &page, false, &ordering, total));
        }
        let filter = ProductFilter {
            collection_id: Some(self.row.id),
            ..ProductFilter::default()
        };
        let query = ProductPageQuery {
            filter,
            ordering,
            page,
        };
        ProductConnection::load(ctx, query, total).await
    }
}

/// A customer's review of a product.
#[derive(Clone)]
pub struct Review(pub ReviewRow);

#[Object]
impl Review {
    async fn id(&self) -> i64 {
        self.0.id
    }

    /// Name of the reviewer.
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The day the review was written (UTC).
    async fn date(&self) -> NaiveDate {
        self.0.date
    }

    async fn product_id(&self) -> i64 {
        self.0.product_id
    }
}

// ---------------------------------------------------------------------------------------
// The product connection
// ---------------------------------------------------------------------------------------

/// Sort keys of the product list; `id` is always the final tie-breaker.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum ProductOrder {
    UnitPrice,
    UnitPriceDesc,
    LastUpdate,
    LastUpdateDesc,
    Title,
    TitleDesc,
}

impl From<ProductOrder> for SortKey {
    fn from(order: ProductOrder) -> Self {
        let (field, descending) = match order {
            ProductOrder::UnitPrice => (SortField::UnitPrice, false),
            ProductOrder::UnitPriceDesc => (SortField::UnitPrice, true),
            ProductOrder::LastUpdate => (SortField::LastUpdate, false),
            ProductOrder::LastUpdateDesc => (SortField::LastUpdate, true),
            ProductOrder::Title => (SortField::Title, false),
            ProductOrder::TitleDesc => (SortField::Title, true),
        };
        SortKey { field, descending }
    }
}

fn ordering_of(order_by: Option<Vec<ProductOrder>>) -> ProductOrdering {
    ProductOrdering::new(order_by.unwrap_or_default().into_iter().map(SortKey::from))
}

enum TotalCount {
    Filter(ProductFilter),
    /// A collection's products: its product count (when already known).
    Collection(i64, Option<i64>),
}

/// A page of products (Relay cursor connection).
pub struct ProductConnection {
    edges: Vec<Edge<Product>>,
    page_info: PageInfo,
    total: TotalCount,
}

impl ProductConnection {
    fn new(
        rows: Vec<ProductRow>,
        page: &PageRequest,
        other_side: bool,
        ordering: &ProductOrdering,
        total: TotalCount,
    ) -> Self {
        let window = Window::from_rows(rows.into_iter().map(Product).collect(), page);
        let signature = ordering.signature();
        let (edges, page_info) = pagination::page(window, page, other_side, |product| {
            pagination::encode_cursor(&signature, ordering.cursor_keys(&product.0))
        });
        Self {
            edges,
            page_info,
            total,
        }
    }

    async fn load(
        ctx: &Context<'_>,
        query: ProductPageQuery,
        total: TotalCount,
    ) -> AppResult<Self> {
        let mut conn = ctx.conn().await?;
        let rows = repo::list_products(&mut conn, &query).await?;
        let other_side = repo::products_beyond_cursor(&mut conn, &query).await?;
        Ok(Self::new(
            rows,
            &query.page,
            other_side,
            &query.ordering,
            total,
        ))
    }
}

#[Object]
impl ProductConnection {
    /// Number of products matching the filters (all pages).
    async fn total_count(&self, ctx: &Context<'_>) -> AppResult<i64> {
        match &self.total {
            TotalCount::Collection(_, Some(count)) => Ok(*count),
            TotalCount::Collection(id, None) => Ok(ctx
                .loaders()?
                .products_count_by_collection
                .load_one(*id)
                .await?
                .unwrap_or(0)),
            TotalCount::Filter(filter) => {
                let mut conn = ctx.conn().await?;
                repo::count_products(&mut conn, filter).await
            }
        }
    }

    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }

    async fn edges(&self) -> &[Edge<Product>] {
        &self.edges
    }

    /// The products of this page (the edges' nodes).
    async fn nodes(&self) -> Vec<Product> {
        self.edges.iter().map(|edge| edge.node.clone()).collect()
    }
}

// ---------------------------------------------------------------------------------------
// Inputs and their validation (DRF serializer rules and messages)
// ---------------------------------------------------------------------------------------

/// The product fields as sent, shared by the full and the partial input.
struct ProductFields {
    title: MaybeUndefined<String>,
    slug: MaybeUndefined<String>,
    description: MaybeUndefined<String>,
    unit_price: MaybeUndefined<Money>,
    inventory: MaybeUndefined<i32>,
    collection_id: MaybeUndefined<i64>,
}

macro_rules! product_input {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(InputObject, Default)]
        pub struct $name {
            /// At most 255 characters, not blank.
            pub title: MaybeUndefined<String>,
            /// At most 50 letters, numbers, underscores or hyphens (not unique).
            pub slug: MaybeUndefined<String>,
            /// Optional; may be null or empty.
            pub description: MaybeUndefined<String>,
            /// 1.00 to 9999.99, at most two decimals.
            pub unit_price: MaybeUndefined<Money>,
            /// Units in stock, at least 0.
            pub inventory: MaybeUndefined<i32>,
            /// Id of an existing collection.
            pub collection_id: MaybeUndefined<i64>,
        }

        impl $name {
            fn into_fields(self) -> ProductFields {
                ProductFields {
                    title: self.title,
                    slug: self.slug,
                    description: self.description,
                    unit_price: self.unit_price,
                    inventory: self.inventory,
                    collection_id: self.collection_id,
                }
            }
        }
    };
}

product_input!(
    /// A whole product: every field but `description` is required.
    ProductInput
);
product_input!(
    /// Some fields of a product: only the fields sent are validated and changed.
    ProductPatch
);

impl ProductFields {
    /// Checks every field and returns the columns to write plus every error found.
    fn validate(self, mode: Mode) -> (ProductChanges, FieldErrors) {
        let mut errors = FieldErrors::new();
        let e = &mut errors;
        let title = validation::present(e, "title", self.title, mode)
            .and_then(|v| validation::char_field(e, "title", &v, Some(255), false));
        let slug = validation::present(e, "slug", self.slug, mode)
            .and_then(|v| validation::slug_field(e, "slug", &v));
        let description = match self.description {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(text) => validation::char_field(
                e,
                "description",
                &text,
                Some(validation::MAX_TEXT_CHARS),
                true,
            )
            .map(Some),
        };
        let unit_price = validation::present(e, "unitPrice", self.unit_price, mode)
            .and_then(|v| validation::decimal_field(e, "unitPrice", v.0, 6, 2, Some(Decimal::ONE)));
        let inventory = validation::present(e, "inventory", self.inventory, mode)
            .and_then(|v| validation::min_int(e, "inventory", i64::from(v), 0))
            .and_then(|v| i32::try_from(v).ok());
        let collection_id = validation::present(e, "collectionId", self.collection_id, mode);
        let changes = ProductChanges {
            title,
            slug,
            description,
            unit_price,
            inventory,
            collection_id,
            last_update: Some(Utc::now()),
        };
        (changes, errors)
    }
}

/// DRF's `PrimaryKeyRelatedField` check: the collection must exist.
async fn check_collection(
    conn: &mut diesel_async::AsyncPgConnection,
    changes: &ProductChanges,
    errors: &mut FieldErrors,
) -> AppResult<()> {
    if let Some(id) = changes.collection_id
        && !repo::collection_exists(conn, id).await?
    {
        errors.add(
            "collectionId",
            format!("Invalid pk \"{id}\" - object does not exist."),
        );
    }
    Ok(())
}

/// A collection.
#[derive(InputObject, Default)]
pub struct CollectionInput {
    /// At most 255 characters, not blank.
    pub title: MaybeUndefined<String>,
    /// Optional product to feature; null clears it, omitted leaves it as it is.
    pub featured_product_id: MaybeUndefined<i64>,
}

impl CollectionInput {
    async fn validate(
        self,
        conn: &mut diesel_async::AsyncPgConnection,
    ) -> AppResult<CollectionChanges> {
        let mut errors = FieldErrors::new();
        let e = &mut errors;
        let title = validation::present(e, "title", self.title, Mode::Replace)
            .and_then(|v| validation::char_field(e, "title", &v, Some(255), false));
        let featured_product_id = match self.featured_product_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => {
                if !repo::product_exists(conn, id).await? {
                    e.add(
                        "featuredProductId",
                        format!("Invalid pk \"{id}\" - object does not exist."),
                    );
                }
                Some(Some(id))
            }
        };
        errors.into_result()?;
        Ok(CollectionChanges {
            title,
            featured_product_id,
        })
    }
}

macro_rules! review_input {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(InputObject, Default)]
        pub struct $name {
            /// Name of the reviewer: at most 255 characters, not blank.
            pub name: MaybeUndefined<String>,
            /// The review itself: at most 5,000 characters, not blank.
            pub description: MaybeUndefined<String>,
        }

        impl $name {
            fn validate(self, mode: Mode) -> AppResult<ReviewChanges> {
                let mut errors = FieldErrors::new();
                let e = &mut errors;
                let name = validation::present(e, "name", self.name, mode)
                    .and_then(|v| validation::char_field(e, "name", &v, Some(255), false));
                let description = validation::present(e, "description", self.description, mode)
                    .and_then(|v| {
                        validation::char_field(e, "description", &v, Some(validation::MAX_TEXT_CHARS), false)
                    });
                errors.into_result()?;
                Ok(ReviewChanges { name, description })
            }
        }
    };
}

review_input!(
    /// A whole review: `name` and `description` are required.
    ReviewInput
);
review_input!(
    /// Some fields of a review.
    ReviewPatch
);

/// Most terms a `search` may have (counted after splitting, before removing duplicates).
pub const MAX_SEARCH_TERMS: usize = 10;
/// Longest term of a `search`, in characters.
pub const MAX_SEARCH_TERM_CHARS: usize = 100;

/// The search budget: at most 10 terms of at most 100 characters each.
fn check_search_terms(terms: &[String]) -> AppResult<()> {
    let mut errors = crate::error::FieldErrors::new();
    if terms.len() > MAX_SEARCH_TERMS {
        errors.add(
            "search",
            format!("Ensure this field has no more than {MAX_SEARCH_TERMS} terms."),
        );
    }
    if terms
        .iter()
        .any(|term| term.chars().count() > MAX_SEARCH_TERM_CHARS)
    {
        errors.add(
            "search",
            format!("Ensure each term has no more than {MAX_SEARCH_TERM_CHARS} characters."),
        );
    }
    errors.into_result()
}

// ---------------------------------------------------------------------------------------
// Queries
// ---------------------------------------------------------------------------------------

#[derive(Default)]
pub struct CatalogQuery;

#[Object]
impl CatalogQuery {
    /// Products, filtered, searched and ordered, as a Relay connection (default order:
    /// title, then id; at most 100 per page).
    #[graphql(directive = crate::graphql::limits::list_size::apply(None, crate::graphql::limits::first_or_last(), crate::graphql::limits::page_fields(), Some(false)))]
    #[allow(clippy::too_many_arguments)]
    async fn products(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        #[graphql(desc = "Only products of this collection.")] collection_id: Option<i64>,
        #[graphql(desc = "Price strictly greater than this.")] unit_price_gt: Option<Money>,
        #[graphql(desc = "Price strictly less than this.")] unit_price_lt: Option<Money>,
        #[graphql(
            desc = "Terms split on spaces and commas; each must occur in the title or the description (case-insensitive)."
        )]
        search: Option<String>,
        order_by: Option<Vec<ProductOrder>>,
    ) -> AppResult<ProductConnection> {
        let ordering = ordering_of(order_by);
        let page = PageRequest::new(first, after, last, before, &ordering.signature())?;
        let search_terms = search
            .as_deref()
            .map(ProductFilter::split_search)
            .unwrap_or_default();
        check_search_terms(&search_terms)?;
        let filter = ProductFilter {
            collection_id,
            unit_price_gt: unit_price_gt.map(|m| m.0),
            unit_price_lt: unit_price_lt.map(|m| m.0),
            search_terms,
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
        let query = ProductPageQuery {
            filter,
            ordering,
            page,
        };
        ProductConnection::load(ctx, query, total).await
    }

    async fn product(&self, ctx: &Context<'_>, id: i64) -> AppResult<Product> {
        let mut conn = ctx.conn().await?;
        repo::find_product(&mut conn, id)
            .await?
            .map(Product)
            .ok_or_else(AppError::not_found)
    }

    /// Collections by title then id (at most `first`, up to 100).
    #[graphql(directive = crate::graphql::limits::list_size::apply(None, crate::graphql::limits::first_only(), None, Some(false)))]
    async fn collections(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] first: Option<i32>,
    ) -> AppResult<Vec<Collection>> {
        let limit = list_limit(first, 100)?;
        let with_counts = ctx.look_ahead().field("productsCount").exists();
        let mut conn = ctx.conn().await?;
        let rows = repo::list_collections(&mut conn, with_counts, limit).await?;
        Ok(rows
            .into_iter()
            .map(|(row, count)| Collection::new(row, count))
            .collect())
    }

    async fn collection(&self, ctx: &Context<'_>, id: i64) -> AppResult<Collection> {
        let with_count = ctx.look_ahead().field("productsCount").exists();
        let mut conn = ctx.conn().await?;
        let (row, count) = repo::find_collection(&mut conn, id, with_count)
            .await?
            .ok_or_else(AppError::not_found)?;
        Ok(Collection::new(row, count))
    }

    /// Reviews of one product, oldest first (empty for an unknown product; at most
    /// `first`, up to 100).
    #[graphql(directive = crate::graphql::limits::list_size::apply(None, crate::graphql::limits::first_only(), None, Some(false)))]
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        product_id: i64,
        #[graphql(default = 20)] first: Option<i32>,
    ) -> AppResult<Vec<Review>> {
        let limit = list_limit(first, 20)?;
        let mut conn = ctx.conn().await?;
        let rows = repo::list_reviews(&mut conn, product_id, limit).await?;
        Ok(rows.into_iter().map(Review).collect())
    }

    async fn review(&self, ctx: &Context<'_>, product_id: i64, id: i64) -> AppResult<Review> {
        let mut conn = ctx.conn().await?;
        repo::find_review(&mut conn, product_id, id)
            .await?
            .map(Review)
            .ok_or_else(AppError::not_found)
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
        let (changes, mut errors) = input.into_fields().validate(Mode::Create);
        let mut conn = ctx.conn().await?;
        check_collection(&mut conn, &changes, &mut errors).await?;
        errors.into_result()?;
        let new = changes
            .into_new()
            .ok_or_else(|| AppError::internal(anyhow::anyhow!("validated product incomplete")))?;
        Ok(Product(repo::insert_product(&mut conn, &new).await?))
    }

    /// Replaces a product: every required field must be sent.
    #[graphql(guard = "CatalogWrite")]
    async fn update_product(
        &self,
        ctx: &Context<'_>,
        id: i64,
        input: ProductInput,
    ) -> AppResult<Product> {
        save_product(ctx, id, input.into_fields(), Mode::Replace).await
    }

    /// Changes only the fields sent.
    #[graphql(guard = "CatalogWrite")]
    async fn patch_product(
        &self,
        ctx: &Context<'_>,
        id: i64,
        input: ProductPatch,
    ) -> AppResult<Product> {
        save_product(ctx, id, input.into_fields(), Mode::Patch).await
    }

    /// Refused (METHOD_NOT_ALLOWED) while an order item refers to the product.
    #[graphql(guard = "CatalogWrite")]
    async fn delete_product(&self, ctx: &Context<'_>, id: i64) -> AppResult<bool> {
        let mut conn = ctx.conn().await?;
        AppError::deleted(repo::delete_product(&mut conn, id).await?)
    }

    #[graphql(guard = "CatalogWrite")]
    async fn create_collection(
        &self,
        ctx: &Context<'_>,
        input: CollectionInput,
    ) -> AppResult<Collection> {
        let mut conn = ctx.conn().await?;
        let changes = input.validate(&mut conn).await?;
        let new = NewCollection {
            title: changes.title.unwrap_or_default(),
            featured_product_id: changes.featured_product_id.flatten(),
        };
        let row = repo::insert_collection(&mut conn, &new).await?;
        Ok(Collection::new(row, Some(0)))
    }

    #[graphql(guard = "CatalogWrite")]
    async fn update_collection(
        &self,
        ctx: &Context<'_>,
        id: i64,
        input: CollectionInput,
    ) -> AppResult<Collection> {
        let mut conn = ctx.conn().await?;
        if !repo::collection_exists(&mut conn, id).await? {
            return Err(AppError::not_found());
        }
        let changes = input.validate(&mut conn).await?;
        let row = repo::update_collection(&mut conn, id, &changes)
            .await?
            .ok_or_else(AppError::not_found)?;
        Ok(Collection::new(row, None))
    }

    /// Refused (METHOD_NOT_ALLOWED) while the collection has products.
    #[graphql(guard = "CatalogWrite")]
    async fn delete_collection(&self, ctx: &Context<'_>, id: i64) -> AppResult<bool> {
        let mut conn = ctx.conn().await?;
        AppError::deleted(repo::delete_collection(&mut conn, id).await?)
    }

    async fn create_review(
        &self,
        ctx: &Context<'_>,
        product_id: i64,
        input: ReviewInput,
    ) -> AppResult<Review> {
        let mut conn = ctx.conn().await?;
        if !repo::product_exists(&mut conn, product_id).await? {
            return Err(AppError::not_found());
        }
        let changes = input.validate(Mode::Create)?;
        let new = NewReview {
            product_id,
            name: changes.name.unwrap_or_default(),
            description: changes.description.unwrap_or_default(),
            user_id: ctx.viewer_opt().map(|viewer| viewer.id()),
        };
        Ok(Review(repo::insert_review(&mut conn, &new).await?))
    }

    /// Replaces a review: `name` and `description` are required.
    async fn update_review(
        &self,
        ctx: &Context<'_>,
        product_id: i64,
        id: i64,
        input: ReviewInput,
    ) -> AppResult<Review> {
        save_review(ctx, product_id, id, input.validate(Mode::Replace)).await
    }

    async fn patch_review(
        &self,
        ctx: &Context<'_>,
        product_id: i64,
        id: i64,
        input: ReviewPatch,
    ) -> AppResult<Review> {
        save_review(ctx, product_id, id, input.validate(Mode::Patch)).await
    }

    /// Deletes a review: its signed-in author or staff.
    async fn delete_review(&self, ctx: &Context<'_>, product_id: i64, id: i64) -> AppResult<bool> {
        let mut conn = ctx.conn().await?;
        let review = repo::find_review(&mut conn, product_id, id)
            .await?
            .ok_or_else(AppError::not_found)?;
        may_change_review(ctx, &review)?;
        AppError::deleted(repo::delete_review(&mut conn, product_id, id).await?)
    }
}

/// Full or partial product update: NOT_FOUND first (as DRF's `get_object`), then every
/// validation error at once, then the write.
async fn save_product(
    ctx: &Context<'_>,
    id: i64,
    fields: ProductFields,
    mode: Mode,
) -> AppResult<Product> {
    let mut conn = ctx.conn().await?;
    if !repo::product_exists(&mut conn, id).await? {
        return Err(AppError::not_found());
    }
    let (changes, mut errors) = fields.validate(mode);
    check_collection(&mut conn, &changes, &mut errors).await?;
    errors.into_result()?;
    repo::update_product(&mut conn, id, &changes)
        .await?
        .map(Product)
        .ok_or_else(AppError::not_found)
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

async fn save_review(
    ctx: &Context<'_>,
    product_id: i64,
    id: i64,
    changes: AppResult<ReviewChanges>,
) -> AppResult<Review> {
    let mut conn = ctx.conn().await?;
    let review = repo::find_review(&mut conn, product_id, id)
        .await?
        .ok_or_else(AppError::not_found)?;
    may_change_review(ctx, &review)?;
    let changes = changes?;
    repo::update_review(&mut conn, product_id, id, &changes)
        .await?
        .map(Review)
        .ok_or_else(AppError::not_found)
}
