//! Queries of the identity tables.

use std::collections::HashSet;

use chrono::Utc;
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use super::model::{GroupRow, NewUser, UserChanges, UserRow};
use super::rules::{EMAIL_TAKEN, USERNAME_TAKEN};
use crate::db::schema::{
    content_types, customers, group_permissions, groups, permissions, user_groups,
    user_permissions, users,
};
use crate::error::{AppError, AppResult, FieldErrors, OrNotFound, ResultExt};

/// Creates a user **and** its customer profile in one transaction: no user ever
/// exists without a customer, and a failed insert leaves neither.
pub async fn create_user(conn: &mut AsyncPgConnection, new: &NewUser) -> AppResult<UserRow> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let user = diesel::insert_into(users::table)
            .values(new)
            .returning(UserRow::as_returning())
            .get_result(conn)
            .await
            .on_constraint("users_username_key", || AppError::rejected("username", USERNAME_TAKEN))
            .on_constraint("users_email_key", || AppError::rejected("email", EMAIL_TAKEN))?;
        diesel::insert_into(customers::table)
            .values(customers::user_id.eq(user.id))
            .execute(conn)
            .await?;
        Ok(user)
    })
    .await
}

/// [`create_user`] plus the welcome mail, queued in the same transaction.
pub async fn register_user(conn: &mut AsyncPgConnection, new: &NewUser) -> AppResult<UserRow> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let user = create_user(conn, new).await?;
        crate::jobs::enqueue(
            conn,
            crate::jobs::task::SEND_WELCOME_EMAIL,
            serde_json::json!({ "user_id": user.id }),
            Some(10),
        )
        .await?;
        Ok(user)
    })
    .await
}

crate::db::rows::by_id!(users => UserRow: find_user, users_by_ids);

pub async fn find_user_by_username(
    conn: &mut AsyncPgConnection, username: &str,
) -> AppResult<Option<UserRow>> {
    let query = users::table.filter(users::username.eq(username)).select(UserRow::as_select());
    crate::db::first_or_none(conn, query).await
}

/// Adds the uniqueness errors of a username and an email (another user's, when updating).
pub async fn check_unique(
    conn: &mut AsyncPgConnection, errors: &mut FieldErrors, username: Option<&str>,
    email: Option<&str>, except: Option<i64>,
) -> AppResult<()> {
    let except = except.unwrap_or(0);
    if let Some(username) = username {
        let taken: bool = diesel::select(exists(
            users::table.filter(users::username.eq(username).and(users::id.ne(except))),
        ))
        .get_result(conn)
        .await?;
        if taken {
            errors.add("username", USERNAME_TAKEN);
        }
    }
    if let Some(email) = email {
        let taken: bool = diesel::select(exists(
            users::table.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = lower(")
                    .bind::<diesel::sql_types::Text, _>(email.to_owned())
                    .sql(")")
                    .and(users::id.ne(except)),
            ),
        ))
        .get_result(conn)
        .await?;
        if taken {
            errors.add("email", EMAIL_TAKEN);
        }
    }
    Ok(())
}

