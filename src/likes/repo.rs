//! Likes in SQL.

use chrono::{DateTime, Utc};
use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::Value as Json;

use crate::db::pagination::KeysetSource;
use crate::db::sql::{Bind, Sql};
use crate::error::AppResult;
use crate::tags::model::ContentType;
use crate::tags::repo::execute_for_kind;

/// `user_id` likes the object (`liked`: liking twice changes nothing) or no longer likes
/// it (nothing when they did not).
pub async fn set_liked(
    conn: &mut AsyncPgConnection, user_id: i64, (kind, object_id): (ContentType, i64), liked: bool,
) -> AppResult<()> {
    let sql = if liked {
        "INSERT INTO liked_items (user_id, content_type_id, object_id) \
         SELECT $3, ct.id, $4 FROM content_types ct WHERE ct.app_label = $1 AND ct.model = $2 \
         ON CONFLICT DO NOTHING"
    } else {
        "DELETE FROM liked_items li USING content_types ct \
         WHERE ct.id = li.content_type_id AND ct.app_label = $1 AND ct.model = $2 \
           AND li.user_id = $3 AND li.object_id = $4"
    };
    execute_for_kind(conn, sql, kind, [user_id, object_id]).await?;
    Ok(())
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = BigInt)]
    object_id: i64,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many likes each of `object_ids` has (objects without likes are left out).
pub async fn counts(
    conn: &mut AsyncPgConnection, kind: ContentType, object_ids: &[i64],
) -> AppResult<Vec<(i64, i64)>> {
    let rows: Vec<Counted> = diesel::sql_query(
        "SELECT li.object_id, count(*) AS n FROM liked_items li \
         JOIN content_types ct ON ct.id = li.content_type_id \
         WHERE ct.app_label = $1 AND ct.model = $2 AND li.object_id = ANY($3) \
         GROUP BY li.object_id",
    )
    .bind::<Text, _>(kind.app_label)
    .bind::<Text, _>(kind.model)
    .bind::<Array<BigInt>, _>(object_ids)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.object_id, r.n)).collect())
}

/// Which of `object_ids` each user of `user_ids` likes: `(user_id, object_id)` pairs.
pub async fn liked_by(
    conn: &mut AsyncPgConnection, kind: ContentType, user_ids: &[i64], object_ids: &[i64],
) -> AppResult<Vec<(i64, i64)>> {
    #[derive(QueryableByName)]
    struct Liked {
        #[diesel(sql_type = BigInt)]
        user_id: i64,
        #[diesel(sql_type = BigInt)]
        object_id: i64,
    }
    let rows: Vec<Liked> = diesel::sql_query(
        "SELECT li.user_id, li.object_id FROM liked_items li \
         JOIN content_types ct ON ct.id = li.content_type_id \
         WHERE ct.app_label = $1 AND ct.model = $2 \
           AND li.user_id = ANY($3) AND li.object_id = ANY($4)",
    )
    .bind::<Text, _>(kind.app_label)
    .bind::<Text, _>(kind.model)
    .bind::<Array<BigInt>, _>(user_ids)
    .bind::<Array<BigInt>, _>(object_ids)
    .load(conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.user_id, r.object_id)).collect())
}

/// One like of a user's list.
#[derive(QueryableByName, Debug, Clone)]
pub struct LikeRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = BigInt)]
    pub object_id: i64,
    #[diesel(sql_type = Timestamptz)]
    pub liked_at: DateTime<Utc>,
}

/// What one user likes of a kind, most recent first.
pub struct LikesOf {
    pub user_id: i64,
    pub kind: ContentType,
}

impl KeysetSource for LikesOf {
    type Row = LikeRow;

    fn columns(&self) -> &str {
        "li.id, li.object_id, li.liked_at"
    }

    fn order(&self) -> Vec<(&'static str, bool)> {
        vec![("li.id", true)]
    }

    fn push_source(&self, sql: &mut Sql) {
        sql.push(
            " FROM liked_items li JOIN content_types ct ON ct.id = li.content_type_id \
             WHERE li.user_id = ",
        )
        .bind(Bind::BigInt(self.user_id))
        .push(" AND ct.app_label = ")
        .bind(Bind::Text(self.kind.app_label.to_owned()))
        .push(" AND ct.model = ")
        .bind(Bind::Text(self.kind.model.to_owned()));
    }

    fn keys(&self, row: &LikeRow) -> Vec<Json> {
        vec![Json::from(row.id)]
    }
}

/// How many objects of the kind `user_id` likes.
pub async fn count_of(conn: &mut AsyncPgConnection, likes: &LikesOf) -> AppResult<i64> {
    let mut sql = Sql::default();
    sql.push("SELECT count(*) AS value");
    likes.push_source(&mut sql);
    Ok(sql.fetch_i64(conn).await?)
}
