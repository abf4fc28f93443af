//! Privilege administration, least privilege first: only active superusers grant or
//! revoke permissions, manage groups and their members, set the staff flag, and
//! (de)activate users. Nobody changes their own privileges, and the last active
//! superuser can be neither demoted nor deactivated. Every change is written to the
//! audit log in its own transaction.

use crate::auth::ViewerExt;
use async_graphql::{Context, Object};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use super::{Group, User};
use crate::audit::model::Actor;
use crate::audit::repo as audit;
use crate::auth::guards::Superuser;
use crate::auth::{repo, sessions};
use crate::error::{AppError, AppResult, FieldErrors, NON_FIELD_ERRORS};
use crate::graphql::context::ContextExt;
use crate::validation;

/// Refusal of a change that would leave no active superuser.
pub const LAST_SUPERUSER: &str = "The last active superuser cannot be demoted or deactivated.";

/// The calling superuser as the actor of audit entries; `FORBIDDEN` for changes to
/// their own privileges.
fn actor(ctx: &Context<'_>, target_user: Option<i64>) -> AppResult<Actor> {
    let viewer = ctx.viewer()?;
    if target_user == Some(viewer.id()) {
        return Err(AppError::Forbidden);
    }
    Ok(Actor {
        user_id: viewer.id(),
        request_id: ctx.request_id().map(str::to_owned),
    })
}

/// Refuses to take the last active superuser away (inside the caller's transaction).
async fn keep_a_superuser(conn: &mut AsyncPgConnection, user_id: i64) -> AppResult<()> {
    let superusers = repo::lock_active_superusers(conn).await?;
    if superusers == [user_id] {
        return Err(AppError::bad_input(NON_FIELD_ERRORS, LAST_SUPERUSER));
    }
    Ok(())
}

async fn require_user(conn: &mut AsyncPgConnection, user_id: i64) -> AppResult<()> {
    repo::find_user(conn, user_id)
        .await?
        .map(|_| ())
        .ok_or_else(AppError::not_found)
}

