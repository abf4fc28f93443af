//! Tags and taggings in SQL. Every statement names the content type by
//! `(app_label, model)` and joins `content_types` for its id.

use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::Value as Json;

use super::model::{ContentType, TagRow, TaggedRow};
use crate::db::pagination::KeysetSource;
use crate::db::schema::tags;
use crate::db::sql::{Bind, Sql};
use crate::error::{AppError, AppResult};

/// The tags of each of `object_ids` (of kind `kind`), by label.
pub async fn tags_of(
    conn: &mut AsyncPgConnection, kind: ContentType, object_ids: &[i64],
) -> AppResult<Vec<TaggedRow>> {
    let rows = diesel::sql_query(
        "SELECT ti.object_id, t.id, t.label FROM tagged_items ti \
         JOIN tags t ON t.id = ti.tag_id \
         JOIN content_types ct ON ct.id = ti.content_type_id \
         WHERE ct.app_label = $1 AND ct.model = $2 AND ti.object_id = ANY($3) \
         ORDER BY t.label, t.id",
    )
    .bind::<Text, _>(kind.app_label)
    .bind::<Text, _>(kind.model)
    .bind::<Array<BigInt>, _>(object_ids)
    .load(conn)
    .await?;
    Ok(rows)
}

/// A new tag; `BAD_USER_INPUT` on `label` when one with that label exists.
pub async fn create_tag(conn: &mut AsyncPgConnection, label: &str) -> AppResult<TagRow> {
    let created: Option<TagRow> = diesel::insert_into(tags::table)
        .values(tags::label.eq(label))
        .on_conflict(tags::label)
        .do_nothing()
        .returning(TagRow::as_returning())
        .get_result(conn)
        .await
        .optional()?;
    created.ok_or_else(|| AppError::bad_input("label", "Tag with this label already exists."))
}

/// Tags object `object_id` (of kind `kind`) with `label`, making the tag when there is
/// none; tagging twice changes nothing. One transaction.
pub async fn tag_object(
    conn: &mut AsyncPgConnection, kind: ContentType, object_id: i64, label: &str,
) -> AppResult<TagRow> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let tag: TagRow = diesel::insert_into(tags::table)
            .values(tags::label.eq(label))
            .on_conflict(tags::label)
            .do_update()
            .set(tags::label.eq(diesel::upsert::excluded(tags::label)))
            .returning(TagRow::as_returning())
            .get_result(&mut *conn)
            .await?;
        let sql = "INSERT INTO tagged_items (tag_id, content_type_id, object_id) \
             SELECT $3, ct.id, $4 FROM content_types ct WHERE ct.app_label = $1 AND ct.model = $2 \
             ON CONFLICT DO NOTHING";
        execute_for_kind(conn, sql, kind, [tag.id, object_id]).await?;
        Ok(tag)
    })
    .await
}

/// Removes tag `tag_id` from the object; whether it had it.
pub async fn untag_object(
    conn: &mut AsyncPgConnection, kind: ContentType, object_id: i64, tag_id: i64,
) -> AppResult<bool> {
    let sql = "DELETE FROM tagged_items ti USING content_types ct \
         WHERE ct.id = ti.content_type_id AND ct.app_label = $1 AND ct.model = $2 \
           AND ti.object_id = $3 AND ti.tag_id = $4";
    let removed = execute_for_kind(conn, sql, kind, [object_id, tag_id]).await?;
    Ok(removed > 0)
}

/// Deletes a tag and its taggings; whether it existed.
pub async fn delete_tag(conn: &mut AsyncPgConnection, id: i64) -> AppResult<bool> {
    let deleted = diesel::delete(tags::table.find(id)).execute(conn).await?;
    Ok(deleted > 0)
}

/// ` AND EXISTS (…)`: the object in `object_column` (of kind `kind`) has the tag `label`.
pub fn push_tagged_with(sql: &mut Sql, kind: ContentType, object_column: &str, label: &str) {
    sql.push(
        " AND EXISTS (SELECT 1 FROM tagged_items ti JOIN tags t ON t.id = ti.tag_id \
         JOIN content_types ct ON ct.id = ti.content_type_id WHERE t.label = ",
    )
    .bind(Bind::Text(label.to_owned()))
    .push(" AND ct.app_label = ")
    .bind(Bind::Text(kind.app_label.to_owned()))
    .push(" AND ct.model = ")
    .bind(Bind::Text(kind.model.to_owned()))
    .push(&format!(" AND ti.object_id = {object_column})"));
}

/// Tags whose label contains `search` (case-insensitive; all when `None`), by label
/// then id.
pub struct TagsMatching(pub Option<String>);

impl TagsMatching {
    fn pattern(&self) -> Option<String> {
        self.0.as_ref().map(|s| format!("%{}%", crate::db::sql::escape_like(s)))
    }
}

impl KeysetSource for TagsMatching {
    type Row = TagRow;

    fn columns(&self) -> &str {
        "t.id, t.label"
    }

    fn order(&self) -> Vec<(&'static str, bool)> {
        vec![("t.label", false), ("t.id", false)]
    }

    fn push_source(&self, sql: &mut Sql) {
        sql.push(" FROM tags t WHERE TRUE");
        if let Some(pattern) = self.pattern() {
            sql.push(" AND t.label ILIKE ").bind(Bind::Text(pattern));
        }
    }

    fn binds(&self, keys: &[Json]) -> Option<Vec<Bind>> {
        match keys {
            [label, id] => {
                Some(vec![Bind::Text(label.as_str()?.to_owned()), Bind::BigInt(id.as_i64()?)])
            }
            _ => None,
        }
    }

    fn keys(&self, row: &TagRow) -> Vec<Json> {
        vec![Json::from(row.label.clone()), Json::from(row.id)]
    }
}

/// How many tags match (see [`TagsMatching`]).
pub async fn count_tags(conn: &mut AsyncPgConnection, search: &TagsMatching) -> AppResult<i64> {
    let mut query = tags::table.into_boxed();
    if let Some(pattern) = search.pattern() {
        query = query.filter(tags::label.ilike(pattern));
    }
    Ok(query.count().get_result(conn).await?)
}

/// Runs one statement about objects of `kind`: `$1` and `$2` are its content type (app
/// label, model), `$3` and `$4` the two ids it names. The number of rows it touched.
pub(crate) async fn execute_for_kind(
    conn: &mut AsyncPgConnection, sql: &'static str, kind: ContentType, [first, second]: [i64; 2],
) -> AppResult<usize> {
    Ok(diesel::sql_query(sql)
        .bind::<Text, _>(kind.app_label)
        .bind::<Text, _>(kind.model)
        .bind::<BigInt, _>(first)
        .bind::<BigInt, _>(second)
        .execute(conn)
        .await?)
}
