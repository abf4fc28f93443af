//! Review queries.

use super::*;

// ---------------------------------------------------------------------------------------
// Reviews
// ---------------------------------------------------------------------------------------

crate::db::rows::children!(reviews => ReviewRow, product_id:
    list_reviews, reviews_by_product_ids, find_review);

crate::db::rows::insert!(reviews => ReviewRow: insert_review(NewReview),
    on "reviews_product_id_fkey" => AppError::not_found);

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
