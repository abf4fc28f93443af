//! Registration, tokens, the current user, and staff administration of groups and
//! permissions (spec part B §5, §7).

use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::jwt::TokenType;
use super::model::{GroupRow, NewUser, UserChanges, UserRow};
use super::rules::{self, UserAttributes};
use super::{Auth, repo};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::graphql::context::ContextExt;
use crate::graphql::guards::{Authenticated, Staff};
use crate::validation::{self, Mode};

pub const LOGIN_FAILED: &str = "No active account found with the given credentials.";
pub const REFRESH_INVALID: &str = "Token is invalid or expired";
pub const REFRESH_WRONG_TYPE: &str = "Token has wrong type";

/// A user account (the password is never exposed).
#[derive(Clone)]
pub struct User(pub UserRow);

#[Object]
impl User {
    async fn id(&self) -> i64 {
        self.0.id
    }

    async fn username(&self) -> &str {
        &self.0.username
    }

    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn first_name(&self) -> &str {
        &self.0.first_name
    }

    async fn last_name(&self) -> &str {
        &self.0.last_name
    }

    /// Staff may administer the shop.
    async fn is_staff(&self) -> bool {
        self.0.is_staff
    }

    async fn date_joined(&self) -> DateTime<Utc> {
        self.0.date_joined
    }
}

/// Tokens from `createToken`: send `access` as `Authorization: Bearer <access>`; trade
/// `refresh` for a new access token with `refreshToken`.
#[derive(SimpleObject)]
pub struct TokenPair {
    pub access: String,
    pub refresh: String,
}

#[derive(SimpleObject)]
pub struct AccessToken {
    pub access: String,
}

/// A named set of permissions; members inherit them.
pub struct Group(GroupRow);

#[Object]
impl Group {
    async fn id(&self) -> i32 {
        self.0.id
    }

    async fn name(&self) -> &str {
        &self.0.name
    }

    /// `"<app_label>.<codename>"` strings.
    async fn permissions(&self, ctx: &Context<'_>) -> AppResult<Vec<String>> {
        let mut conn = ctx.conn().await?;
        let rows = repo::group_permission_names(&mut conn, &[self.0.id]).await?;
        Ok(rows.into_iter().map(|(_, name)| name).collect())
    }
}

#[derive(SimpleObject)]
pub struct Permission {
    /// `"<app_label>.<codename>"`, e.g. `store.view_history`.
    pub codename: String,
    /// e.g. `Can view history`.
    pub name: String,
}

/// A new account. `username`, `email` and `password` are required.
#[derive(InputObject, Default)]
pub struct RegisterInput {
    /// At most 150 letters, digits and `@ . + - _`; unique.
    pub username: MaybeUndefined<String>,
    /// At least 8 characters, not too common, not entirely numeric, not too similar to
    /// the other fields.
    pub password: MaybeUndefined<String>,
    /// A valid, unique address.
    pub email: MaybeUndefined<String>,
    pub first_name: MaybeUndefined<String>,
    pub last_name: MaybeUndefined<String>,
}

/// Changes to the current user: only the fields sent.
#[derive(InputObject, Default)]
pub struct UpdateMeInput {
    pub email: MaybeUndefined<String>,
    pub first_name: MaybeUndefined<String>,
    pub last_name: MaybeUndefined<String>,
}

/// An optional name (blank allowed, at most 150 characters).
fn name_field(
    errors: &mut FieldErrors,
    field: &str,
    value: MaybeUndefined<String>,
    mode: Mode,
) -> Option<String> {
    match value {
        MaybeUndefined::Undefined => (mode == Mode::Create).then(String::new),
        MaybeUndefined::Null => {
            errors.add(field, validation::NOT_NULL);
            None
        }
        MaybeUndefined::Value(v) => validation::char_field(errors, field, &v, Some(150), true),
    }
}

