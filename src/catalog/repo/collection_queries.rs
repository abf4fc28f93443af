//! Collection queries.

use super::*;

// ---------------------------------------------------------------------------------------
// Collections
// ---------------------------------------------------------------------------------------

/// A collection with its product count.
#[derive(QueryableByName)]
pub(super) struct CountedCollection {
    #[diesel(embed)]
    collection: CollectionRow,
    #[diesel(sql_type = BigInt)]
    products_count: i64,
}

/// Counting with a correlated subquery reads the `collection_id` index for each
/// collection instead of grouping every product.
pub(super) const COUNTED_COLLECTIONS: &str = "SELECT c.id, c.title, c.featured_product_id, \
     (SELECT count(*) FROM products p WHERE p.collection_id = c.id) AS products_count \
     FROM collections c";

/// All collections by title then id, each with its product count when `with_counts`.
pub async fn list_collections(
    conn: &mut AsyncPgConnection,
    with_counts: bool,
    limit: i64,
) -> AppResult<Vec<(CollectionRow, Option<i64>)>> {
    if with_counts {
        let mut sql = Sql::default();
        sql.push(COUNTED_COLLECTIONS)
            .push(" ORDER BY c.title, c.id LIMIT ")
            .bind(Bind::BigInt(limit));
        let rows: Vec<CountedCollection> = sql.load(conn).await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.collection, Some(r.products_count)))
            .collect())
    } else {
        let rows: Vec<CollectionRow> = collections::table
            .select(CollectionRow::as_select())
            .order((collections::title.asc(), collections::id.asc()))
            .limit(limit)
            .load(conn)
            .await?;
        Ok(rows.into_iter().map(|c| (c, None)).collect())
    }
}

pub async fn find_collection(
    conn: &mut AsyncPgConnection,
    id: i64,
    with_count: bool,
) -> AppResult<Option<(CollectionRow, Option<i64>)>> {
    if with_count {
        let mut sql = Sql::default();
        sql.push(COUNTED_COLLECTIONS)
            .push(" WHERE c.id = ")
            .bind(Bind::BigInt(id));
        let row: Option<CountedCollection> = sql.get_result(conn).await.optional()?;
        Ok(row.map(|r| (r.collection, Some(r.products_count))))
    } else {
        let row: Option<CollectionRow> = collections::table
            .find(id)
            .select(CollectionRow::as_select())
            .first(conn)
            .await
            .optional()?;
        Ok(row.map(|c| (c, None)))
    }
}

pub async fn collections_by_ids(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> AppResult<Vec<CollectionRow>> {
    Ok(collections::table
        .filter(collections::id.eq_any(ids))
        .select(CollectionRow::as_select())
        .load(conn)
        .await?)
}

pub async fn product_counts_by_collection(
    conn: &mut AsyncPgConnection,
    ids: &[i64],
) -> AppResult<Vec<(i64, i64)>> {
    Ok(products::table
        .filter(products::collection_id.eq_any(ids))
        .group_by(products::collection_id)
        .select((products::collection_id, count(products::id)))
        .load(conn)
        .await?)
}

pub async fn collection_exists(conn: &mut AsyncPgConnection, id: i64) -> AppResult<bool> {
    Ok(diesel::select(exists(collections::table.find(id)))
        .get_result(conn)
        .await?)
}

pub async fn insert_collection(
    conn: &mut AsyncPgConnection,
    collection: &NewCollection,
) -> AppResult<CollectionRow> {
    diesel::insert_into(collections::table)
        .values(collection)
        .returning(CollectionRow::as_returning())
        .get_result(conn)
        .await
        .on_constraint("collections_featured_product_id_fkey", featured_gone)
}

pub async fn update_collection(
    conn: &mut AsyncPgConnection,
    id: i64,
    changes: &CollectionChanges,
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
