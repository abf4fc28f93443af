//! Database kernel: the pool type, pool construction and the embedded migrations.

pub mod embedded;
pub mod notifications;
pub mod pagination;
pub mod profile;
pub mod replicas;
pub mod rows;
pub mod schema;
pub mod sql;

use std::time::Duration;

use anyhow::Context;
use diesel::Connection;
use diesel_async::AsyncPgConnection;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::{Object, Pool};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("./migrations");

pub type DbPool = Pool<AsyncPgConnection>;
pub type DbConn = Object<AsyncPgConnection>;

/// `url` with the service's session settings for every session opened through it
/// (libpq's `options` parameter, so they cost no extra round trip per connection):
/// - a server-side `statement_timeout`: a statement that runs longer is cancelled by
///   PostgreSQL itself, so a request that times out never leaves its SQL running;
/// - `plan_cache_mode=force_generic_plan`: every statement is prepared once per
///   connection, and its plan is kept. Its shapes are index reads whose best plan does
///   not depend on the values bound; left on `auto`, PostgreSQL kept planning the
///   product page afresh for every execution (a `LIMIT $n` makes the generic plan look
///   dearer than it is), which was a quarter of its CPU on that request.
///
/// Key-value connection strings are left alone.
pub fn with_session_settings(url: &str, timeout: Duration) -> String {
    if !url.contains("://") {
        return url.to_owned();
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!(
        "{url}{separator}options=-c%20statement_timeout%3D{}%20-c%20plan_cache_mode%3Dforce_generic_plan",
        timeout.as_millis().max(1)
    )
}

/// A pool of `size` connections to `url`.
///
/// Connections are recycled with `RecyclingMethod::Fast`: a connection whose socket closed
/// is still discarded (diesel-async checks `is_broken`), but checkouts skip the default
/// `SELECT 1` round trip, which cost a third of the throughput of a one-query request.
pub fn create_pool(url: &str, size: usize) -> anyhow::Result<DbPool> {
    let mut config = ManagerConfig::default();
    config.recycling_method = RecyclingMethod::Fast;
    create_pool_with_config(url, size, config)
}

/// A pool with a custom manager configuration (the tests use it to count statements).
pub fn create_pool_with_config(
    url: &str, size: usize, config: ManagerConfig<AsyncPgConnection>,
) -> anyhow::Result<DbPool> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    Pool::builder(manager)
        .runtime(deadpool::Runtime::Tokio1)
        .max_size(size)
        .wait_timeout(Some(Duration::from_secs(10)))
        .create_timeout(Some(Duration::from_secs(10)))
        .recycle_timeout(Some(Duration::from_secs(5)))
        .build()
        .context("could not build the database pool")
}

/// Runs every pending migration against `url` and returns the versions it applied.
///
/// Diesel's migration harness is synchronous; it runs on its own thread through
/// `AsyncConnectionWrapper` (as crates.io's `migrate` does), so this works from any
/// tokio runtime flavour, including the tests' current-thread runtime.
pub async fn run_migrations(url: &str) -> anyhow::Result<Vec<String>> {
    let owned = url.to_owned();
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let result = (|| -> anyhow::Result<Vec<String>> {
            let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&owned)
                .context("could not connect to the database to migrate it")?;
            let applied = conn
                .run_pending_migrations(MIGRATIONS)
                .map_err(|error| anyhow::anyhow!("migration failed: {error}"))?;
            Ok(applied.iter().map(ToString::to_string).collect())
        })();
        let _ = tx.send(result);
    });
    let applied = rx.await.context("the migration thread stopped")??;
    Ok(applied)
}

/// The advisory lock key that serialises migrations ("storefront" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x73_74_6f_72_65_66_72;

/// A session-level advisory lock held on its own connection while migrations run, so two
/// instances starting together never migrate at the same time.
pub struct MigrationLock(AsyncPgConnection);

impl MigrationLock {
    /// Waits for the lock.
    pub async fn acquire(url: &str) -> anyhow::Result<Self> {
        use diesel_async::{AsyncConnection, RunQueryDsl};
        let mut conn = AsyncPgConnection::establish(url)
            .await
            .context("could not connect to the database to migrate it")?;
        diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
            .execute(&mut conn)
            .await
            .context("could not take the migration lock")?;
        Ok(Self(conn))
    }

    /// Releases the lock (closing the connection would too).
    pub async fn release(mut self) {
        use diesel_async::RunQueryDsl;
        let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
            .execute(&mut self.0)
            .await;
    }
}

/// Creates database `name` on the server behind `maintenance_url` unless it exists.
pub async fn ensure_database(maintenance_url: &str, name: &str) -> anyhow::Result<()> {
    use diesel::sql_types::{BigInt, Text};
    use diesel_async::{AsyncConnection, RunQueryDsl};

    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = AsyncPgConnection::establish(maintenance_url)
        .await
        .context("could not connect to the PostgreSQL server")?;
    let found: Found =
        diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
            .bind::<Text, _>(name)
            .get_result(&mut conn)
            .await?;
    if found.n == 0 {
        let quoted = name.replace('"', "\"\"");
        diesel::sql_query(format!("CREATE DATABASE \"{quoted}\""))
            .execute(&mut conn)
            .await
            .with_context(|| format!("could not create database {name}"))?;
    }
    Ok(())
}

