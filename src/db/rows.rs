//! The row functions every table with an `id` key has, written once.
//!
//! A repo declares the ones its table needs, by name, in one line each:
//!
//! ```ignore
//! crate::db::rows::by_id!(products => ProductRow: find_product, products_by_ids, product_exists);
//! crate::db::rows::insert!(products => ProductRow: insert_product(NewProduct));
//! crate::db::rows::children!(reviews => ReviewRow, product_id:
//!     list_reviews, reviews_by_product_ids, find_review);
//! ```
//!
//! They expand to plain `pub async fn`s on the typed Diesel DSL (checked columns, cached
//! prepared statements), so a repo's functions still read `repo::find_product(conn, id)`
//! and the SQL each sends is the one a hand-written function would send.

use diesel::result::Error as DieselError;

use crate::error::{AppError, AppResult, ResultExt};

/// A constraint by name, and the error its violation is answered with.
pub type Constraint<'a> = (&'a str, fn() -> AppError);

/// `result`, with the violation of `on` (when named) answered by its own error.
pub fn constraint<T>(result: Result<T, DieselError>, on: Option<Constraint<'_>>) -> AppResult<T> {
    match on {
        Some((name, map)) => result.on_constraint(name, map),
        None => Ok(result?),
    }
}

/// Reads by id: `$find(conn, id)` (one row or `None`), `$by_ids(conn, ids)` (a loader's
/// batch, in no order) and `$exists(conn, id)`, the last two when named.
macro_rules! by_id {
    ($table:ident => $row:ty: $find:ident $(, $by_ids:ident $(, $exists:ident)?)?) => {
        #[doc = concat!("The `", stringify!($table), "` row `id`, or `None`.")]
        pub async fn $find(
            conn: &mut diesel_async::AsyncPgConnection, id: i64,
        ) -> $crate::error::AppResult<Option<$row>> {
            use diesel::prelude::*;
            let query = $table::table.find(id).select(<$row>::as_select());
            $crate::db::first_or_none(conn, query).await
        }

        $(
            #[doc = concat!("The `", stringify!($table), "` rows of `ids`, in no order.")]
            pub async fn $by_ids(
                conn: &mut diesel_async::AsyncPgConnection, ids: &[i64],
            ) -> $crate::error::AppResult<Vec<$row>> {
                use diesel::prelude::*;
                use diesel_async::RunQueryDsl;
                let query = $table::table.filter($table::id.eq_any(ids));
                Ok(query.select(<$row>::as_select()).load(conn).await?)
            }

            $(
                #[doc = concat!("Whether the `", stringify!($table), "` row `id` exists.")]
                pub async fn $exists(
                    conn: &mut diesel_async::AsyncPgConnection, id: i64,
                ) -> $crate::error::AppResult<bool> {
                    use diesel_async::RunQueryDsl;
                    let query = diesel::select(diesel::dsl::exists($table::table.find(id)));
                    Ok(query.get_result(conn).await?)
                }
            )?
        )?
    };
}

/// `$insert(conn, &new)`: inserts a row, `RETURNING` it; a violation of the named
/// constraint is answered by `$map()`.
macro_rules! insert {
    ($table:ident => $row:ty: $insert:ident($new:ty) $(, on $constraint:literal => $map:expr)?) => {
        #[doc = concat!("Inserts a `", stringify!($table), "` row.")]
        pub async fn $insert(
            conn: &mut diesel_async::AsyncPgConnection, new: &$new,
        ) -> $crate::error::AppResult<$row> {
            use diesel::prelude::*;
            use diesel_async::RunQueryDsl;
            let query = diesel::insert_into($table::table).values(new);
            let query = query.returning(<$row>::as_returning());
            let on = $crate::db::rows::on!($($constraint => $map)?);
            $crate::db::rows::constraint(query.get_result(conn).await, on)
        }
    };
}

