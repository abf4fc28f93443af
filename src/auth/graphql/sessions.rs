//! Sign-in, refresh with rotation, and sign-out.

use crate::auth::ViewerExt;
use async_graphql::{Context, Object};

use super::{LOGIN_FAILED, REFRESH_INVALID, REFRESH_WRONG_TYPE, TokenPair};
use crate::auth::guards::Authenticated;
use crate::auth::jwt::{Claims, TokenType};
use crate::auth::{lockout, repo, sessions};
use crate::error::{AppError, AppResult};
use crate::graphql::context::ContextExt;
use crate::throttle::Limit;

impl From<sessions::Tokens> for TokenPair {
    fn from(tokens: sessions::Tokens) -> Self {
        Self { access: tokens.access, refresh: tokens.refresh }
    }
}

/// The claims of a signed, unexpired refresh token (`UNAUTHENTICATED` otherwise).
fn refresh_claims(ctx: &Context<'_>, refresh: &str) -> AppResult<Claims> {
    let claims =
        ctx.auth()?.jwt.decode(refresh).ok_or(AppError::InvalidToken(REFRESH_INVALID.into()))?;
    if claims.token_type != TokenType::Refresh {
        return Err(AppError::InvalidToken(REFRESH_WRONG_TYPE.into()));
    }
    Ok(claims)
}

#[derive(Default)]
pub struct SessionMutation;

#[Object]
impl SessionMutation {
    /// Signs in: a new session with an access and a refresh token. Repeated failures
    /// lock the account for the client's address (`RATE_LIMITED`, see the README).
    async fn create_token(
        &self, ctx: &Context<'_>, username: String, password: String,
    ) -> AppResult<TokenPair> {
        let auth = ctx.auth()?;
        let account = lockout::account_key(&username);
        let address = ctx.client_addr().to_owned();
        let mut conn = ctx.conn().await?;
        lockout::check(&mut conn, &account, &address).await?;
        let user = repo::find_user_by_username(&mut conn, &username).await?;
        drop(conn);
        // The hash is verified even for unknown users, so both take as long.
        let valid =
            auth.passwords.verify(&password, user.as_ref().map(|u| u.password.as_str())).await?;
        let mut conn = ctx.conn().await?;
        let Some(user) = user.filter(|u| valid && u.is_active) else {
            if !valid {
                lockout::record_failure(&mut conn, &account, &address).await?;
            }
            return Err(AppError::InvalidToken(LOGIN_FAILED.into()));
        };
        lockout::clear(&mut conn, &account, &address).await?;
        repo::touch_last_login(&mut conn, user.id).await?;
        Ok(sessions::start(&mut conn, &auth.jwt, user.id).await?.into())
    }

    /// A new token pair of the same session for a refresh token, which is retired.
    /// Presenting a retired refresh token again signs the whole session out.
    async fn refresh_token(&self, ctx: &Context<'_>, refresh: String) -> AppResult<TokenPair> {
        ctx.throttle(Limit::Refresh)?;
        let claims = refresh_claims(ctx, &refresh)?;
        let mut conn = ctx.conn().await?;
        match sessions::rotate(&mut conn, &ctx.auth()?.jwt, &claims.jti).await? {
            Ok(tokens) => Ok(tokens.into()),
            Err(refused) => {
                if refused == sessions::Refused::Reused {
                    tracing::warn!(
                        user_id = claims.user_id,
                        "a retired refresh token was reused: session revoked"
                    );
                }
                Err(AppError::InvalidToken(REFRESH_INVALID.into()))
            }
        }
    }

    /// Signs out the session of this refresh token: its access tokens stop at once.
    /// Needs no access token.
    async fn logout(&self, ctx: &Context<'_>, refresh: String) -> AppResult<bool> {
        let claims = refresh_claims(ctx, &refresh)?;
        let mut conn = ctx.conn().await?;
        let session = sessions::session_of_refresh(&mut conn, &claims.jti)
            .await?
            .ok_or(AppError::InvalidToken(REFRESH_INVALID.into()))?;
        sessions::revoke_session(&mut conn, session).await?;
        Ok(true)
    }

    /// Signs out every session of the signed-in user.
    #[graphql(guard = "Authenticated")]
    async fn logout_all(&self, ctx: &Context<'_>) -> AppResult<bool> {
        let viewer = ctx.viewer()?;
        let mut conn = ctx.conn().await?;
        sessions::revoke_all(&mut conn, viewer.id()).await?;
        Ok(true)
    }
}
