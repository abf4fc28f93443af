//! Identity over GraphQL: the user, group and permission types, the current user, and
//! the mutations by concern: [`account`] (registration, profile, passwords),
//! [`sessions`] (sign-in, refresh, sign-out) and [`admin`] (privileges, superusers only).

pub mod account;
pub mod admin;
pub mod sessions;

use crate::auth::ViewerExt;
use async_graphql::{Context, InputObject, MaybeUndefined, MergedObject, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::model::{GroupRow, NewUser, UserRow};
use super::repo;
use super::rules::{self, UserAttributes};
use crate::auth::guards::{Authenticated, Staff};
use crate::error::{AppError, AppResult, FieldErrors};
use crate::graphql::context::ContextExt;
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

    /// Inactive users cannot sign in.
    async fn is_active(&self) -> bool {
        self.0.is_active
    }

    /// Superusers hold every permission and administer privileges.
    async fn is_superuser(&self) -> bool {
        self.0.is_superuser
    }

    async fn date_joined(&self) -> DateTime<Utc> {
        self.0.date_joined
    }
}

/// Tokens of one session, from `createToken` and `refreshToken`: send `access` as
/// `Authorization: Bearer <access>`; trade `refresh` (once) for a new pair with
/// `refreshToken`.
#[derive(SimpleObject)]
pub struct TokenPair {
    pub access: String,
    pub refresh: String,
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
    /// A new address needs `currentPassword`; a notice goes to the previous one.
    pub email: MaybeUndefined<String>,
    /// The current password: required only when `email` changes.
    pub current_password: Option<String>,
    pub first_name: MaybeUndefined<String>,
    pub last_name: MaybeUndefined<String>,
}

/// An optional name (blank allowed, at most 150 characters).
fn name_field(
    errors: &mut FieldErrors, field: &str, value: MaybeUndefined<String>, mode: Mode,
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
    errors: &mut FieldErrors, field: &str, password: &str, user: &UserAttributes<'_>,
) {
    if password.is_empty() {
        errors.add(field, validation::NOT_BLANK);
        return;
    }
    for problem in rules::password_problems(password, user) {
        errors.add(field, problem);
    }
}

/// A registration that passed every field rule (uniqueness is checked against the
/// database afterwards).
struct Registration {
    username: Option<String>,
    email: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    password: Option<String>,
}

/// Every field rule of a registration, all errors at once.
fn validate_registration(input: RegisterInput, e: &mut FieldErrors) -> Registration {
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
    Registration { username, email, first_name, last_name, password }
}

/// Validates a registration and creates the user with its customer.
pub async fn register_user(ctx: &Context<'_>, input: RegisterInput) -> AppResult<UserRow> {
    let mut errors = FieldErrors::new();
    let valid = validate_registration(input, &mut errors);
    let mut conn = ctx.conn().await?;
    repo::check_unique(
        &mut conn,
        &mut errors,
        valid.username.as_deref(),
        valid.email.as_deref(),
        None,
    )
    .await?;
    errors.into_result()?;
    drop(conn);
    let (Some(username), Some(email), Some(password)) =
        (valid.username, valid.email, valid.password)
    else {
        return Err(AppError::internal(anyhow::anyhow!("validated registration incomplete")));
    };
    let hash = ctx.auth()?.passwords.hash(&password).await?;
    let new = NewUser {
        password: hash,
        username,
        first_name: valid.first_name.unwrap_or_default(),
        last_name: valid.last_name.unwrap_or_default(),
        email,
        is_staff: false,
        is_superuser: false,
    };
    let mut conn = ctx.conn().await?;
    repo::register_user(&mut conn, &new).await
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
        &self, ctx: &Context<'_>, #[graphql(default = 100)] first: Option<i32>,
    ) -> AppResult<Vec<Group>> {
        let limit = crate::graphql::pagination::list_limit(first, 100)?;
        let mut conn = ctx.conn().await?;
        Ok(repo::list_groups(&mut conn, limit).await?.into_iter().map(Group).collect())
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

/// Every identity mutation: accounts, sessions and privilege administration.
#[derive(MergedObject, Default)]
pub struct AuthMutation(account::AccountMutation, sessions::SessionMutation, admin::AdminMutation);
