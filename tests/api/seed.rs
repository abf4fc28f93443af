//! The demo catalogue.

use serde_json::json;
use storefront::seed::{self, SeedError};

use crate::common::{As, TestApp, factories};

#[tokio::test]
async fn seed_loads_a_deterministic_catalogue_and_refuses_to_overwrite_without_force() {
    let app = TestApp::new().await;
    let mut conn = app.conn().await;
    factories::collection(&mut conn, "Mine").await;
    assert!(matches!(seed::seed(&mut conn, false, false).await, Err(SeedError::NotEmpty)));
    let report = seed::seed(&mut conn, true, false).await.unwrap();
    assert_eq!((report.collections, report.products), (10, 1000));
    assert_eq!(report.users, 0, "no accounts unless asked");
    assert!(report.reviews > 1000);
    drop(conn);

    let query = "{ collections { title } products(first: 3) { totalCount nodes { id title unitPrice inventory } } }";
    let first = app.data(As::Default, query, json!({})).await;
    assert_eq!(first["products"]["totalCount"], 1000);
    assert!(
        first["collections"]
            .as_array()
            .is_some_and(|c| c.len() == 10 && !c.contains(&json!({ "title": "Mine" })))
    );

    let mut conn = app.conn().await;
    seed::seed(&mut conn, true, false).await.unwrap();
    drop(conn);
    assert_eq!(app.data(As::Default, query, json!({})).await, first, "the same data on every run");

    let duplicates_query = "{ products(first: 100, search: \"Coffee\") { nodes { title } } }";
    let duplicates = app.data(As::Default, duplicates_query, json!({})).await;
    let titles: Vec<&str> = duplicates["products"]["nodes"]
        .as_array()
        .map(|n| n.iter().filter_map(|x| x["title"].as_str()).collect())
        .unwrap_or_default();
    assert!(titles.windows(2).any(|w| w[0] == w[1]), "the demo data repeats titles");
}