pub async fn touch_last_login(conn: &mut AsyncPgConnection, id: i64) -> AppResult<()> {
    diesel::update(users::table.find(id))
        .set(users::last_login.eq(Utc::now()))
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn update_user(
    conn: &mut AsyncPgConnection, id: i64, changes: &UserChanges,
) -> AppResult<UserRow> {
    if changes.first_name.is_none() && changes.last_name.is_none() && changes.email.is_none() {
        return find_user(conn, id).await.or_not_found();
    }
    diesel::update(users::table.find(id))
        .set(changes)
        .returning(UserRow::as_returning())
        .get_result(conn)
        .await
        .on_constraint("users_email_key", || AppError::rejected("email", EMAIL_TAKEN))
}

pub async fn set_password(conn: &mut AsyncPgConnection, id: i64, hash: &str) -> AppResult<()> {
    diesel::update(users::table.find(id)).set(users::password.eq(hash)).execute(conn).await?;
    Ok(())
}

/// Activates or deactivates a user; `None` when there is no such user.
pub async fn change_active(
    conn: &mut AsyncPgConnection, user_id: i64, active: bool,
) -> AppResult<Option<UserRow>> {
    let query = diesel::update(users::table.find(user_id))
        .set(users::is_active.eq(active))
        .returning(UserRow::as_returning());
    crate::db::one_or_none(conn, query).await
}

/// The ids of active superusers, locked until the end of the caller's transaction (so
/// two concurrent demotions cannot both see another superuser left).
pub async fn lock_active_superusers(conn: &mut AsyncPgConnection) -> AppResult<Vec<i64>> {
    Ok(users::table
        .filter(users::is_superuser.eq(true).and(users::is_active.eq(true)))
        .select(users::id)
        .order(users::id.asc())
        .for_update()
        .load(conn)
        .await?)
}

pub async fn set_staff(
    conn: &mut AsyncPgConnection, id: i64, is_staff: bool,
) -> AppResult<Option<UserRow>> {
    let query = diesel::update(users::table.find(id))
        .set(users::is_staff.eq(is_staff))
        .returning(UserRow::as_returning());
    crate::db::one_or_none(conn, query).await
}

pub async fn set_active(conn: &mut AsyncPgConnection, id: i64, is_active: bool) -> AppResult<()> {
    diesel::update(users::table.find(id)).set(users::is_active.eq(is_active)).execute(conn).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Password resets
// ---------------------------------------------------------------------------------------

/// How long a reset token stays valid.
pub const PASSWORD_RESET_MINUTES: i64 = 60;

/// Only the SHA-256 of a token is stored.
pub fn hash_token(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.trim().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates a single-use token for `user_id` and queues its mail, in one transaction.
/// Records a reset request for `user_id` and queues its mail, in one transaction. Earlier
/// live requests of the user are retired. The stored hash is a placeholder of a secret
/// nobody sees; the mail job makes the real token (see `arm_password_reset`).
pub async fn create_password_reset(conn: &mut AsyncPgConnection, user_id: i64) -> AppResult<()> {
    use crate::db::schema::password_resets;
    let placeholder = hash_token(&new_secret());
    conn.transaction::<_, AppError, _>(async |conn| {
        retire_password_resets(conn, user_id).await?;
        let reset_id: i64 = diesel::insert_into(password_resets::table)
            .values((
                password_resets::user_id.eq(user_id),
                password_resets::token_hash.eq(placeholder),
                password_resets::expires_at
                    .eq(Utc::now() + chrono::Duration::minutes(PASSWORD_RESET_MINUTES)),
            ))
            .returning(password_resets::id)
            .get_result(conn)
            .await?;
        crate::jobs::enqueue(
            conn,
            crate::jobs::task::SEND_PASSWORD_RESET,
            serde_json::json!({ "reset_id": reset_id }),
            Some(10),
        )
        .await?;
        Ok(())
    })
    .await
}

fn new_secret() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// Makes the token of a live reset request: stores its SHA-256 and returns
/// `(user_id, token, minutes left)`. `None` when the request was retired or expired.
pub async fn arm_password_reset(
    conn: &mut AsyncPgConnection, reset_id: i64,
) -> AppResult<Option<(i64, String, i64)>> {
    use crate::db::schema::password_resets;
    let token = new_secret();
    let armed: Option<(i64, chrono::DateTime<Utc>)> = diesel::update(
        password_resets::table.filter(
            password_resets::id
                .eq(reset_id)
                .and(password_resets::used_at.is_null())
                .and(password_resets::expires_at.gt(Utc::now())),
        ),
    )
    .set(password_resets::token_hash.eq(hash_token(&token)))
    .returning((password_resets::user_id, password_resets::expires_at))
    .get_result(conn)
    .await
    .optional()?;
    Ok(armed.map(|(user_id, expires_at)| {
        let minutes = (expires_at - Utc::now()).num_minutes().max(1);
        (user_id, token, minutes)
    }))
}

/// Retires every live reset request of a user (a newer request, or a completed reset).
pub async fn retire_password_resets(conn: &mut AsyncPgConnection, user_id: i64) -> AppResult<()> {
    use crate::db::schema::password_resets;
    diesel::update(
        password_resets::table
            .filter(password_resets::user_id.eq(user_id).and(password_resets::used_at.is_null())),
    )
    .set(password_resets::used_at.eq(Utc::now()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes the reset requests that are used or expired (nightly); how many.
pub async fn delete_spent_resets(conn: &mut AsyncPgConnection) -> AppResult<usize> {
    use crate::db::schema::password_resets;
    let spent =
        password_resets::used_at.is_not_null().or(password_resets::expires_at.lt(diesel::dsl::now));
    Ok(diesel::delete(password_resets::table.filter(spent)).execute(conn).await?)
}

/// Marks a live token used and returns its user (inside the caller's transaction).
pub async fn consume_password_reset(
    conn: &mut AsyncPgConnection, token: &str,
) -> AppResult<Option<i64>> {
    use crate::db::schema::password_resets;
    let query = diesel::update(
        password_resets::table.filter(
            password_resets::token_hash
                .eq(hash_token(token))
                .and(password_resets::used_at.is_null())
                .and(password_resets::expires_at.gt(Utc::now())),
        ),
    )
    .set(password_resets::used_at.eq(Utc::now()))
    .returning(password_resets::user_id);
    crate::db::one_or_none(conn, query).await
}

pub async fn find_active_user_by_email(
    conn: &mut AsyncPgConnection, email: &str,
) -> AppResult<Option<UserRow>> {
    let query = users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = lower(")
                .bind::<diesel::sql_types::Text, _>(email.trim().to_owned())
                .sql(")")
                .and(users::is_active.eq(true)),
        )
        .select(UserRow::as_select());
    crate::db::first_or_none(conn, query).await
}

// ---------------------------------------------------------------------------------------
// Permissions and groups
// ---------------------------------------------------------------------------------------

/// `"<app_label>.<codename>"` of every permission the user holds directly or through a
/// group, in one statement.
pub async fn permissions_of(
    conn: &mut AsyncPgConnection, user_id: i64,
) -> AppResult<HashSet<String>> {
    let direct = user_permissions::table
        .filter(user_permissions::user_id.eq(user_id))
        .select(user_permissions::permission_id);
    let through_groups = user_groups::table
        .inner_join(
            group_permissions::table.on(group_permissions::group_id.eq(user_groups::group_id)),
        )
        .filter(user_groups::user_id.eq(user_id))
        .select(group_permissions::permission_id);
    let rows: Vec<(String, String)> = permissions::table
        .inner_join(content_types::table)
        .filter(permissions::id.eq_any(direct).or(permissions::id.eq_any(through_groups)))
        .select((content_types::app_label, permissions::codename))
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|(app, codename)| format!("{app}.{codename}")).collect())
}

/// Every permission as `(id, "<app_label>.<codename>", name)`, by app label and codename.
pub async fn all_permissions(
    conn: &mut AsyncPgConnection,
) -> AppResult<Vec<(i32, String, String)>> {
    let rows: Vec<(i32, String, String, String)> = permissions::table
        .inner_join(content_types::table)
        .select((
            permissions::id,
            content_types::app_label,
            permissions::codename,
            permissions::name,
        ))
        .order((
            content_types::app_label.asc(),
            content_types::model.asc(),
            permissions::codename.asc(),
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, app, codename, name)| (id, format!("{app}.{codename}"), name))
        .collect())
}

/// Resolves `"app.codename"` strings to permission ids; unknown ones are reported on
/// `field`.
pub async fn resolve_permissions(
    conn: &mut AsyncPgConnection, names: &[String], field: &str,
) -> AppResult<Vec<i32>> {
    let known = all_permissions(conn).await?;
    let mut errors = FieldErrors::new();
    let mut ids = Vec::new();
    for name in names {
        match known.iter().find(|(_, full, _)| full == name.trim()) {
            Some((id, _, _)) => ids.push(*id),
            None => errors.add(field, format!("Invalid permission \"{name}\".")),
        }
    }
    errors.into_result()?;
    ids.sort_unstable();
    ids.dedup();
    Ok(ids)
}

pub async fn create_group(
    conn: &mut AsyncPgConnection, name: &str, permission_ids: &[i32],
) -> AppResult<GroupRow> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let group = diesel::insert_into(groups::table)
            .values(groups::name.eq(name))
            .returning(GroupRow::as_returning())
            .get_result(conn)
            .await
            .on_constraint("groups_name_key", || {
                AppError::rejected("name", "group with this name already exists.")
            })?;
        let rows: Vec<_> = permission_ids
            .iter()
            .map(|p| {
                (group_permissions::group_id.eq(group.id), group_permissions::permission_id.eq(*p))
            })
            .collect();
        diesel::insert_into(group_permissions::table).values(&rows).execute(conn).await?;
        Ok(group)
    })
    .await
}

