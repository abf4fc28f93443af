//! Read replicas for real: a private primary and a streaming replica of it
//! (`pg_basebackup -R` and a second postmaster), reads routed to the replica, writers
//! reading their writes from the primary, and the replica skipped when it lags or stops.
//!
//! Which server answered is told by what it can see: with the replica's replay paused,
//! a product written on the primary is visible only through the primary.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use storefront::app::AppOptions;
use storefront::db::embedded::{ClusterOptions, EmbeddedCluster};
use storefront::db::replicas::Replicas;

use crate::common::{Kind, factories, post_graphql, test_auth};

/// A primary, its replica, and the service on both.
struct Pair {
    router: axum::Router,
    replicas: Arc<Replicas>,
    primary_url: String,
    replica_url: String,
    clusters: Vec<EmbeddedCluster>,
    dir: std::path::PathBuf,
}

async fn start(options: ClusterOptions) -> EmbeddedCluster {
    tokio::task::spawn_blocking(move || EmbeddedCluster::start(&options)).await.unwrap().unwrap()
}

impl Pair {
    async fn start(max_lag: Duration) -> Self {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("replicas-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]));
        let primary = start(ClusterOptions::new(dir.join("primary")).setting("fsync", "off")).await;
        let primary_url = primary.url("postgres");
        storefront::server::migrate(&primary_url).await.unwrap();
        let standby = ClusterOptions::new(dir.join("replica")).standby_of(primary.dir());
        let replica = start(standby.setting("fsync", "off")).await;
        let replica_url = replica.url("postgres");
        let replicas = Replicas::start(
            std::slice::from_ref(&replica_url),
            Duration::from_secs(5),
            max_lag,
            Duration::from_secs(5),
        )
        .unwrap();
        let state = storefront::AppState::with_options(
            storefront::db::create_pool(&primary_url, 4).unwrap(),
            test_auth(Duration::from_secs(600)),
            AppOptions {
                replicas: Some(replicas.clone()),
                throttles: storefront::throttle::Throttles::new(false),
                ..AppOptions::default()
            },
        );
        Self {
            router: storefront::build_app(state),
            replicas,
            primary_url,
            replica_url,
            clusters: vec![primary, replica],
            dir,
        }
    }

    async fn sql(url: &str, sql: &str) {
        use diesel_async::{AsyncConnection, RunQueryDsl};
        let mut conn = diesel_async::AsyncPgConnection::establish(url).await.unwrap();
        diesel::sql_query(sql).execute(&mut conn).await.unwrap();
    }

    /// Waits until the replica is in use and has replayed everything written so far.
    async fn replica_in_use(&self) {
        for _ in 0..100 {
            self.replicas.check().await;
            if self.replicas.for_reader("probe").is_some() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the replica never became usable");
    }

    /// A product written on the primary only: the replica's replay is paused first.
    async fn product_only_on_the_primary(&self) {
        Self::sql(&self.replica_url, "SELECT pg_wal_replay_pause()").await;
        let mut conn =
            storefront::db::create_pool(&self.primary_url, 1).unwrap().get().await.unwrap();
        factories::catalogue(&mut conn, &[("Teapot", "12.00", 3)]).await;
    }

    /// How many products a read as `token` (anonymous without) sees: 0 on the paused
    /// replica, 1 on the primary.
    async fn products_seen(&self, token: Option<&str>) -> Value {
        let authorization = token.map(|t| format!("Bearer {t}"));
        let query = "{ products { totalCount } }";
        let (_, _, body) =
            post_graphql(&self.router, authorization.as_deref(), None, query, json!({})).await;
        body["data"]["products"]["totalCount"].clone()
    }

    async fn stop(mut self) {
        while let Some(cluster) = self.clusters.pop() {
            let _ = tokio::task::spawn_blocking(move || cluster.release()).await;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_go_to_the_replica_and_a_writer_reads_their_own_writes() {
    let pair = Pair::start(Duration::from_secs(300)).await;
    let mut conn = storefront::db::create_pool(&pair.primary_url, 1).unwrap().get().await.unwrap();
    let auth = test_auth(Duration::from_secs(600));
    let user = factories::user(&mut conn, &auth, "writer", Kind::Customer).await;
    let token =
        storefront::auth::sessions::start(&mut conn, &auth.jwt, user.id).await.unwrap().access;
    drop(conn);
    pair.replica_in_use().await;
    pair.product_only_on_the_primary().await;

    assert_eq!(pair.products_seen(None).await, 0, "anonymous reads: the replica");
    assert_eq!(pair.products_seen(Some(&token)).await, 0, "a reader: the replica");
    let (_, _, created) = post_graphql(
        &pair.router,
        Some(&format!("Bearer {token}")),
        None,
        "mutation { createCart { id } }",
        json!({}),
    )
    .await;
    assert!(created["data"]["createCart"]["id"].is_string(), "{created}");
    assert_eq!(pair.products_seen(Some(&token)).await, 1, "a writer: the primary");
    assert_eq!(pair.products_seen(None).await, 0, "others still: the replica");
    pair.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lagging_or_stopped_replica_is_skipped() {
    let mut pair = Pair::start(Duration::from_secs(1)).await;
    pair.replica_in_use().await;
    pair.product_only_on_the_primary().await;
    assert_eq!(pair.products_seen(None).await, 0);
    let mut seen = Value::Null;
    for _ in 0..50 {
        seen = pair.products_seen(None).await;
        if seen == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(seen, 1, "a replica lagging over REPLICA_MAX_LAG is skipped");

    Pair::sql(&pair.replica_url, "SELECT pg_wal_replay_resume()").await;
    pair.replica_in_use().await;
    let replica = pair.clusters.pop().unwrap();
    assert!(tokio::task::spawn_blocking(move || replica.release()).await.unwrap().unwrap());
    pair.replicas.check().await;
    for _ in 0..10 {
        assert_eq!(pair.products_seen(None).await, 1, "the primary answers");
    }
    pair.stop().await;
}
