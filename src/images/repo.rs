//! Product image queries.

use diesel::{BoolExpressionMethods, ExpressionMethods, QueryDsl};
use diesel_async::AsyncPgConnection;

use super::model::{NewProductImage, ProductImageRow};
use crate::db::schema::product_images;
use crate::error::AppResult;

crate::db::rows::children!(product_images => ProductImageRow, product_id:
    list_for_product, for_products, find);

crate::db::rows::insert!(product_images => ProductImageRow: insert(NewProductImage));
crate::db::rows::update!(product_images => ProductImageRow: replace(NewProductImage));

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
