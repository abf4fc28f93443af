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

pub async fn find_collection(
    conn: &mut AsyncPgConnection, id: i64,
) -> AppResult<Option<CollectionRow>> {
    let query = collections::table.find(id).select(CollectionRow::as_select());
    crate::db::first_or_none(conn, query).await
}

pub async fn collections_by_ids(
    conn: &mut AsyncPgConnection, ids: &[i64],
) -> AppResult<Vec<CollectionRow>> {
    Ok(collections::table
        .filter(collections::id.eq_any(ids))
        .select(CollectionRow::as_select())
        .load(conn)
        .await?)
}

pub async fn collection_exists(conn: &mut AsyncPgConnection, id: i64) -> AppResult<bool> {
    Ok(diesel::select(exists(collections::table.find(id))).get_result(conn).await?)
}

pub async fn insert_collection(
    conn: &mut AsyncPgConnection, collection: &NewCollection,
) -> AppResult<CollectionRow> {
    diesel::insert_into(collections::table)
        .values(collection)
        .returning(CollectionRow::as_returning())
        .get_result(conn)
        .await
        .on_constraint("collections_featured_product_id_fkey", featured_gone)
}

pub async fn update_collection(
    conn: &mut AsyncPgConnection, id: i64, changes: &CollectionChanges,
) -> AppResult<Option<CollectionRow>> {
    diesel::update(collections::table.find(id))
        .set(changes)
        .returning(CollectionRow::as_returning())
        .get_result(conn)
        .await
        .optional()
        .on_constraint("collections_featured_product_id_fkey", featured_gone)
}

pub(super) fn featured_gone() -> AppError {
    AppError::rejected(
        "featuredProduct",
        "The product was deleted while the collection was being saved.",
    )
}

/// Deletes a collection unless it still has products, through the RESTRICT
/// foreign key as for products. `false` when missing.
pub async fn delete_collection(conn: &mut AsyncPgConnection, id: i64) -> AppResult<bool> {
    let deleted = diesel::delete(collections::table.find(id))
        .execute(conn)
        .await
        .on_constraint("products_collection_id_fkey", || {
            AppError::MethodNotAllowed(COLLECTION_DELETE_GUARD.into())
        })?;
    Ok(deleted > 0)
}