/// Groups `rows` by `key`, with an empty list for every requested key that has none (so a
/// one-to-many field resolves to `[]`, not null).
pub fn group_by_key<K, T>(
    keys: &[K], rows: impl IntoIterator<Item = T>, key: impl Fn(&T) -> K,
) -> std::collections::HashMap<K, Vec<T>>
where
    K: std::hash::Hash + Eq + Clone,
{
    let mut grouped: std::collections::HashMap<K, Vec<T>> =
        keys.iter().map(|k| (k.clone(), Vec::new())).collect();
    for row in rows {
        grouped.entry(key(&row)).or_default().push(row);
    }
    grouped
}

/// The first row `query` returns, or `None`: a repo's "find by id".
pub fn first_or_none<'a, Q, R>(
    conn: &'a mut AsyncPgConnection, query: Q,
) -> impl Future<Output = crate::error::AppResult<Option<R>>> + Send + 'a
where
    Q: diesel::query_dsl::methods::LimitDsl,
    diesel::dsl::Limit<Q>: diesel_async::methods::LoadQuery<'a, AsyncPgConnection, R> + Send + 'a,
    R: Send + 'a,
{
    use diesel_async::RunQueryDsl;
    let rows = query.first(conn);
    async move { Ok(diesel::OptionalExtension::optional(rows.await)?) }
}

/// The one row `query` returns (an `UPDATE … RETURNING`, a lookup by a unique key), or
/// `None`.
pub fn one_or_none<'a, Q, R>(
    conn: &'a mut AsyncPgConnection, query: Q,
) -> impl Future<Output = crate::error::AppResult<Option<R>>> + Send + 'a
where
    Q: diesel_async::methods::LoadQuery<'a, AsyncPgConnection, R> + 'a,
    R: Send + 'a,
{
    use diesel_async::RunQueryDsl;
    let rows = query.get_result(conn);
    async move { Ok(diesel::OptionalExtension::optional(rows.await)?) }
}

/// One round trip on a pooled connection: `Ok` when the database answers.
pub async fn ping(pool: &DbPool) -> crate::error::AppResult<()> {
    use diesel_async::RunQueryDsl;
    let mut conn = pool.get().await?;
    diesel::sql_query("SELECT 1").execute(&mut conn).await?;
    Ok(())
}

/// The newest migration this build carries (diesel's version: the name's digits).
fn newest_migration() -> Option<&'static str> {
    static NEWEST: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    NEWEST
        .get_or_init(|| {
            use diesel::migration::MigrationSource;
            let migrations =
                MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS).unwrap_or_default();
            migrations.iter().map(|m| m.name().version().to_string()).max()
        })
        .as_deref()
}

/// What `/readyz` asks of the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SchemaState {
    /// It answers, with this build's newest migration applied.
    Current,
    /// It answers, without this build's newest migration (or without migrations at all).
    Behind,
    /// It does not answer.
    Unreachable,
}

/// Whether the database answers and has this build's migrations applied, in one round
/// trip.
pub async fn schema_state(pool: &DbPool) -> SchemaState {
    use diesel::sql_types::{Bool, Text};
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Current {
        #[diesel(sql_type = Bool)]
        current: bool,
    }
    let Ok(mut conn) = pool.get().await else {
        return SchemaState::Unreachable;
    };
    let found = diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM __diesel_schema_migrations WHERE version = $1) AS current",
    )
    .bind::<Text, _>(newest_migration().unwrap_or_default())
    .get_result::<Current>(&mut conn)
    .await;
    match found {
        Ok(found) if found.current => SchemaState::Current,
        Ok(_) => SchemaState::Behind,
        // The server answered, with an error: no migrations table.
        Err(diesel::result::Error::DatabaseError(kind, _))
            if !matches!(kind, diesel::result::DatabaseErrorKind::ClosedConnection) =>
        {
            SchemaState::Behind
        }
        Err(_) => SchemaState::Unreachable,
    }
}

/// An async closure over a connection whose future is `Send`, as `transaction` requires
/// of its callback: the bound for a helper that runs a caller's closure inside a
/// transaction (diesel-async's own, `AsyncFunc`, is private).
pub trait TxFn<'r, R>:
    FnOnce(&'r mut AsyncPgConnection) -> <Self as TxFn<'r, R>>::Fut + Send
{
    type Fut: Future<Output = crate::error::AppResult<R>> + Send;
}

impl<'r, R, F, Fut> TxFn<'r, R> for F
where
    F: FnOnce(&'r mut AsyncPgConnection) -> Fut + Send,
    Fut: Future<Output = crate::error::AppResult<R>> + Send,
{
    type Fut = Fut;
}
