//! The sign-in lockout, counted in PostgreSQL so it holds across instances and restarts.
//!
//! - 5 failed sign-ins within 15 minutes for one account from one client address lock
//!   that pair for 1 minute; each further failure after a lock doubles it, up to 1 hour.
//! - 50 failures within 15 minutes for one account from all addresses together lock the
//!   account from every address the same way: distributed guessing stops, while one
//!   stranger alone is locked out long before reaching it.
//! - Unknown usernames count like known ones (the account is the lower-cased username).
//! - While locked, even the right password is refused (nothing is verified), with
//!   `RATE_LIMITED` and the seconds left. A successful sign-in clears its pair.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

use crate::db::schema::sign_in_locks;
use crate::error::{AppError, AppResult};

/// Failures of one account from one address that lock the pair.
pub const PAIR_FAILURES: i64 = 5;
/// Failures of one account from all addresses that lock the account.
pub const ACCOUNT_FAILURES: i64 = 50;
/// The window the failures are counted in, in minutes.
pub const WINDOW_MINUTES: i64 = 15;
/// The first lock, in seconds; each further one doubles, up to [`MAX_LOCK_SECONDS`].
pub const FIRST_LOCK_SECONDS: i64 = 60;
pub const MAX_LOCK_SECONDS: i64 = 3_600;
/// The lock row that covers every address of an account.
const ALL_ADDRESSES: &str = "*";

/// The key of an account: its username, trimmed and lower-cased.
pub fn account_key(username: &str) -> String {
    username.trim().to_lowercase().chars().take(150).collect()
}

fn address_key(address: &str) -> String {
    address.chars().take(64).collect()
}

/// `RATE_LIMITED` when the pair or the account is locked.
pub async fn check(conn: &mut AsyncPgConnection, account: &str, address: &str) -> AppResult<()> {
    let until: Option<DateTime<Utc>> = sign_in_locks::table
        .filter(sign_in_locks::account.eq(account))
        .filter(sign_in_locks::address.eq_any([address_key(address), ALL_ADDRESSES.to_owned()]))
        .filter(sign_in_locks::locked_until.gt(Utc::now()))
        .select(diesel::dsl::max(sign_in_locks::locked_until))
        .first(conn)
        .await?;
    match until {
        Some(until) => {
            let left = (until - Utc::now()).num_milliseconds().max(0);
            Err(AppError::RateLimited {
                retry_after: u64::try_from((left + 999) / 1000).unwrap_or(1).max(1),
            })
        }
        None => Ok(()),
    }
}

/// Records a failure and locks the pair or the account when it crosses a threshold.
pub async fn record_failure(
    conn: &mut AsyncPgConnection, account: &str, address: &str,
) -> AppResult<()> {
    let address = address_key(address);
    conn.transaction::<_, AppError, _>(async |conn| {
        #[derive(QueryableByName)]
        struct Counts {
            #[diesel(sql_type = BigInt)]
            pair: i64,
            #[diesel(sql_type = BigInt)]
            account: i64,
        }
        // Insert, forget this account's failures outside the window, and count, in one
        // statement.
        let counts: Counts = diesel::sql_query(format!(
            "WITH added AS (INSERT INTO sign_in_failures (account, address) VALUES ($1, $2)), \
             forgotten AS (DELETE FROM sign_in_failures WHERE account = $1 \
                 AND failed_at < now() - interval '{WINDOW_MINUTES} minutes') \
             SELECT 1 + count(*) FILTER (WHERE address = $2) AS pair, 1 + count(*) AS account \
             FROM sign_in_failures WHERE account = $1 \
                 AND failed_at >= now() - interval '{WINDOW_MINUTES} minutes'"
        ))
        .bind::<Text, _>(account)
        .bind::<Text, _>(&address)
        .get_result(conn)
        .await?;
        if counts.pair >= PAIR_FAILURES {
            lock(conn, account, &address).await?;
        }
        if counts.account >= ACCOUNT_FAILURES {
            lock(conn, account, ALL_ADDRESSES).await?;
        }
        Ok(())
    })
    .await
}

/// Locks `(account, address)`: 1 minute, doubled for every lock since the last quiet
/// window, at most an hour.
async fn lock(conn: &mut AsyncPgConnection, account: &str, address: &str) -> AppResult<()> {
    diesel::sql_query(format!(
        "INSERT INTO sign_in_locks AS l (account, address, locked_until, strikes) \
         VALUES ($1, $2, now() + interval '{FIRST_LOCK_SECONDS} seconds', 1) \
         ON CONFLICT (account, address) DO UPDATE SET \
           strikes = CASE WHEN l.locked_until < now() - interval '{WINDOW_MINUTES} minutes' \
                          THEN 1 ELSE l.strikes + 1 END, \
           locked_until = now() + make_interval(secs => least({MAX_LOCK_SECONDS}, \
               {FIRST_LOCK_SECONDS} * power(2, least(CASE WHEN l.locked_until < now() - interval '{WINDOW_MINUTES} minutes' \
                          THEN 0 ELSE l.strikes END, 12))))"
    ))
    .bind::<Text, _>(account)
    .bind::<Text, _>(address)
    .execute(conn)
    .await?;
    Ok(())
}

/// A successful sign-in clears its pair's failures and lock (one statement).
pub async fn clear(conn: &mut AsyncPgConnection, account: &str, address: &str) -> AppResult<()> {
    diesel::sql_query(
        "WITH failures AS (DELETE FROM sign_in_failures WHERE account = $1 AND address = $2) \
         DELETE FROM sign_in_locks WHERE account = $1 AND address = $2",
    )
    .bind::<Text, _>(account)
    .bind::<Text, _>(address_key(address))
    .execute(conn)
    .await?;
    Ok(())
}
