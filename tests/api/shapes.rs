//! The response shapes of the main queries, as snapshots (`tests/api/snapshots`): a
//! changed field name, nesting or format shows up as a diff. Review a change with
//! `cargo insta review` (or `INSTA_UPDATE=always`), and commit the new snapshot.

use insta::assert_json_snapshot;
use serde_json::json;

use crate::common::{As, Kind, TestApp, factories};

const PRODUCTS: &str = "query($after: String) {
  products(first: 2, after: $after, orderBy: [UNIT_PRICE]) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id title slug unitPrice priceWithTax inventory availableInventory } }
  }
}";

const PRODUCT: &str = "query($id: Int!) {
  product(id: $id) {
    id title slug description unitPrice priceWithTax inventory lastUpdate collectionId
    collection { id title productsCount featuredProduct { id } }
    reviews { id name description date productId }
  }
}";

const COLLECTIONS: &str = "{
  collections { id title productsCount featuredProduct { id }
    products(first: 1) { totalCount nodes { id title } } }
}";

#[tokio::test]
async fn catalogue_queries_keep_their_shape() {
    let app = TestApp::new().await;
    let ids =
        app.catalogue(&[("Lamp", "20.00", 5), ("Chair", "45.50", 0), ("Desk", "120.00", 2)]).await;
    let mut conn = app.conn().await;
    factories::review(&mut conn, ids[0], "Ann").await;
    drop(conn);

    let first = app.data(As::Anon, PRODUCTS, json!({})).await;
    assert_json_snapshot!("products_page", first);
    let cursor = first["products"]["pageInfo"]["endCursor"].clone();
    let second = app.data(As::Anon, PRODUCTS, json!({ "after": cursor })).await;
    assert_json_snapshot!("products_next_page", second);

    let product = app.data(As::Anon, PRODUCT, json!({ "id": ids[0] })).await;
    assert_json_snapshot!("product", product, {
        ".product.lastUpdate" => "[timestamp]",
        ".product.reviews[].date" => "[date]",
    });

    let collections = app.data(As::Anon, COLLECTIONS, json!({})).await;
    assert_json_snapshot!("collections", collections);
}

#[tokio::test]
async fn cart_and_order_keep_their_shape() {
    let app = TestApp::new().await;
    let ids = app.catalogue(&[("Lamp", "20.00", 5)]).await;
    let (_, token) = app.user("ann", Kind::Customer).await;
    let caller = As::Token(&token);

    let cart = app.data(caller, "mutation { createCart { id } }", json!({})).await;
    let cart_id = cart["createCart"]["id"].clone();
    let add = "mutation($cart: UUID!, $product: Int!) {
      addCartItem(cartId: $cart, productId: $product, quantity: 2) { id productId quantity totalPrice }
    }";
    app.data(caller, add, json!({ "cart": cart_id, "product": ids[0] })).await;
    let cart = app
        .data(
            caller,
            "query($id: UUID!) { cart(id: $id) { id itemsCount totalPrice
               items { id productId quantity totalPrice product { id title unitPrice } } } }",
            json!({ "id": cart_id }),
        )
        .await;
    assert_json_snapshot!("cart", cart, { ".cart.id" => "[uuid]" });

    let order = app
        .data(
            caller,
            "mutation($cart: UUID!) { createOrder(cartId: $cart) {
               id paymentStatus placedAt totalPrice customer { id }
               items { id productId unitPrice quantity product { id title } } } }",
            json!({ "cart": cart_id }),
        )
        .await;
    assert_json_snapshot!("order", order, {
        ".createOrder.placedAt" => "[timestamp]",
        ".createOrder.id" => "[id]",
        ".createOrder.customer.id" => "[id]",
        ".createOrder.items[].id" => "[id]",
    });
}
