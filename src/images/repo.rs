//! Product image queries.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::model::{NewProductImage, ProductImageRow};
use crate::db::schema::product_images;
use crate::error::AppResult;

pub async fn list_for_product(
    conn: &mut AsyncPgConnection, product_id: i64, limit: i64,
) -> AppResult<Vec<ProductImageRow>> {
    Ok(product_images::table
        .filter(product_images::product_id.eq(product_id))
        .order(product_images::id.asc())
        .limit(limit)
        .select(ProductImageRow::as_select())
        .load(conn)
        .await?)
}

pub async fn for_products(
    conn: &mut AsyncPgConnection, ids: &[i64],
) -> AppResult<Vec<ProductImageRow>> {
    Ok(product_images::table
        .filter(product_images::product_id.eq_any(ids))
        .order((product_images::product_id.asc(), product_images::id.asc()))
        .select(ProductImageRow::as_select())
        .load(conn)
        .await?)
}

pub async fn find(
    conn: &mut AsyncPgConnection, product_id: i64, id: i64,
) -> AppResult<Option<ProductImageRow>> {
    let query = product_images::table
        .filter(product_images::id.eq(id).and(product_images::product_id.eq(product_id)))
        .select(ProductImageRow::as_select());
    crate::db::first_or_none(conn, query).await
}

pub async fn insert(
    conn: &mut AsyncPgConnection, new: &NewProductImage,
) -> AppResult<ProductImageRow> {
    Ok(diesel::insert_into(product_images::table)
        .values(new)
        .returning(ProductImageRow::as_returning())
        .get_result(conn)
        .await?)
}

pub async fn replace(
    conn: &mut AsyncPgConnection, id: i64, new: &NewProductImage,
) -> AppResult<Option<ProductImageRow>> {
    let query = diesel::update(product_images::table.find(id))
        .set(new)
        .returning(ProductImageRow::as_returning());
    crate::db::one_or_none(conn, query).await
}

pub async fn delete(
    conn: &mut AsyncPgConnection, product_id: i64, id: i64,
) -> AppResult<Option<String>> {
    let query = diesel::delete(
        product_images::table
            .filter(product_images::id.eq(id).and(product_images::product_id.eq(product_id))),
    )
    .returning(product_images::image);
    crate::db::one_or_none(conn, query).await
}
