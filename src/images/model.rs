//! Product image rows.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::product_images;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = product_images, check_for_backend(diesel::pg::Pg))]
pub struct ProductImageRow {
    pub id: i64,
    pub product_id: i64,
    /// Path relative to `MEDIA_ROOT`, e.g. `store/images/dog.jpg`.
    pub image: String,
    pub width: i32,
    pub height: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = product_images)]
pub struct NewProductImage {
    pub product_id: i64,
    pub image: String,
    pub width: i32,
    pub height: i32,
}