/// `$update(conn, id, &changes)`: applies `changes` to the row `id`, `RETURNING` it, `None`
/// when it does not exist; a violation of the named constraint is answered by `$map()`.
macro_rules! update {
    ($table:ident => $row:ty: $update:ident($changes:ty) $(, on $constraint:literal => $map:expr)?) => {
        #[doc = concat!("Applies `changes` to the `", stringify!($table), "` row `id`, if any.")]
        pub async fn $update(
            conn: &mut diesel_async::AsyncPgConnection, id: i64, changes: &$changes,
        ) -> $crate::error::AppResult<Option<$row>> {
            use diesel::prelude::*;
            use diesel_async::RunQueryDsl;
            let query = diesel::update($table::table.find(id)).set(changes);
            let query = query.returning(<$row>::as_returning());
            let on = $crate::db::rows::on!($($constraint => $map)?);
            $crate::db::rows::constraint(query.get_result(conn).await.optional(), on)
        }
    };
}

/// Reads of rows that belong to a parent row through `$parent` (a product's reviews or
/// images), by id: `$list(conn, parent, limit)`, `$of_parents(conn, parents)` (a loader's
/// batch, by parent then id) and `$find(conn, parent, id)` (a row of another parent is not
/// found).
macro_rules! children {
    ($table:ident => $row:ty, $parent:ident: $list:ident, $of_parents:ident, $find:ident) => {
        #[doc = concat!("The first `limit` `", stringify!($table), "` of `parent`, by id.")]
        pub async fn $list(
            conn: &mut diesel_async::AsyncPgConnection, parent: i64, limit: i64,
        ) -> $crate::error::AppResult<Vec<$row>> {
            use diesel::prelude::*;
            use diesel_async::RunQueryDsl;
            let query = $table::table.filter($table::$parent.eq(parent)).order($table::id.asc());
            Ok(query.limit(limit).select(<$row>::as_select()).load(conn).await?)
        }

        #[doc = concat!("The `", stringify!($table), "` of each of `parents`, by parent then id.")]
        pub async fn $of_parents(
            conn: &mut diesel_async::AsyncPgConnection, parents: &[i64],
        ) -> $crate::error::AppResult<Vec<$row>> {
            use diesel::prelude::*;
            use diesel_async::RunQueryDsl;
            let query = $table::table.filter($table::$parent.eq_any(parents));
            let query = query.order(($table::$parent.asc(), $table::id.asc()));
            Ok(query.select(<$row>::as_select()).load(conn).await?)
        }

        #[doc = concat!("The `", stringify!($table), "` row `id` of `parent`, or `None`.")]
        pub async fn $find(
            conn: &mut diesel_async::AsyncPgConnection, parent: i64, id: i64,
        ) -> $crate::error::AppResult<Option<$row>> {
            use diesel::prelude::*;
            let query = $table::table.filter($table::id.eq(id).and($table::$parent.eq(parent)));
            $crate::db::first_or_none(conn, query.select(<$row>::as_select())).await
        }
    };
}

/// The constraint a write of [`insert!`] or [`update!`] answers with its own error, if any.
macro_rules! on {
    () => {
        None
    };
    ($constraint:literal => $map:expr) => {
        Some(($constraint, $map as fn() -> $crate::error::AppError))
    };
}

/// `$delete(conn, id)`: deletes the row, `false` when it does not exist. A row that others
/// still refer to through the RESTRICT foreign key `$constraint` stays, refused atomically
/// by PostgreSQL, and the caller is answered `METHOD_NOT_ALLOWED` with `$guard`.
macro_rules! guarded_delete {
    ($table:ident: $delete:ident, restricted by $constraint:literal => $guard:expr) => {
        #[doc = concat!("Deletes the `", stringify!($table), "` row `id` unless others refer to it.")]
        pub async fn $delete(
            conn: &mut diesel_async::AsyncPgConnection, id: i64,
        ) -> $crate::error::AppResult<bool> {
            use diesel::QueryDsl;
            use diesel_async::RunQueryDsl;
            use $crate::error::{AppError, ResultExt};
            let deleted = diesel::delete($table::table.find(id)).execute(conn).await;
            let deleted =
                deleted.on_constraint($constraint, || AppError::MethodNotAllowed($guard.into()));
            Ok(deleted? > 0)
        }
    };
}

pub(crate) use {by_id, children, guarded_delete, insert, on, update};