async fn require_user_and_group(
    conn: &mut AsyncPgConnection,
    user_id: i64,
    group_id: i32,
) -> AppResult<()> {
    require_user(conn, user_id).await?;
    repo::find_group(conn, group_id)
        .await?
        .map(|_| ())
        .ok_or_else(AppError::not_found)
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Creates a group with the given `"app.codename"` permissions (superusers only).
    #[graphql(guard = "Superuser")]
    async fn create_group(
        &self,
        ctx: &Context<'_>,
        name: String,
        #[graphql(default)] permissions: Vec<String>,
    ) -> AppResult<Group> {
        let actor = actor(ctx, None)?;
        let mut errors = FieldErrors::new();
        let name = validation::char_field(&mut errors, "name", &name, Some(150), false);
        let mut conn = ctx.conn().await?;
        let ids = match repo::resolve_permissions(&mut conn, &permissions, "permissions").await {
            Ok(ids) => ids,
            Err(AppError::BadUserInput(fields)) => {
                for (field, messages) in fields.iter() {
                    for message in messages {
                        errors.add(field, message.clone());
                    }
                }
                Vec::new()
            }
            Err(other) => return Err(other),
        };
        errors.into_result()?;
        let name = name.unwrap_or_default();
        let group = conn
            .transaction::<_, AppError, _>(async |conn| {
                let group = repo::create_group(conn, &name, &ids).await?;
                audit::record(conn, &actor, "create_group", "group", i64::from(group.id)).await?;
                Ok(group)
            })
            .await?;
        Ok(Group(group))
    }

    /// Adds a user to a group; they inherit its permissions (superusers only).
    #[graphql(guard = "Superuser")]
    async fn add_user_to_group(
        &self,
        ctx: &Context<'_>,
        user_id: i64,
        group_id: i32,
    ) -> AppResult<bool> {
        let actor = actor(ctx, Some(user_id))?;
        let mut conn = ctx.conn().await?;
        require_user_and_group(&mut conn, user_id, group_id).await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            repo::add_user_to_group(conn, user_id, group_id).await?;
            audit::record(conn, &actor, "add_user_to_group", "user", user_id).await
        })
        .await?;
        Ok(true)
    }

    /// Removes a user from a group (superusers only); NOT_FOUND when not a member.
    #[graphql(guard = "Superuser")]
    async fn remove_user_from_group(
        &self,
        ctx: &Context<'_>,
        user_id: i64,
        group_id: i32,
    ) -> AppResult<bool> {
        let actor = actor(ctx, Some(user_id))?;
        let mut conn = ctx.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            if !repo::remove_user_from_group(conn, user_id, group_id).await? {
                return Err(AppError::not_found());
            }
            audit::record(conn, &actor, "remove_user_from_group", "user", user_id).await
        })
        .await?;
        Ok(true)
    }

    /// Grants a permission such as `store.view_history` directly (superusers only).
    #[graphql(guard = "Superuser")]
    async fn grant_permission(
        &self,
        ctx: &Context<'_>,
        user_id: i64,
        permission: String,
    ) -> AppResult<bool> {
        let actor = actor(ctx, Some(user_id))?;
        let mut conn = ctx.conn().await?;
        require_user(&mut conn, user_id).await?;
        let ids = repo::resolve_permissions(&mut conn, &[permission], "permission").await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            for id in ids {
                repo::grant_permission(conn, user_id, id).await?;
            }
            audit::record(conn, &actor, "grant_permission", "user", user_id).await
        })
        .await?;
        Ok(true)
    }

    /// Revokes a directly granted permission (superusers only); NOT_FOUND when not held.
    #[graphql(guard = "Superuser")]
    async fn revoke_permission(
        &self,
        ctx: &Context<'_>,
        user_id: i64,
        permission: String,
    ) -> AppResult<bool> {
        let actor = actor(ctx, Some(user_id))?;
        let mut conn = ctx.conn().await?;
        let ids = repo::resolve_permissions(&mut conn, &[permission], "permission").await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let mut revoked = false;
            for id in ids {
                revoked |= repo::revoke_permission(conn, user_id, id).await?;
            }
            if !revoked {
                return Err(AppError::not_found());
            }
            audit::record(conn, &actor, "revoke_permission", "user", user_id).await
        })
        .await?;
        Ok(true)
    }

    /// Makes a user staff or not (superusers only; never the last active superuser).
    #[graphql(guard = "Superuser")]
    async fn set_staff(&self, ctx: &Context<'_>, user_id: i64, is_staff: bool) -> AppResult<User> {
        let actor = actor(ctx, Some(user_id))?;
        let mut conn = ctx.conn().await?;
        let user = conn
            .transaction::<_, AppError, _>(async |conn| {
                if !is_staff {
                    keep_a_superuser(conn, user_id).await?;
                }
                let user = repo::set_staff(conn, user_id, is_staff)
                    .await?
                    .ok_or_else(AppError::not_found)?;
                let action = if is_staff {
                    "grant_staff"
                } else {
                    "revoke_staff"
                };
                audit::record(conn, &actor, action, "user", user_id).await?;
                Ok(user)
            })
            .await?;
        Ok(User(user))
    }

    /// Deactivates a user: they cannot sign in, and every session ends at once
    /// (superusers only; never the last active superuser).
    #[graphql(guard = "Superuser")]
    async fn deactivate_user(&self, ctx: &Context<'_>, user_id: i64) -> AppResult<User> {
        let actor = actor(ctx, Some(user_id))?;
        let mut conn = ctx.conn().await?;
        let user = conn
            .transaction::<_, AppError, _>(async |conn| {
                keep_a_superuser(conn, user_id).await?;
                let user = repo::change_active(conn, user_id, false)
                    .await?
                    .ok_or_else(AppError::not_found)?;
                sessions::revoke_all(conn, user_id).await?;
                audit::record(conn, &actor, "deactivate_user", "user", user_id).await?;
                Ok(user)
            })
            .await?;
        Ok(User(user))
    }

    /// Activates a user again (superusers only).
    #[graphql(guard = "Superuser")]
    async fn activate_user(&self, ctx: &Context<'_>, user_id: i64) -> AppResult<User> {
        let actor = actor(ctx, Some(user_id))?;
        let mut conn = ctx.conn().await?;
        let user = conn
            .transaction::<_, AppError, _>(async |conn| {
                let user = repo::change_active(conn, user_id, true)
                    .await?
                    .ok_or_else(AppError::not_found)?;
                audit::record(conn, &actor, "activate_user", "user", user_id).await?;
                Ok(user)
            })
            .await?;
        Ok(User(user))
    }
}