pub async fn list_groups(conn: &mut AsyncPgConnection, limit: i64) -> AppResult<Vec<GroupRow>> {
    Ok(groups::table
        .select(GroupRow::as_select())
        .order((groups::name.asc(), groups::id.asc()))
        .limit(limit)
        .load(conn)
        .await?)
}

pub async fn find_group(conn: &mut AsyncPgConnection, id: i32) -> AppResult<Option<GroupRow>> {
    let query = groups::table.find(id).select(GroupRow::as_select());
    crate::db::first_or_none(conn, query).await
}

/// `"app.codename"` permissions of each group in `ids`.
pub async fn group_permission_names(
    conn: &mut AsyncPgConnection, ids: &[i32],
) -> AppResult<Vec<(i32, String)>> {
    let rows: Vec<(i32, String, String)> = group_permissions::table
        .inner_join(permissions::table.inner_join(content_types::table))
        .filter(group_permissions::group_id.eq_any(ids))
        .select((group_permissions::group_id, content_types::app_label, permissions::codename))
        .order((
            group_permissions::group_id.asc(),
            content_types::app_label.asc(),
            permissions::codename.asc(),
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(group, app, codename)| (group, format!("{app}.{codename}")))
        .collect())
}

/// What a user holds besides their own flags: a group's membership, or a permission
/// granted directly.
#[derive(Debug, Clone, Copy)]
pub enum Held {
    Group(i32),
    Permission(i32),
}

