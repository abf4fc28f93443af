//! Sessions that can be revoked.
//!
//! Every sign-in starts a session (a refresh-token family). Both tokens name it in their
//! `sid` claim, and the viewer query checks it in the same statement that loads the user,
//! so revoking a session stops its access tokens at once, at no extra cost per request.
//! Refresh tokens rotate: each is stored by its `jti` and can be used once; presenting a
//! used one again revokes its whole session (reuse detection).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use super::jwt::{JwtKeys, TokenType};
use super::model::UserRow;
use crate::db::schema::{refresh_tokens, sessions, users};
use crate::error::{AppError, AppResult};

/// An access and a refresh token of one session.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub session: Uuid,
}

fn new_jti() -> String {
    Uuid::new_v4().simple().to_string()
}

fn refresh_expiry(keys: &JwtKeys) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(keys.refresh_ttl).unwrap_or(chrono::Duration::days(1))
}

async fn store_refresh(
    conn: &mut AsyncPgConnection, keys: &JwtKeys, user_id: i64, session: Uuid,
) -> AppResult<Tokens> {
    let jti = new_jti();
    diesel::insert_into(refresh_tokens::table)
        .values((
            refresh_tokens::jti.eq(&jti),
            refresh_tokens::session_id.eq(session),
            refresh_tokens::expires_at.eq(refresh_expiry(keys)),
        ))
        .execute(conn)
        .await?;
    Ok(Tokens {
        access: keys.issue(user_id, TokenType::Access, session)?,
        refresh: keys.issue_with_jti(user_id, TokenType::Refresh, session, jti)?,
        session,
    })
}

/// Starts a session for `user_id` (a sign-in) and issues its first tokens.
pub async fn start(
    conn: &mut AsyncPgConnection, keys: &JwtKeys, user_id: i64,
) -> AppResult<Tokens> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let session = Uuid::new_v4();
        diesel::insert_into(sessions::table)
            .values((sessions::id.eq(session), sessions::user_id.eq(user_id)))
            .execute(conn)
            .await?;
        store_refresh(conn, keys, user_id, session).await
    })
    .await
}

/// Why a refresh token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Unknown, expired, or its session was revoked.
    Invalid,
    /// Already used: the session has now been revoked.
    Reused,
}

/// A stored refresh token: `(session, used at, expires at, user, session live)`.
type RefreshState = (Uuid, Option<DateTime<Utc>>, DateTime<Utc>, i64, bool);

/// Exchanges refresh token `jti` for a new pair of the same session, retiring it. A
/// retired token revokes its session. The caller has checked the token's signature.
pub async fn rotate(
    conn: &mut AsyncPgConnection, keys: &JwtKeys, jti: &str,
) -> AppResult<Result<Tokens, Refused>> {
    conn.transaction::<_, AppError, _>(async |conn| {
        let row: Option<RefreshState> = refresh_tokens::table
            .inner_join(sessions::table)
            .filter(refresh_tokens::jti.eq(jti))
            .select((
                refresh_tokens::session_id,
                refresh_tokens::used_at,
                refresh_tokens::expires_at,
                sessions::user_id,
                sessions::revoked_at.is_null(),
            ))
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some((session, used_at, expires_at, user_id, live)) = row else {
            return Ok(Err(Refused::Invalid));
        };
        if !live || expires_at <= Utc::now() {
            return Ok(Err(Refused::Invalid));
        }
        if used_at.is_some() {
            revoke_session(conn, session).await?;
            return Ok(Err(Refused::Reused));
        }
        diesel::update(refresh_tokens::table.find(jti))
            .set(refresh_tokens::used_at.eq(Utc::now()))
            .execute(conn)
            .await?;
        Ok(Ok(store_refresh(conn, keys, user_id, session).await?))
    })
    .await
}

/// The session of refresh token `jti` when it is live.
pub async fn session_of_refresh(
    conn: &mut AsyncPgConnection, jti: &str,
) -> AppResult<Option<Uuid>> {
    let query = refresh_tokens::table
        .inner_join(sessions::table)
        .filter(refresh_tokens::jti.eq(jti))
        .filter(sessions::revoked_at.is_null())
        .select(sessions::id);
    crate::db::first_or_none(conn, query).await
}

/// Revokes one session (sign-out); `true` when it was live.
pub async fn revoke_session(conn: &mut AsyncPgConnection, session: Uuid) -> AppResult<bool> {
    let revoked = diesel::update(
        sessions::table.filter(sessions::id.eq(session).and(sessions::revoked_at.is_null())),
    )
    .set(sessions::revoked_at.eq(Utc::now()))
    .execute(conn)
    .await?;
    Ok(revoked > 0)
}

/// Revokes every session of a user (sign-out everywhere, a new password, deactivation).
pub async fn revoke_all(conn: &mut AsyncPgConnection, user_id: i64) -> AppResult<usize> {
    Ok(diesel::update(
        sessions::table.filter(sessions::user_id.eq(user_id).and(sessions::revoked_at.is_null())),
    )
    .set(sessions::revoked_at.eq(Utc::now()))
    .execute(conn)
    .await?)
}

/// The user of an access token with whether its session is live, in one statement (the
/// viewer query of every authenticated request).
pub async fn user_in_session(
    conn: &mut AsyncPgConnection, user_id: i64, session: Uuid,
) -> AppResult<Option<(UserRow, bool)>> {
    let live = diesel::dsl::exists(
        sessions::table.filter(
            sessions::id
                .eq(session)
                .and(sessions::user_id.eq(users::id))
                .and(sessions::revoked_at.is_null()),
        ),
    );
    let query = users::table.find(user_id).select((UserRow::as_select(), live));
    crate::db::first_or_none(conn, query).await
}

/// `(session, user_id, is_active, is_staff, session live)` of each of `sessions` that
/// still exists, in one statement (the WebSocket session watch re-checks sockets with it).
pub async fn standings(
    conn: &mut AsyncPgConnection, ids: &[Uuid],
) -> AppResult<Vec<(Uuid, bool, bool, bool)>> {
    Ok(sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq_any(ids))
        .select((sessions::id, users::is_active, users::is_staff, sessions::revoked_at.is_null()))
        .load(conn)
        .await?)
}
