//! The throwaway cluster and one database per test.
//!
//! Without `TEST_DATABASE_URL`, the first test process starts a private cluster (the same
//! code as the service's embedded default) with durability switched off; later test
//! processes join it, and a watchdog stops it once no test process has used it for a
//! while. A migrated template database is built once (under an advisory lock, keyed by a
//! hash of `migrations/`), and each test clones it.

use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use storefront::db::embedded::{ClusterOptions, EmbeddedCluster};

struct Shared {
    /// Connection URL with `{db}` where the database name goes.
    url_template: String,
    template: String,
    /// Holds this process's shared lock on the cluster for the process lifetime.
    _cluster: Option<EmbeddedCluster>,
}

impl Shared {
    fn url(&self, database: &str) -> String {
        self.url_template.replace("{db}", database)
    }
}

static SHARED: OnceLock<Shared> = OnceLock::new();

fn shared() -> &'static Shared {
    SHARED.get_or_init(|| {
        // A plain thread: no tokio context, so it can run its own runtime.
        std::thread::spawn(init).join().unwrap_or_else(|_| panic!("test database set-up panicked"))
    })
}

fn init() -> Shared {
    let (url_template, cluster) = match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.trim().is_empty() => (with_database(&url, "{db}"), None),
        _ => {
            let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("storefront-test-pg");
            let options = ClusterOptions::new(dir)
                .setting("fsync", "off")
                .setting("synchronous_commit", "off")
                .setting("full_page_writes", "off")
                .setting("max_connections", "300")
                .idle_shutdown(Duration::from_secs(20));
            let cluster =
                EmbeddedCluster::start(&options).expect("could not start the test cluster");
            (cluster.url("{db}"), Some(cluster))
        }
    };
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let sweep = cluster.as_ref().is_some_and(EmbeddedCluster::started_here);
    let template = runtime.block_on(prepare_template(&url_template, sweep));
    Shared { url_template, template, _cluster: cluster }
}

/// Replaces the database name in a PostgreSQL URL.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let prefix = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{prefix}/{database}?{query}"),
        None => format!("{prefix}/{database}"),
    }
}

fn migrations_hash() -> u64 {
    let mut files = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for entry in std::fs::read_dir(&root).into_iter().flatten().flatten() {
        for file in std::fs::read_dir(entry.path()).into_iter().flatten().flatten() {
            let content = std::fs::read(file.path()).unwrap_or_default();
            files.push((file.path(), content));
        }
    }
    files.sort();
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    files.hash(&mut hasher);
    hasher.finish()
}

async fn connect(url: &str) -> AsyncPgConnection {
    AsyncPgConnection::establish(url)
        .await
        .unwrap_or_else(|e| panic!("could not connect to {url}: {e}"))
}

async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> bool {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let found: Found =
        diesel::sql_query("SELECT count(*) AS n FROM pg_database WHERE datname = $1")
            .bind::<Text, _>(name)
            .get_result(conn)
            .await
            .expect("pg_database");
    found.n > 0
}

async fn prepare_template(url_template: &str, sweep: bool) -> String {
    let template = format!("storefront_tpl_{:016x}", migrations_hash());
    let mut conn = connect(&url_template.replace("{db}", "postgres")).await;
    let exec = async |conn: &mut AsyncPgConnection, sql: String| {
        diesel::sql_query(&sql).execute(conn).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    };
    exec(&mut conn, "SELECT pg_advisory_lock(72657301)".into()).await;
    if sweep {
        // A fresh cluster: nobody else can own leftover test databases from killed runs.
        #[derive(diesel::QueryableByName)]
        struct Name {
            #[diesel(sql_type = Text)]
            datname: String,
        }
        let leftovers: Vec<Name> = diesel::sql_query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'storefront_test_%'",
        )
        .load(&mut conn)
        .await
        .unwrap_or_default();
        for Name { datname } in leftovers {
            exec(&mut conn, format!("DROP DATABASE IF EXISTS \"{datname}\" WITH (FORCE)")).await;
        }
    }
    if !database_exists(&mut conn, &template).await {
        let building = format!("{template}_building");
        exec(&mut conn, format!("DROP DATABASE IF EXISTS \"{building}\" WITH (FORCE)")).await;
        exec(&mut conn, format!("CREATE DATABASE \"{building}\"")).await;
        storefront::server::migrate(&url_template.replace("{db}", &building))
            .await
            .expect("migrating the template");
        // The job queue's migration pool may still be closing its sessions.
        exec(
            &mut conn,
            format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                 WHERE datname = '{building}' AND pid <> pg_backend_pid()"
            ),
        )
        .await;
        exec(&mut conn, format!("ALTER DATABASE \"{building}\" RENAME TO \"{template}\"")).await;
    }
    exec(&mut conn, "SELECT pg_advisory_unlock(72657301)".into()).await;
    template
}

/// A database for one test, cloned from the template and dropped with the value.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub async fn create() -> Self {
        let shared = tokio::task::spawn_blocking(shared).await.expect("test database set-up");
        let name = format!("storefront_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = connect(&shared.url("postgres")).await;
        diesel::sql_query(format!("CREATE DATABASE \"{name}\" TEMPLATE \"{}\"", shared.template))
            .execute(&mut conn)
            .await
            .expect("create test database");
        Self { url: shared.url(&name), name }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(shared) = SHARED.get() else { return };
        let maintenance = shared.url("postgres");
        let name = self.name.clone();
        // Drop runs inside the test's runtime: use a thread with its own.
        let dropped = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async {
                let mut conn = AsyncPgConnection::establish(&maintenance).await.ok()?;
                diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut conn)
                    .await
                    .ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("warning: could not drop test database {}", self.name);
        }
    }
}

#[test]
fn database_names_are_replaced_in_urls() {
    assert_eq!(
        with_database("postgres://u:p@h:5/db?sslmode=disable", "x"),
        "postgres://u:p@h:5/x?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://u@%2Ftmp%2Fpg:5432/postgres", "{db}"),
        "postgres://u@%2Ftmp%2Fpg:5432/{db}"
    );
    assert_eq!(with_database("postgres://h", "x"), "postgres://h/x");
}