/// The password rules, reported under `field`.
fn check_password(
    errors: &mut FieldErrors,
    field: &str,
    password: &str,
    user: &UserAttributes<'_>,
) {
    if password.is_empty() {
        errors.add(field, validation::NOT_BLANK);
        return;
    }
    for problem in rules::password_problems(password, user) {
        errors.add(field, problem);
    }
}

/// Validates a registration and creates the user with its customer.
pub async fn register_user(ctx: &Context<'_>, input: RegisterInput) -> AppResult<UserRow> {
    let mut errors = FieldErrors::new();
    let e = &mut errors;
    let username = validation::present(e, "username", input.username, Mode::Create)
        .map(|v| v.trim().to_owned())
        .filter(|v| {
            if v.is_empty() {
                e.add("username", validation::NOT_BLANK);
            }
            !v.is_empty()
        })
        .filter(|v| rules::check_username(e, "username", v));
    let email = validation::present(e, "email", input.email, Mode::Create)
        .map(|v| rules::normalize_email(&v))
        .filter(|v| {
            if v.is_empty() {
                e.add("email", validation::NOT_BLANK);
            }
            !v.is_empty()
        })
        .filter(|v| rules::check_email(e, "email", v));
    let first_name = name_field(e, "firstName", input.first_name, Mode::Create);
    let last_name = name_field(e, "lastName", input.last_name, Mode::Create);
    let password = validation::present(e, "password", input.password, Mode::Create);
    if let Some(password) = &password {
        let attributes = UserAttributes {
            username: username.as_deref().unwrap_or_default(),
            first_name: first_name.as_deref().unwrap_or_default(),
            last_name: last_name.as_deref().unwrap_or_default(),
            email: email.as_deref().unwrap_or_default(),
        };
        check_password(e, "password", password, &attributes);
    }
    let mut conn = ctx.conn().await?;
    repo::check_unique(
        &mut conn,
        &mut errors,
        username.as_deref(),
        email.as_deref(),
        None,
    )
    .await?;
    errors.into_result()?;
    drop(conn);
    let (Some(username), Some(email), Some(password)) = (username, email, password) else {
        return Err(AppError::internal(anyhow::anyhow!(
            "validated registration incomplete"
        )));
    };
    let hash = ctx.auth()?.passwords.hash(&password).await?;
    let new = NewUser {
        password: hash,
        username,
        first_name: first_name.unwrap_or_default(),
        last_name: last_name.unwrap_or_default(),
        email,
        is_staff: false,
        is_superuser: false,
    };
    let mut conn = ctx.conn().await?;
    repo::register_user(&mut conn, &new).await
}

