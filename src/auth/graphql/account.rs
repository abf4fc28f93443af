//! Accounts: registration, the current user's profile and password, password reset.

use crate::auth::ViewerExt;
use async_graphql::{Context, Object};
use diesel_async::AsyncConnection;

use super::{RegisterInput, UpdateMeInput, User, check_password, name_field, register_user};
use crate::auth::guards::Authenticated;
use crate::auth::model::UserChanges;
use crate::auth::rules::{self, UserAttributes};
use crate::auth::{repo, sessions};
use crate::error::{AppError, AppResult, FieldErrors, OrNotFound};
use crate::graphql::context::ContextExt;
use crate::throttle::Limit;
use crate::validation::{self, Mode};

pub const INVALID_PASSWORD: &str = "Invalid password.";

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Creates an account (and its customer profile).
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> AppResult<User> {
        ctx.throttle(Limit::Register)?;
        Ok(User(register_user(ctx, input).await?))
    }

    /// Changes the signed-in user's names or email. A new email needs `currentPassword`,
    /// and a notice goes to the previous address.
    #[graphql(guard = "Authenticated")]
    async fn update_me(&self, ctx: &Context<'_>, input: UpdateMeInput) -> AppResult<User> {
        let viewer = ctx.viewer()?;
        let mut errors = FieldErrors::new();
        let e = &mut errors;
        let first_name = name_field(e, "firstName", input.first_name, Mode::Patch);
        let last_name = name_field(e, "lastName", input.last_name, Mode::Patch);
        let email = validation::present(e, "email", input.email, Mode::Patch)
            .map(|v| rules::normalize_email(&v))
            .filter(|v| rules::check_email(e, "email", v));
        let changes_email =
            email.as_deref().is_some_and(|new| !new.eq_ignore_ascii_case(&viewer.user.email));
        if changes_email {
            match input.current_password.as_deref() {
                None => errors.add("currentPassword", validation::REQUIRED),
                Some(password) => {
                    let passwords = &ctx.auth()?.passwords;
                    if !passwords.verify(password, Some(&viewer.user.password)).await? {
                        errors.add("currentPassword", INVALID_PASSWORD);
                    }
                }
            }
        }
        let mut conn = ctx.conn().await?;
        repo::check_unique(&mut conn, &mut errors, None, email.as_deref(), Some(viewer.id()))
            .await?;
        errors.into_result()?;
        let changes = UserChanges { first_name, last_name, email };
        let old_email = viewer.user.email.clone();
        let user = conn
            .transaction::<_, AppError, _>(async |conn| {
                let user = repo::update_user(conn, viewer.id(), &changes).await?;
                if changes_email {
                    crate::jobs::enqueue(
                        conn,
                        crate::jobs::task::SEND_EMAIL_CHANGED,
                        serde_json::json!({ "user_id": user.id, "old_email": old_email }),
                        Some(10),
                    )
                    .await?;
                }
                Ok(user)
            })
            .await?;
        Ok(User(user))
    }

    /// Changes the signed-in user's password (the new one passes the password rules) and
    /// signs out every session, this one included.
    #[graphql(guard = "Authenticated")]
    async fn change_password(
        &self, ctx: &Context<'_>, current_password: String, new_password: String,
    ) -> AppResult<bool> {
        let viewer = ctx.viewer()?;
        let auth = ctx.auth()?;
        let mut errors = FieldErrors::new();
        if !auth.passwords.verify(&current_password, Some(&viewer.user.password)).await? {
            errors.add("currentPassword", INVALID_PASSWORD);
        }
        let attributes = UserAttributes::of(&viewer.user);
        check_password(&mut errors, "newPassword", &new_password, &attributes);
        errors.into_result()?;
        let hash = auth.passwords.hash(&new_password).await?;
        let mut conn = ctx.conn().await?;
        let user_id = viewer.id();
        conn.transaction::<_, AppError, _>(async |conn| {
            repo::set_password(conn, user_id, &hash).await?;
            sessions::revoke_all(conn, user_id).await?;
            repo::retire_password_resets(conn, user_id).await
        })
        .await?;
        Ok(true)
    }

    /// Mails a single-use, expiring reset token when an active account has this email.
    /// Always answers `true`, so it reveals nothing about which addresses exist. A new
    /// request retires the earlier ones.
    async fn request_password_reset(&self, ctx: &Context<'_>, email: String) -> AppResult<bool> {
        ctx.throttle(Limit::PasswordResetByAddress)?;
        let address = rules::normalize_email(&email).to_lowercase();
        ctx.throttle_key(Limit::PasswordResetByEmail, &address)?;
        let mut conn = ctx.conn().await?;
        if let Some(user) = repo::find_active_user_by_email(&mut conn, &email).await? {
            repo::create_password_reset(&mut conn, user.id).await?;
        }
        Ok(true)
    }

    /// Sets a new password with a reset token (single use, expiring); the password
    /// rules apply. Every reset token of the user and every session is retired.
    async fn reset_password(
        &self, ctx: &Context<'_>, token: String, new_password: String,
    ) -> AppResult<bool> {
        let auth = ctx.auth()?.clone();
        let mut conn = ctx.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let user_id = repo::consume_password_reset(conn, &token)
                .await?
                .ok_or_else(|| AppError::bad_input("token", "Invalid or expired token."))?;
            let user = repo::find_user(conn, user_id).await.or_not_found()?;
            let mut errors = FieldErrors::new();
            let attributes = UserAttributes::of(&user);
            check_password(&mut errors, "newPassword", &new_password, &attributes);
            // A refused password leaves the token usable (the transaction rolls back).
            errors.into_result()?;
            let hash = auth.passwords.hash(&new_password).await?;
            repo::set_password(conn, user_id, &hash).await?;
            repo::retire_password_resets(conn, user_id).await?;
            sessions::revoke_all(conn, user_id).await?;
            Ok(())
        })
        .await?;
        Ok(true)
    }
}
