//! The product connection and its orderings.

use super::*;
use crate::db::pagination::read_page;
use crate::graphql::loaders::Selected;
use crate::graphql::pagination::{Connection, Counter};

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
    Inventory,
    InventoryDesc,
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
            ProductOrder::Inventory => (SortField::Inventory, false),
            ProductOrder::InventoryDesc => (SortField::Inventory, true),
        };
        SortKey { field, descending }
    }
}

pub(super) fn ordering_of(order_by: Option<Vec<ProductOrder>>) -> ProductOrdering {
    ProductOrdering::new(order_by.unwrap_or_default().into_iter().map(SortKey::from))
}

/// How a product page counts its whole list.
pub(super) enum TotalCount {
    Filter(ProductFilter),
    /// Already known (a collection's products: its product count).
    Known(i64),
}

impl TotalCount {
    fn counter(self) -> Counter {
        match self {
            TotalCount::Known(count) => Counter::known(count),
            TotalCount::Filter(filter) => Counter::new(move |mut conn| {
                let filter = filter.clone();
                async move { repo::count_products(&mut conn, &filter).await }
            }),
        }
    }
}

/// A page of products (Relay cursor connection), the one generic connection.
pub type ProductConnection = Connection<Product>;

/// The page of `rows` read for `page` in `ordering`.
pub(super) fn product_page(
    rows: Vec<ProductRow>, page: &PageRequest, other_side: bool, ordering: &ProductOrdering,
    total: TotalCount,
) -> ProductConnection {
    let window = Window::from_rows(rows.into_iter().map(Product).collect(), page);
    let signature = ordering.signature();
    let (edges, page_info) = pagination::page(window, page, other_side, |product| {
        pagination::encode_cursor(&signature, ordering.cursor_keys(&product.0))
    });
    Connection::new(edges, page_info, total.counter())
}

/// Reads a page of products; when its nodes show `collection`, each with its collection
/// in the same statement.
pub(super) async fn load_product_page(
    ctx: &Context<'_>, query: ProductPageQuery, total: TotalCount,
) -> AppResult<ProductConnection> {
    let list = repo::ProductList { filter: &query.filter, ordering: &query.ordering };
    let nodes = pagination::node_selections(ctx.look_ahead());
    let mut conn = ctx.conn().await?;
    let (rows, joined) = if Selected(&nodes).has("collection") {
        let source = repo::ProductsWithCollections(list);
        let rows = read_page(&mut conn, &source, &query.page).await?;
        let collections = rows.window.rows.iter().map(|(_, row)| row.collection());
        let collections = collections.collect();
        (rows.map(|row| row.product), Some(collections))
    } else {
        (read_page(&mut conn, &list, &query.page).await?, None)
    };
    drop(conn);
    let products = rows.window.rows.iter().map(|(_, row)| row);
    prime_product_relations(ctx, &nodes, products, joined).await?;
    let signature = query.ordering.signature();
    let counter = total.counter();
    Ok(Connection::from_keyset(rows, &query.page, &signature, Product, counter))
}
