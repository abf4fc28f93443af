//! The web apps and GraphiQL in a real headless Chromium, against a real `storefront serve`
//! on the test's database (`RATE_LIMITS=off`). Screenshots go to `target/screenshots/`.

use crate::common::browser::{Browser, Page, screenshot_dir};
use crate::common::instance::Instance;
use serde_json::json;

use crate::common::{As, Kind, TestApp, factories};

/// `serve` for a browser: GraphiQL on, URLs (media, invoices) on its own port.
async fn web_instance(app: &TestApp) -> Instance {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let base = format!("http://{bind}");
    let env = [
        ("BIND_ADDR", bind.as_str()),
        ("PUBLIC_BASE_URL", base.as_str()),
        ("GRAPHIQL", "true"),
    ];
    Instance::start_with(app, &env).await
}

/// Every request of `page` went to `origin` (nothing from the internet).
fn only_local(page: &Page, origin: &str) {
    let ws = origin.replace("http://", "ws://");
    let elsewhere: Vec<_> = page
        .requests()
        .iter()
        .filter(|url| {
            !url.starts_with(origin) && !url.starts_with(&ws) && !url.starts_with("data:")
        })
        .collect();
    assert!(elsewhere.is_empty(), "requested elsewhere: {elsewhere:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graphiql_renders_and_runs_a_query_offline() {
    let app = TestApp::new().await;
    let mut conn = app.conn().await;
    factories::catalogue(&mut conn, &[("Brass lamp", "30.00", 5)]).await;
    drop(conn);
    let web = web_instance(&app).await;
    let origin = format!("http://{}", web.addr);
    let browser = Browser::launch().await;
    let mut page = browser.page().await;
    page.goto(&format!("{origin}/graphql")).await;
    page.wait_for("document.querySelector('.graphiql-container')")
        .await;
    page.click(".graphiql-execute-button").await;
    page.wait_for("document.querySelector('.result-window').innerText.includes('Brass lamp')")
        .await;
    page.screenshot(&screenshot_dir().join("graphiql.png"))
        .await;
    assert!(page.errors().is_empty(), "{:?}", page.errors());
    only_local(&page, &origin);
}

/// Screenshots of the current page at desktop and phone width.
async fn screenshots(page: &mut Page, name: &str) {
    let dir = screenshot_dir();
    page.screenshot(&dir.join(format!("{name}-desktop.png")))
        .await;
    page.viewport(390, 844, true).await;
    page.screenshot(&dir.join(format!("{name}-phone.png")))
        .await;
    page.viewport(1280, 900, false).await;
}

fn sel(id: &str) -> String {
    Page::testid(id)
}

/// The quantity shown on the cart line of product `title`.
async fn line_quantity(page: &mut Page, title: &str) -> String {
    let title = serde_json::to_string(title).unwrap();
    let quantity = page
        .wait_for(&format!(
            "[...document.querySelectorAll('[data-testid=cart-line]')].find(l => l.innerText.includes({title}))\
             ?.querySelector('[data-testid=line-quantity]').innerText"
        ))
        .await;
    quantity.as_str().unwrap().to_owned()
}

async fn click_in_line(page: &mut Page, title: &str, button: &str) {
    let title = serde_json::to_string(title).unwrap();
    page.eval(&format!(
        "[...document.querySelectorAll('[data-testid=cart-line]')].find(l => l.innerText.includes({title}))\
         .querySelector('[data-testid={button}]').click()"
    ))
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shopper_browses_fills_a_cart_signs_in_and_checks_out() {
    let app = TestApp::new().await;
    let mut conn = app.conn().await;
    let titles: Vec<String> = (1..=14).map(|i| format!("Item {i:02}")).collect();
    let specs: Vec<(&str, &str, i32)> = titles.iter().map(|t| (t.as_str(), "12.50", 50)).collect();
    let ids = factories::catalogue(&mut conn, &specs).await;
    drop(conn);
    // Ann already has a cart with Item 14 in it (from another device).
    let (_, ann) = app.user("ann", Kind::Customer).await;
    let own = app
        .data(As::Token(&ann), "mutation { createCart { id } }", json!({}))
        .await;
    let add = "mutation($c: UUID!, $p: Int!) { addCartItem(cartId: $c, productId: $p, quantity: 1) { id } }";
    app.data(
        As::Token(&ann),
        add,
        json!({ "c": own["createCart"]["id"], "p": ids[13] }),
    )
    .await;

    let web = web_instance(&app).await;
    let origin = format!("http://{}", web.addr);
    let browser = Browser::launch().await;
    let mut page = browser.page().await;
    page.goto(&format!("{origin}/")).await;
    page.wait_for("document.querySelectorAll('[data-testid=product-card]').length === 12")
        .await;
    screenshots(&mut page, "storefront-products").await;
    page.click(&sel("load-more")).await;
    page.wait_for("document.querySelectorAll('[data-testid=product-card]').length === 14")
        .await;
    page.wait_for("document.querySelector('[data-testid=load-more]').hidden")
        .await;
    assert_eq!(page.count(&sel("product-card")).await, 14);

    // Two products into a guest cart.
    for index in [0, 1] {
        page.eval(&format!(
            "document.querySelectorAll('[data-testid=add-to-cart]')[{index}].click()"
        ))
        .await;
        page.wait_for(&format!("document.querySelectorAll('[data-testid=add-to-cart]')[{index}].innerText.includes('Added')")).await;
    }
    page.click(&sel("cart-link")).await;
    page.wait_for("document.querySelectorAll('[data-testid=cart-line]').length === 2")
        .await;
    click_in_line(&mut page, "Item 01", "line-increase").await;
    page.wait_for("document.querySelector('[data-testid=cart-total]').dataset.value === '37.50'")
        .await;
    click_in_line(&mut page, "Item 01", "line-increase").await;
    page.wait_for("document.querySelector('[data-testid=cart-total]').dataset.value === '50.00'")
        .await;
    click_in_line(&mut page, "Item 01", "line-decrease").await;
    page.wait_for("document.querySelector('[data-testid=cart-total]').dataset.value === '37.50'")
        .await;
    assert_eq!(line_quantity(&mut page, "Item 01").await, "2");
    assert!(
        page.text("main").await.contains("held for"),
        "the hold is shown"
    );
    screenshots(&mut page, "storefront-cart").await;

    // Signing in merges the guest cart into Ann's cart.
    page.click(&sel("sign-in-link")).await;
    page.fill(&sel("username"), "ann").await;
    page.fill(&sel("password"), "a-strong-pass-9").await;
    page.click(&sel("sign-in-submit")).await;
    page.wait_for("document.querySelectorAll('[data-testid=cart-line]').length === 3")
        .await;
    assert_eq!(line_quantity(&mut page, "Item 14").await, "1");
    page.wait_for("document.querySelector('[data-testid=cart-total]').dataset.value === '50.00'")
        .await;

    page.click(&sel("checkout")).await;
    let order_id = page
        .wait_for("document.querySelector('[data-testid=order-confirmation]')?.dataset.orderId")
        .await;
    screenshots(&mut page, "storefront-order").await;
    let placed = app.count_sql("SELECT count(*) AS n FROM orders").await;
    assert_eq!(placed, 1);
    let units = app
        .count_sql("SELECT sum(quantity)::bigint AS n FROM order_items")
        .await;
    assert_eq!(units, 4);

    // My orders, with the status updating live when staff mark it paid.
    page.goto(&format!("{origin}/#/orders")).await;
    page.wait_for("document.querySelector('[data-testid=my-orders] [data-testid=order-status]')?.innerText === 'PENDING'").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await; // the socket subscribes
    let (_, staff) = app.user("sam", Kind::Staff).await;
    let paid = "mutation($id: Int!) { updateOrder(id: $id, paymentStatus: COMPLETE) { id } }";
    let id: i64 = order_id.as_str().unwrap().parse().unwrap();
    app.data(As::Token(&staff), paid, json!({ "id": id })).await;
    page.wait_for("document.querySelector('[data-testid=my-orders] [data-testid=order-status]').innerText === 'COMPLETE'").await;
    screenshots(&mut page, "storefront-orders").await;
    assert!(page.errors().is_empty(), "{:?}", page.errors());
    only_local(&page, &origin);
}
