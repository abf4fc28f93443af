//! The product connection and its orderings.

use super::*;
use crate::catalog::loaders::ProductsCountByCollectionId;

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

pub(super) fn ordering_of(order_by: Option<Vec<ProductOrder>>) -> ProductOrdering {
    ProductOrdering::new(order_by.unwrap_or_default().into_iter().map(SortKey::from))
}

pub(super) enum TotalCount {
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
    pub(super) fn new(
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

    pub(super) async fn load(
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
                .loader::<ProductsCountByCollectionId>()?
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
