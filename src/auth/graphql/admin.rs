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
use crate::auth::repo::Held;
use crate::auth::{repo, sessions};
use crate::db::TxFn;
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
    Ok(Actor { user_id: viewer.id(), request_id: ctx.request_id().map(str::to_owned) })
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
    repo::find_user(conn, user_id).await?.map(|_| ()).ok_or_else(AppError::not_found)
}

async fn require_user_and_group(
    conn: &mut AsyncPgConnection, user_id: i64, group_id: i32,
) -> AppResult<()> {
    require_user(conn, user_id).await?;
    repo::find_group(conn, group_id).await?.map(|_| ()).ok_or_else(AppError::not_found)
}

#[derive(Default)]
pub struct AdminMutation;

#[Object]
impl AdminMutation {
    /// Creates a group with the given `"app.codename"` permissions (superusers only).
    #[graphql(guard = "Superuser")]
    async fn create_group(
        &self, ctx: &Context<'_>, name: String, #[graphql(default)] permissions: Vec<String>,
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
        &self, ctx: &Context<'_>, user_id: i64, group_id: i32,
    ) -> AppResult<bool> {
        audited(ctx, user_id, "add_user_to_group", async |conn| {
            require_user_and_group(conn, user_id, group_id).await?;
            repo::set_held(conn, user_id, Held::Group(group_id), true).await?;
            Ok(true)
        })
        .await
    }

    /// Removes a user from a group (superusers only); NOT_FOUND when not a member.
    #[graphql(guard = "Superuser")]
    async fn remove_user_from_group(
        &self, ctx: &Context<'_>, user_id: i64, group_id: i32,
    ) -> AppResult<bool> {
        audited(ctx, user_id, "remove_user_from_group", async |conn| {
            let held = Held::Group(group_id);
            AppError::deleted(repo::set_held(conn, user_id, held, false).await?)
        })
        .await
    }

    /// Grants a permission such as `store.view_history` directly (superusers only).
    #[graphql(guard = "Superuser")]
    async fn grant_permission(
        &self, ctx: &Context<'_>, user_id: i64, permission: String,
    ) -> AppResult<bool> {
        audited(ctx, user_id, "grant_permission", async |conn| {
            require_user(conn, user_id).await?;
            for id in repo::resolve_permissions(conn, &[permission], "permission").await? {
                repo::set_held(conn, user_id, Held::Permission(id), true).await?;
            }
            Ok(true)
        })
        .await
    }

    /// Revokes a directly granted permission (superusers only); NOT_FOUND when not held.
    #[graphql(guard = "Superuser")]
    async fn revoke_permission(
        &self, ctx: &Context<'_>, user_id: i64, permission: String,
    ) -> AppResult<bool> {
        audited(ctx, user_id, "revoke_permission", async |conn| {
            let mut revoked = false;
            for id in repo::resolve_permissions(conn, &[permission], "permission").await? {
                revoked |= repo::set_held(conn, user_id, Held::Permission(id), false).await?;
            }
            AppError::deleted(revoked)
        })
        .await
    }

    /// Makes a user staff or not (superusers only; never the last active superuser).
    #[graphql(guard = "Superuser")]
    async fn set_staff(&self, ctx: &Context<'_>, user_id: i64, is_staff: bool) -> AppResult<User> {
        let action = if is_staff { "grant_staff" } else { "revoke_staff" };
        audited(ctx, user_id, action, async |conn| {
            if !is_staff {
                keep_a_superuser(conn, user_id).await?;
            }
            repo::set_staff(conn, user_id, is_staff).await
        })
        .await
    }

    /// Deactivates a user: they cannot sign in, and every session ends at once
    /// (superusers only; never the last active superuser).
    #[graphql(guard = "Superuser")]
    async fn deactivate_user(&self, ctx: &Context<'_>, user_id: i64) -> AppResult<User> {
        audited(ctx, user_id, "deactivate_user", async |conn| {
            keep_a_superuser(conn, user_id).await?;
            let user = repo::change_active(conn, user_id, false).await?;
            sessions::revoke_all(conn, user_id).await?;
            Ok(user)
        })
        .await
    }

    /// Activates a user again (superusers only).
    #[graphql(guard = "Superuser")]
    async fn activate_user(&self, ctx: &Context<'_>, user_id: i64) -> AppResult<User> {
        audited(ctx, user_id, "activate_user", async |conn| {
            repo::change_active(conn, user_id, true).await
        })
        .await
    }
}

/// A superuser's change to a user: the change and its audit entry in one transaction,
/// after the check that nobody changes their own privileges. A change that returns a
/// user row gets `NOT_FOUND` when there is none.
async fn audited<T, R, F>(ctx: &Context<'_>, user_id: i64, action: &str, change: F) -> AppResult<T>
where
    T: Send,
    R: Found<T>,
    F: for<'r> AsyncFnOnce(&'r mut AsyncPgConnection) -> AppResult<R> + for<'r> TxFn<'r, R>,
{
    let actor = actor(ctx, Some(user_id))?;
    let mut conn = ctx.conn().await?;
    conn.transaction::<_, AppError, _>(async |conn| {
        let value = change(conn).await?.found()?;
        audit::record(conn, &actor, action, "user", user_id).await?;
        Ok(value)
    })
    .await
}

/// What a change returns: a plain value, or a row that may be missing (`NOT_FOUND`).
trait Found<T> {
    fn found(self) -> AppResult<T>;
}

impl Found<bool> for bool {
    fn found(self) -> AppResult<bool> {
        Ok(self)
    }
}

impl Found<User> for Option<crate::auth::model::UserRow> {
    fn found(self) -> AppResult<User> {
        self.map(User).ok_or_else(AppError::not_found)
    }
}
