//! Tag rows.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// A tag.
#[derive(Queryable, Selectable, QueryableByName, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = crate::db::schema::tags)]
pub struct TagRow {
    pub id: i64,
    pub label: String,
}

/// A tag of one object.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct TaggedRow {
    #[diesel(sql_type = BigInt)]
    pub object_id: i64,
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub label: String,
}

impl From<TaggedRow> for TagRow {
    fn from(row: TaggedRow) -> Self {
        Self { id: row.id, label: row.label }
    }
}

/// The kind of object a tagging or a like names: a row of `content_types`, by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContentType {
    pub app_label: &'static str,
    pub model: &'static str,
}
