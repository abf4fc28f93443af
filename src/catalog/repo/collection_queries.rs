//! Collection queries.

use super::*;

// ---------------------------------------------------------------------------------------
// Collections
// ---------------------------------------------------------------------------------------

/// All collections by title then id.
/// How the collection list is ordered (then by title, then id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionSort {
    Title,
    ProductsCount,
    ProductsCountDesc,
}

pub async fn list_collections(
    conn: &mut AsyncPgConnection, limit: i64, sort: CollectionSort,
) -> AppResult<Vec<CollectionRow>> {
    let query = collections::table.select(CollectionRow::as_select()).limit(limit).into_boxed();
    let query = match sort {
        CollectionSort::Title => query.order((collections::title.asc(), collections::id.asc())),
        CollectionSort::ProductsCount => query.order((
            collections::products_count.asc(),
            collections::title.asc(),
            collections::id.asc(),
        )),
        CollectionSort::ProductsCountDesc => query.order((
            collections::products_count.desc(),
            collections::title.asc(),
            collections::id.asc(),
        )),
    };
    Ok(query.load(conn).await?)
}

crate::db::rows::by_id!(collections => CollectionRow:
    find_collection, collections_by_ids, collection_exists);
crate::db::rows::insert!(collections => CollectionRow: insert_collection(NewCollection),
    on "collections_featured_product_id_fkey" => featured_gone);
crate::db::rows::update!(collections => CollectionRow: update_collection(CollectionChanges),
    on "collections_featured_product_id_fkey" => featured_gone);

pub(super) fn featured_gone() -> AppError {
    AppError::rejected(
        "featuredProduct",
        "The product was deleted while the collection was being saved.",
    )
}

crate::db::rows::guarded_delete!(collections: delete_collection,
    restricted by "products_collection_id_fkey" => COLLECTION_DELETE_GUARD);
