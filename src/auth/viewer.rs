//! The request's viewer: who is calling, from the `Authorization` header.

use std::collections::HashSet;

use axum::http::{HeaderMap, header};
use tokio::sync::OnceCell;

use super::Auth;
use super::jwt::TokenType;
use super::model::UserRow;
use super::repo;
use super::sessions;
use crate::db::DbPool;
use crate::error::AppError;

pub const TOKEN_INVALID: &str = "Token is invalid or expired.";
pub const BAD_HEADER: &str = "Authorization header must contain two space-delimited values";
pub const USER_NOT_FOUND: &str = "User not found";
pub const USER_INACTIVE: &str = "User is inactive";

/// An authenticated, active user, with their permissions loaded at most once per request.
pub struct Viewer {
    pub user: UserRow,
    /// The session of the access token.
    pub session: uuid::Uuid,
    pool: DbPool,
    permissions: OnceCell<HashSet<String>>,
}

impl Viewer {
    pub fn new(user: UserRow, session: uuid::Uuid, pool: DbPool) -> Self {
        Self { user, session, pool, permissions: OnceCell::new() }
    }

    pub fn id(&self) -> i64 {
        self.user.id
    }

    pub fn is_staff(&self) -> bool {
        self.user.is_staff
    }

    /// Django's `has_perm("app.codename")`: every permission for an active superuser,
    /// otherwise the user's own permissions and those of their groups.
    pub async fn has_perm(&self, permission: &str) -> Result<bool, AppError> {
        if !self.user.is_active {
            return Ok(false);
        }
        if self.user.is_superuser {
            return Ok(true);
        }
        let permissions = self
            .permissions
            .get_or_try_init(|| async {
                let mut conn = self.pool.get().await?;
                repo::permissions_of(&mut conn, self.user.id).await
            })
            .await?;
        Ok(permissions.contains(permission))
    }
}

/// The access token in an `Authorization: Bearer …` or `JWT …` header. `Ok(None)` when
/// there is no header or it uses another scheme (ignored, as SimpleJWT does).
pub fn bearer_token(headers: &HeaderMap) -> Result<Option<String>, AppError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(value.as_bytes());
    let mut parts = text.split_whitespace();
    let Some(scheme) = parts.next() else {
        return Ok(None);
    };
    if !scheme.eq_ignore_ascii_case("bearer") && !scheme.eq_ignore_ascii_case("jwt") {
        return Ok(None);
    }
    match (parts.next(), parts.next()) {
        (Some(token), None) => Ok(Some(token.to_owned())),
        _ => Err(AppError::InvalidToken(BAD_HEADER.into())),
    }
}

/// Resolves an access token to an active user in a live session, in one statement. A
/// present but unusable token (bad signature, expired, a refresh token, a revoked
/// session, a deleted or inactive user) is an error even on public operations.
pub async fn authenticate(auth: &Auth, pool: &DbPool, token: &str) -> Result<Viewer, AppError> {
    let claims = auth
        .jwt
        .decode(token)
        .filter(|claims| claims.token_type == TokenType::Access)
        .ok_or(AppError::InvalidToken(TOKEN_INVALID.into()))?;
    let session = claims.sid.ok_or(AppError::InvalidToken(TOKEN_INVALID.into()))?;
    let mut conn = pool.get().await?;
    let (user, live) = sessions::user_in_session(&mut conn, claims.user_id, session)
        .await?
        .ok_or(AppError::InvalidToken(USER_NOT_FOUND.into()))?;
    if !live {
        return Err(AppError::InvalidToken(TOKEN_INVALID.into()));
    }
    if !user.is_active {
        return Err(AppError::InvalidToken(USER_INACTIVE.into()));
    }
    Ok(Viewer::new(user, session, pool.clone()))
}