/// Gives the user `held` (`on`; holding it already changes nothing) or takes it away;
/// whether a row changed.
pub async fn set_held(
    conn: &mut AsyncPgConnection, user_id: i64, held: Held, on: bool,
) -> AppResult<bool> {
    let changed = match (held, on) {
        (Held::Group(group), true) => {
            let row = (user_groups::user_id.eq(user_id), user_groups::group_id.eq(group));
            let insert = diesel::insert_into(user_groups::table).values(row);
            insert.on_conflict_do_nothing().execute(conn).await?
        }
        (Held::Group(group), false) => {
            let row = user_groups::user_id.eq(user_id).and(user_groups::group_id.eq(group));
            diesel::delete(user_groups::table.filter(row)).execute(conn).await?
        }
        (Held::Permission(permission), true) => {
            let row = (
                user_permissions::user_id.eq(user_id),
                user_permissions::permission_id.eq(permission),
            );
            let insert = diesel::insert_into(user_permissions::table).values(row);
            insert.on_conflict_do_nothing().execute(conn).await?
        }
        (Held::Permission(permission), false) => {
            let row = user_permissions::user_id
                .eq(user_id)
                .and(user_permissions::permission_id.eq(permission));
            diesel::delete(user_permissions::table.filter(row)).execute(conn).await?
        }
    };
    Ok(changed > 0)
}
