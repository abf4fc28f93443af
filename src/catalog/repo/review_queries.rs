//! Review queries.

use super::*;

// ---------------------------------------------------------------------------------------
// Reviews
// ---------------------------------------------------------------------------------------

pub async fn list_reviews(
    conn: &mut AsyncPgConnection, product_id: i64, limit: i64,
) -> AppResult<Vec<ReviewRow>> {
    Ok(reviews::table
        .filter(reviews::product_id.eq(product_id))
        .order(reviews::id.asc())
        .limit(limit)
        .select(ReviewRow::as_select())
        .load(conn)
        .await?)
}

pub async fn reviews_by_product_ids(
    conn: &mut AsyncPgConnection, product_ids: &[i64],
) -> AppResult<Vec<ReviewRow>> {
    Ok(reviews::table
        .filter(reviews::product_id.eq_any(product_ids))
        .order((reviews::product_id.asc(), reviews::id.asc()))
        .select(ReviewRow::as_select())
        .load(conn)
        .await?)
}

/// A review of `product_id` (a review of another product is not found).
pub async fn find_review(
    conn: &mut AsyncPgConnection, product_id: i64, id: i64,
) -> AppResult<Option<ReviewRow>> {
    let query = reviews::table
        .filter(reviews::id.eq(id).and(reviews::product_id.eq(product_id)))
        .select(ReviewRow::as_select());
    crate::db::first_or_none(conn, query).await
}

pub async fn insert_review(
    conn: &mut AsyncPgConnection, review: &NewReview,
) -> AppResult<ReviewRow> {
    diesel::insert_into(reviews::table)
        .values(review)
        .returning(ReviewRow::as_returning())
        .get_result(conn)
        .await
        .on_constraint("reviews_product_id_fkey", AppError::not_found)
}

pub async fn update_review(
    conn: &mut AsyncPgConnection, product_id: i64, id: i64, changes: &ReviewChanges,
) -> AppResult<Option<ReviewRow>> {
    let target = reviews::table.filter(reviews::id.eq(id).and(reviews::product_id.eq(product_id)));
    if changes.name.is_none() && changes.description.is_none() {
        // Nothing to set: an empty PATCH answers with the review as it is.
        return find_review(conn, product_id, id).await;
    }
    let query = diesel::update(target).set(changes).returning(ReviewRow::as_returning());
    crate::db::one_or_none(conn, query).await
}

pub async fn delete_review(
    conn: &mut AsyncPgConnection, product_id: i64, id: i64,
) -> AppResult<bool> {
    let deleted = diesel::delete(
        reviews::table.filter(reviews::id.eq(id).and(reviews::product_id.eq(product_id))),
    )
    .execute(conn)
    .await?;
    Ok(deleted > 0)
}