fn issue(auth: &Auth, user_id: i64) -> AppResult<TokenPair> {
    Ok(TokenPair {
        access: auth.jwt.issue(user_id, TokenType::Access)?,
        refresh: auth.jwt.issue(user_id, TokenType::Refresh)?,
    })
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The signed-in user.
    #[graphql(guard = "Authenticated")]
    async fn me(&self, ctx: &Context<'_>) -> AppResult<User> {
        Ok(User(ctx.viewer()?.user.clone()))
    }

    /// Groups by name (staff only; at most `first`, up to 100).
    #[graphql(
        guard = "Staff",
        directive = crate::graphql::limits::list_size::apply(None, crate::graphql::limits::first_only(), None, Some(false))
    )]
    async fn groups(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] first: Option<i32>,
    ) -> AppResult<Vec<Group>> {
        let limit = crate::graphql::pagination::list_limit(first, 100)?;
        let mut conn = ctx.conn().await?;
        Ok(repo::list_groups(&mut conn, limit)
            .await?
            .into_iter()
            .map(Group)
            .collect())
    }

    /// The permission catalogue (staff only).
    #[graphql(
        guard = "Staff",
        directive = crate::graphql::limits::list_size::apply(crate::graphql::limits::assumed(), None, None, None)
    )]
    async fn permissions(&self, ctx: &Context<'_>) -> AppResult<Vec<Permission>> {
        let mut conn = ctx.conn().await?;
        Ok(repo::all_permissions(&mut conn)
            .await?
            .into_iter()
            .map(|(_, codename, name)| Permission { codename, name })
            .collect())
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Creates an account (and its customer profile).
    async fn register(&self, ctx: &Context<'_>, input: RegisterInput) -> AppResult<User> {
        Ok(User(register_user(ctx, input).await?))
    }

    /// Signs in: an access and a refresh token.
    async fn create_token(
        &self,
        ctx: &Context<'_>,
        username: String,
        password: String,
    ) -> AppResult<TokenPair> {
        let auth = ctx.auth()?;
        let mut conn = ctx.conn().await?;
        let user = repo::find_user_by_username(&mut conn, &username).await?;
        drop(conn);
        // The hash is verified even for unknown users, so both take as long.
        let valid = auth
            .passwords
            .verify(&password, user.as_ref().map(|u| u.password.as_str()))
            .await?;
        let user = user
            .filter(|u| valid && u.is_active)
            .ok_or(AppError::InvalidToken(LOGIN_FAILED.into()))?;
        let mut conn = ctx.conn().await?;
        repo::touch_last_login(&mut conn, user.id).await?;
        issue(auth, user.id)
    }

    /// A new access token for a valid refresh token.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh: String) -> AppResult<AccessToken> {
        let auth = ctx.auth()?;
        let claims = auth
            .jwt
            .decode(&refresh)
            .ok_or(AppError::InvalidToken(REFRESH_INVALID.into()))?;
        if claims.token_type != TokenType::Refresh {
            return Err(AppError::InvalidToken(REFRESH_WRONG_TYPE.into()));
        }
        Ok(AccessToken {
            access: auth.jwt.issue(claims.user_id, TokenType::Access)?,
        })
    }

    /// Changes the signed-in user's names or email.
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
        let mut conn = ctx.conn().await?;
        repo::check_unique(
            &mut conn,
            &mut errors,
            None,
            email.as_deref(),
            Some(viewer.id()),
        )
        .await?;
        errors.into_result()?;
        let changes = UserChanges {
            first_name,
            last_name,
            email,
        };
        Ok(User(
            repo::update_user(&mut conn, viewer.id(), &changes).await?,
        ))
    }

    /// Changes the signed-in user's password (the new one passes the password rules).
    #[graphql(guard = "Authenticated")]
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> AppResult<bool> {
        let viewer = ctx.viewer()?;
        let auth = ctx.auth()?;
        let mut errors = FieldErrors::new();
        if !auth
            .passwords
            .verify(&current_password, Some(&viewer.user.password))
            .await?
        {
            errors.add("currentPassword", "Invalid password.");
        }
        let user = &viewer.user;
        let attributes = UserAttributes {
            username: &user.username,
            first_name: &user.first_name,
            last_name: &user.last_name,
            email: &user.email,
        };
        check_password(&mut errors, "newPassword", &new_password, &attributes);
        errors.into_result()?;
        let hash = auth.passwords.hash(&new_password).await?;
        let mut conn = ctx.conn().await?;
        repo::set_password(&mut conn, viewer.id(), &hash).await?;
        Ok(true)
    }

    /// Mails a single-use, expiring reset token when an active account has this email.
    /// Always answers `true`, so it reveals nothing about which addresses exist.
    async fn request_password_reset(&self, ctx: &Context<'_>, email: String) -> AppResult<bool> {
        let mut conn = ctx.conn().await?;
        if let Some(user) = repo::find_active_user_by_email(&mut conn, &email).await? {
            repo::create_password_reset(&mut conn, user.id).await?;
        }
        Ok(true)
    }

    /// Sets a new password with a reset token (single use, expiring); the password
    /// rules apply.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        token: String,
        new_password: String,
    ) -> AppResult<bool> {
        use diesel_async::AsyncConnection;
        let auth = ctx.auth()?.clone();
        let mut conn = ctx.conn().await?;
        conn.transaction::<_, AppError, _>(async |conn| {
            let user_id = repo::consume_password_reset(conn, &token)
                .await?
                .ok_or_else(|| AppError::bad_input("token", "Invalid or expired token."))?;
            let user = repo::find_user(conn, user_id)
                .await?
                .ok_or_else(AppError::not_found)?;
            let mut errors = FieldErrors::new();
            let attributes = UserAttributes {
                username: &user.username,
                first_name: &user.first_name,
                last_name: &user.last_name,
                email: &user.email,
            };
            check_password(&mut errors, "newPassword", &new_password, &attributes);
            // A refused password leaves the token usable (the transaction rolls back).
            errors.into_result()?;
            let hash = auth.passwords.hash(&new_password).await?;
            repo::set_password(conn, user_id, &hash).await
        })
        .await?;
        Ok(true)
    }

    /// Creates a group with the given `"app.codename"` permissions (staff only).
    #[graphql(guard = "Staff")]
    async fn create_group(
        &self,
        ctx: &Context<'_>,
        name: String,
        #[graphql(default)] permissions: Vec<String>,
    ) -> AppResult<Group> {
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
        Ok(Group(repo::create_group(&mut conn, &name, &ids).await?))
    }

    /// Adds a user to a group; they inherit its permissions (staff only).
    #[graphql(guard = "Staff")]
    async fn add_user_to_group(
        &self,
        ctx: &Context<'_>,
        user_id: i64,
        group_id: i32,
    ) -> AppResult<bool> {
        let mut conn = ctx.conn().await?;
        require_user_and_group(&mut conn, user_id, group_id).await?;
        repo::add_user_to_group(&mut conn, user_id, group_id).await?;
        Ok(true)
    }

    /// Removes a user from a group (staff only); NOT_FOUND when they were not a member.
    #[graphql(guard = "Staff")]
    async fn remove_user_from_group(
        &self,
        ctx: &Context<'_>,
        user_id: i64,
        group_id: i32,
    ) -> AppResult<bool> {
        let mut conn = ctx.conn().await?;
        AppError::deleted(repo::remove_user_from_group(&mut conn, user_id, group_id).await?)
    }

    /// Grants a permission such as `store.view_history` directly (staff only).
    #[graphql(guard = "Staff")]
    async fn grant_permission(
        &self,
        ctx: &Context<'_>,
        user_id: i64,
        permission: String,
    ) -> AppResult<bool> {
        let mut conn = ctx.conn().await?;
        if repo::find_user(&mut conn, user_id).await?.is_none() {
            return Err(AppError::not_found());
        }
        let ids = repo::resolve_permissions(&mut conn, &[permission], "permission").await?;
        for id in ids {
            repo::grant_permission(&mut conn, user_id, id).await?;
        }
        Ok(true)
    }

    /// Revokes a directly granted permission (staff only); NOT_FOUND when not held.
    #[graphql(guard = "Staff")]
    async fn revoke_permission(
        &self,
        ctx: &Context<'_>,
        user_id: i64,
        permission: String,
    ) -> AppResult<bool> {
        let mut conn = ctx.conn().await?;
        let ids = repo::resolve_permissions(&mut conn, &[permission], "permission").await?;
        let mut revoked = false;
        for id in ids {
            revoked |= repo::revoke_permission(&mut conn, user_id, id).await?;
        }
        AppError::deleted(revoked)
    }

    /// Makes a user staff or not (staff only).
    #[graphql(guard = "Staff")]
    async fn set_staff(&self, ctx: &Context<'_>, user_id: i64, is_staff: bool) -> AppResult<User> {
        let mut conn = ctx.conn().await?;
        repo::set_staff(&mut conn, user_id, is_staff)
            .await?
            .map(User)
            .ok_or_else(AppError::not_found)
    }
}

async fn require_user_and_group(
    conn: &mut diesel_async::AsyncPgConnection,
    user_id: i64,
    group_id: i32,
) -> AppResult<()> {
    if repo::find_user(conn, user_id).await?.is_none()
        || repo::find_group(conn, group_id).await?.is_none()
    {
        return Err(AppError::not_found());
    }
    Ok(())
}
