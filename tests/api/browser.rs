//! The web apps and GraphiQL in a real headless Chromium, against a real `storefront serve`
//! on the test's database (`RATE_LIMITS=off`). Screenshots go to `target/screenshots/`.

use crate::common::browser::{Browser, Page, screenshot_dir};
use crate::common::instance::Instance;
use serde_json::json;

use crate::common::{As, Kind, TestApp, factories};

/// `serve` for a browser: GraphiQL on, URLs (media, invoices) on its own port, and `env`.
async fn web_instance_with(app: &TestApp, env: &[(&str, &str)]) -> Instance {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let bind = format!("127.0.0.1:{port}");
    let base = format!("http://{bind}");
    let mut all = vec![
        ("BIND_ADDR", bind.as_str()),
        ("PUBLIC_BASE_URL", base.as_str()),
        ("GRAPHIQL", "true"),
    ];
    all.extend_from_slice(env);
    Instance::start_with(app, &all).await
}

async fn web_instance(app: &TestApp) -> Instance {
    web_instance_with(app, &[]).await
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
async fn graphiql_runs_queries_and_subscriptions_offline() {
    let app = TestApp::new().await;
    app.catalogue(&[("Brass lamp", "30.00", 5)]).await;
    let web = web_instance(&app).await;
    let origin = format!("http://{}", web.addr);
    let browser = Browser::launch().await;
    let mut page = browser.page().await;
    page.goto(&format!("{origin}/graphql")).await;
    page.wait_for("document.querySelector('.graphiql-container')").await;
    page.click(".graphiql-execute-button").await;
    page.wait_for("document.querySelector('.result-window').innerText.includes('Brass lamp')")
        .await;
    page.screenshot(&screenshot_dir().join("graphiql.png")).await;

    // A subscription over /graphql/ws, with the token from the headers editor.
    let (_, staff) = app.user("sam", Kind::Staff).await;
    // The shown CodeMirror editor under `selector`.
    let editor = |selector: &str, text: &str| {
        let text = serde_json::to_string(text).unwrap();
        format!(
            "document.querySelector('{selector} .graphiql-editor:not(.hidden) .CodeMirror')\
             .CodeMirror.setValue({text})"
        )
    };
    page.eval(&editor(".graphiql-session", "subscription { orderCreated { id } }")).await;
    page.eval(
        "[...document.querySelectorAll('button')].find(b => b.innerText === 'Headers').click()",
    )
    .await;
    page.wait_for("document.querySelector('.graphiql-editor-tool .CodeMirror')").await;
    let headers = format!("{{\"Authorization\": \"Bearer {staff}\"}}");
    page.eval(&editor(".graphiql-editor-tool", &headers)).await;
    page.click(".graphiql-execute-button").await;
    tokio::time::sleep(std::time::Duration::from_millis(700)).await; // the socket subscribes
    let (_, ann) = app.user("ann", Kind::Customer).await;
    let cart = app.data(As::Token(&ann), "mutation { createCart { id } }", json!({})).await;
    let cart = cart["createCart"]["id"].clone();
    let add = "mutation($c: UUID!) { addCartItem(cartId: $c, productId: 1, quantity: 1) { id } }";
    app.data(As::Token(&ann), add, json!({ "c": cart })).await;
    let order = "mutation($c: UUID!) { createOrder(cartId: $c) { id } }";
    let placed = app.data(As::Token(&ann), order, json!({ "c": cart })).await;
    let id = placed["createOrder"]["id"].as_i64().unwrap();
    page.wait_for(&format!(
        "document.querySelector('.result-window').innerText.replace(/\\s/g, '').includes('\"id\":{id}')"
    ))
    .await;
    assert!(page.errors().is_empty(), "{:?}", page.errors());
    only_local(&page, &origin);
}

/// Screenshots of the current page at desktop and phone width.
async fn screenshots(page: &mut Page, name: &str) {
    let dir = screenshot_dir();
    page.screenshot(&dir.join(format!("{name}-desktop.png"))).await;
    page.viewport(390, 844, true).await;
    page.screenshot(&dir.join(format!("{name}-phone.png"))).await;
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

/// The catalogue's first page (and its weight), then "Load more".
async fn browse(page: &mut Page, origin: &str) {
    page.goto(&format!("{origin}/")).await;
    page.wait_for("document.querySelectorAll('[data-testid=product-card]').length === 12").await;
    screenshots(page, "storefront-products").await;
    // The first page load: the document and everything it loaded, well under 200 KB.
    let bytes = page
        .eval(
            "performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))\
             .reduce((sum, entry) => sum + entry.encodedBodySize, 0)",
        )
        .await;
    let bytes = bytes.as_f64().unwrap();
    assert!(bytes > 10_000.0 && bytes < 200_000.0, "first load {bytes} bytes");
    page.click(&sel("load-more")).await;
    page.wait_for("document.querySelectorAll('[data-testid=product-card]').length === 14").await;
    page.wait_for("document.querySelector('[data-testid=load-more]').hidden").await;
    assert_eq!(page.count(&sel("product-card")).await, 14);
}

/// Two products into a guest cart, then `+`, `+` and `−` on the first.
async fn fill_guest_cart(page: &mut Page) {
    // Two products into a guest cart.
    for index in [0, 1] {
        page.eval(&format!(
            "document.querySelectorAll('[data-testid=add-to-cart]')[{index}].click()"
        ))
        .await;
        page.wait_for(&format!("document.querySelectorAll('[data-testid=add-to-cart]')[{index}].innerText.includes('Added')")).await;
    }
    page.click(&sel("cart-link")).await;
    page.wait_for("document.querySelectorAll('[data-testid=cart-line]').length === 2").await;
    click_in_line(page, "Item 01", "line-increase").await;
    page.wait_for("document.querySelector('[data-testid=cart-total]').dataset.value === '37.50'")
        .await;
    click_in_line(page, "Item 01", "line-increase").await;
    page.wait_for("document.querySelector('[data-testid=cart-total]').dataset.value === '50.00'")
        .await;
    click_in_line(page, "Item 01", "line-decrease").await;
    page.wait_for("document.querySelector('[data-testid=cart-total]').dataset.value === '37.50'")
        .await;
    assert_eq!(line_quantity(page, "Item 01").await, "2");
    assert!(page.text("main").await.contains("held for"), "the hold is shown");
    screenshots(page, "storefront-cart").await;
}

/// My orders, with the status updating live when staff mark order `order_id` paid.
async fn watch_status_live(
    app: &TestApp, page: &mut Page, origin: &str, order_id: &serde_json::Value,
) {
    page.goto(&format!("{origin}/#/orders")).await;
    page.wait_for("document.querySelector('[data-testid=my-orders] [data-testid=order-status]')?.innerText === 'PENDING'").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await; // the socket subscribes
    let (_, staff) = app.user("sam", Kind::Staff).await;
    let paid = "mutation($id: Int!) { updateOrder(id: $id, paymentStatus: COMPLETE) { id } }";
    let id: i64 = order_id.as_str().unwrap().parse().unwrap();
    app.data(As::Token(&staff), paid, json!({ "id": id })).await;
    page.wait_for("document.querySelector('[data-testid=my-orders] [data-testid=order-status]').innerText === 'COMPLETE'").await;
    screenshots(page, "storefront-orders").await;
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
    let own = app.data(As::Token(&ann), "mutation { createCart { id } }", json!({})).await;
    let add = "mutation($c: UUID!, $p: Int!) { addCartItem(cartId: $c, productId: $p, quantity: 1) { id } }";
    app.data(As::Token(&ann), add, json!({ "c": own["createCart"]["id"], "p": ids[13] })).await;

    let web = web_instance(&app).await;
    let origin = format!("http://{}", web.addr);
    let browser = Browser::launch().await;
    let mut page = browser.page().await;
    browse(&mut page, &origin).await;

    fill_guest_cart(&mut page).await;

    // Signing in merges the guest cart into Ann's cart.
    page.click(&sel("sign-in-link")).await;
    page.fill(&sel("username"), "ann").await;
    page.fill(&sel("password"), "a-strong-pass-9").await;
    page.click(&sel("sign-in-submit")).await;
    page.wait_for("document.querySelectorAll('[data-testid=cart-line]').length === 3").await;
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
    let units = app.count_sql("SELECT sum(quantity)::bigint AS n FROM order_items").await;
    assert_eq!(units, 4);

    watch_status_live(&app, &mut page, &origin, &order_id).await;
    assert!(page.errors().is_empty(), "{:?}", page.errors());
    only_local(&page, &origin);
}

/// Signs in to the admin at `origin` as `username`.
async fn admin_sign_in(page: &mut Page, origin: &str, username: &str) {
    page.goto(&format!("{origin}/admin")).await;
    page.fill(&sel("admin-username"), username).await;
    page.fill(&sel("admin-password"), "a-strong-pass-9").await;
    page.click(&sel("admin-sign-in")).await;
    page.wait_for("document.querySelectorAll('[data-testid=admin-product-row]').length === 10")
        .await;
}

/// Ann signs in, adds a product and checks out in `shop`; the order's id.
async fn order_in_shop(shop: &mut Page, origin: &str) -> serde_json::Value {
    shop.goto(&format!("{origin}/#/signin")).await;
    shop.fill(&sel("username"), "ann").await;
    shop.fill(&sel("password"), "a-strong-pass-9").await;
    shop.click(&sel("sign-in-submit")).await;
    shop.wait_for("document.querySelectorAll('[data-testid=product-card]').length > 0").await;
    shop.click(&sel("add-to-cart")).await;
    shop.wait_for("document.getElementById('cart-count').innerText === '1'").await;
    shop.click(&sel("cart-link")).await;
    shop.click(&sel("checkout")).await;
    shop.wait_for("document.querySelector('[data-testid=order-confirmation]')?.dataset.orderId")
        .await
}

/// "Clear inventory" on product `id`, with the admin's message.
async fn clear_inventory(app: &TestApp, admin: &mut Page, id: i64) {
    let row = format!(
        "[data-testid=admin-product-row][data-product-id=\"{}\"] [data-testid=select-product]",
        id
    );
    admin.click(&row).await;
    admin.click(&sel("clear-inventory")).await;
    let message =
        admin.wait_for("document.querySelector('[data-testid=admin-message]').innerText").await;
    assert_eq!(message, "1 products were successfully updated.");
    let left = app
        .count_sql(&format!("SELECT inventory::bigint AS n FROM products WHERE id = {}", id))
        .await;
    assert_eq!(left, 0);
}

/// An image uploaded for product `id` in the admin shows on the storefront.
async fn upload_image(admin: &mut Page, shop: &mut Page, origin: &str, id: i64) {
    admin.goto(&format!("{origin}/admin#/product/{}", id)).await;
    admin.wait_for(&format!("document.querySelector('{}')", sel("image-upload"))).await;
    let png = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        crate::images::png(64, 48, None),
    );
    admin
        .eval(&format!(
            "(() => {{ const bytes = Uint8Array.from(atob('{png}'), c => c.charCodeAt(0)); \
             const input = document.querySelector('[data-testid=image-upload]'); \
             const files = new DataTransfer(); files.items.add(new File([bytes], 'gadget.png', {{ type: 'image/png' }})); \
             input.files = files.files; input.dispatchEvent(new Event('change', {{ bubbles: true }})); }})()"
        ))
        .await;
    admin.wait_for("document.querySelector('[data-testid=admin-message]')?.innerText === 'The image was uploaded.'").await;
    screenshots(admin, "admin-product").await;
    shop.goto(&format!("{origin}/#/product/{}", id)).await;
    let width = shop
        .wait_for("document.querySelector('[data-testid=product-image]')?.complete && document.querySelector('[data-testid=product-image]').naturalWidth")
        .await;
    assert_eq!(width, 64);
}

/// Collections link "{n} Products" to their products; customers "{n} Orders" to theirs,
/// and their membership is edited in place.
async fn collections_and_customers(
    app: &TestApp, admin: &mut Page, origin: &str, order_id: &serde_json::Value,
) {
    admin.goto(&format!("{origin}/admin#/collections")).await;
    admin.click("a[href^='#/?collection=']").await;
    admin.wait_for("document.querySelectorAll('[data-testid=admin-product-row]').length === 10 && location.hash.includes('collection=')").await;
    admin.goto(&format!("{origin}/admin#/customers?search=an")).await;
    let link = admin.text("a[href^='#/orders?customer=']").await;
    assert_eq!(link, "1 Orders");
    let membership = "select[name=membership]";
    admin.eval(&format!("(() => {{ const s = document.querySelector('{membership}'); s.value = 'GOLD'; s.dispatchEvent(new Event('change')); }})()")).await;
    screenshots(admin, "admin-customers").await;
    admin.click("a[href^='#/orders?customer=']").await;
    let orders = admin.wait_for(&format!("document.querySelector('main table')?.innerText.includes('#{}') && document.querySelector('main table').innerText", order_id.as_str().unwrap())).await;
    assert!(orders.as_str().unwrap().contains("PENDING"), "{orders}");
    screenshots(admin, "admin-orders").await;
    let gold = app.count_sql("SELECT count(*) AS n FROM customers WHERE membership = 'G'").await;
    assert_eq!(gold, 1);
}

/// Product `id` tagged and added to the promotion `staff` made, from its admin page.
async fn tag_and_promote(app: &TestApp, admin: &mut Page, origin: &str, id: i64, staff: &str) {
    let create =
        "mutation { createPromotion(input: { description: \"Spring sale\", discount: 5 }) { id } }";
    app.data(As::Token(staff), create, json!({})).await;
    admin.goto(&format!("{origin}/admin#/product/{id}")).await;
    admin.fill("input[name=label]", "gift").await;
    admin
        .eval(
            "[...document.querySelectorAll('button')].find(b => b.innerText === 'Add tag').click()",
        )
        .await;
    admin.wait_for("document.querySelector('.tags').innerText.includes('gift')").await;
    admin
        .eval("[...document.querySelectorAll('button')].find(b => b.innerText === 'Add to promotion').click()")
        .await;
    admin
        .wait_for("document.querySelector('main').innerText.includes('Spring sale (−5.00)')")
        .await;
    let promoted = app.count_sql("SELECT count(*) AS n FROM product_promotions").await;
    assert_eq!(promoted, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_see_orders_live_clear_inventory_and_upload_an_image() {
    let app = TestApp::new().await;
    let mut conn = app.conn().await;
    let titles: Vec<String> = (1..=12).map(|i| format!("Gadget {i:02}")).collect();
    let specs: Vec<(&str, &str, i32)> = titles.iter().map(|t| (t.as_str(), "20.00", 40)).collect();
    let ids = factories::catalogue(&mut conn, &specs).await;
    drop(conn);
    let (_, staff) = app.user("sam", Kind::Staff).await;
    app.user("ann", Kind::Customer).await;
    app.sql("UPDATE users SET first_name = 'Ann', last_name = 'Lee' WHERE username = 'ann'").await;
    let web = web_instance(&app).await;
    let origin = format!("http://{}", web.addr);
    let browser = Browser::launch().await;
    let mut admin = browser.page().await;
    admin_sign_in(&mut admin, &origin, "sam").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await; // the feed subscribes

    // A shopper's order, placed in another tab, arrives in the admin live.
    let mut shop = browser.page().await;
    let order_id = order_in_shop(&mut shop, &origin).await;
    let live = admin
        .wait_for("document.querySelector('[data-testid=admin-live-order]')?.dataset.orderId")
        .await;
    assert_eq!(live, order_id);
    screenshots(&mut admin, "admin-products").await;

    clear_inventory(&app, &mut admin, ids[1]).await;

    upload_image(&mut admin, &mut shop, &origin, ids[2]).await;
    tag_and_promote(&app, &mut admin, &origin, ids[2], &staff).await;

    collections_and_customers(&app, &mut admin, &origin, &order_id).await;
    for page in [&admin, &shop] {
        assert!(page.errors().is_empty(), "{:?}", page.errors());
        only_local(page, &origin);
    }
}

async fn get(
    app: &TestApp, path: &str, etag: Option<&str>,
) -> (u16, axum::http::HeaderMap, String) {
    let headers: Vec<_> = etag.map(|e| ("if-none-match", e)).into_iter().collect();
    let (status, headers, body) = app.get(path, &headers).await;
    (status.as_u16(), headers, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn the_apps_and_their_assets_are_served_from_the_binary() {
    let app = TestApp::new().await;
    for (path, marker) in [("/", "data-testid=\"cart-link\""), ("/admin", "admin-nav")] {
        let (status, headers, body) = get(&app, path, None).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.contains(marker), "{path}");
        assert_eq!(headers["content-type"], "text/html; charset=utf-8");
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("script-src 'self' 'sha256-"), "{policy}");
    }
    let (status, headers, body) = get(&app, "/assets/vendor/urql/urql-core.mjs", None).await;
    assert_eq!(status, 200);
    assert!(body.contains("Client"));
    assert_eq!(headers["content-type"], "text/javascript; charset=utf-8");
    let etag = headers["etag"].to_str().unwrap().to_owned();
    let (status, _, body) = get(&app, "/assets/vendor/urql/urql-core.mjs", Some(&etag)).await;
    assert_eq!((status, body.as_str()), (304, ""), "revalidated by its ETag");
    for missing in ["/assets/nope.js", "/assets/../Cargo.toml", "/assets/%2e%2e/Cargo.toml"] {
        let (status, _, body) = get(&app, missing, None).await;
        assert_eq!(status, 404, "{missing}");
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND", "{missing}");
    }
    let licence = get(&app, "/assets/vendor/graphiql/LICENSE-graphiql", None).await;
    assert!(licence.2.contains("MIT License"), "shipped with its licence");
}

/// Registration errors under their fields; a wrong password, then the right one.
async fn form_errors_then_sign_in(page: &mut Page, origin: &str) {
    // Registration errors sit under their fields.
    page.goto(&format!("{origin}/#/register")).await;
    for (field, value) in
        [("username", "ann"), ("email", "not-an-address"), ("password", "ann12345")]
    {
        page.fill(&format!("input[name={field}]"), value).await;
    }
    page.click(&sel("sign-in-submit")).await;
    let under = |field: &str| {
        format!("document.querySelector('input[name={field}] + .field-error')?.innerText")
    };
    let taken = page.wait_for(&under("username")).await;
    assert_eq!(taken, "A user with that username already exists.");
    assert_eq!(page.wait_for(&under("email")).await, "Enter a valid email address.");
    screenshots(page, "storefront-register").await;

    // A wrong password, then the right one.
    page.goto(&format!("{origin}/#/signin")).await;
    page.fill(&sel("username"), "ann").await;
    page.fill(&sel("password"), "wrong-password-1").await;
    page.click(&sel("sign-in-submit")).await;
    page.wait_for("document.querySelector('.field-error')").await;
    screenshots(page, "storefront-sign-in").await;
    page.fill(&sel("password"), "a-strong-pass-9").await;
    page.click(&sel("sign-in-submit")).await;
    page.wait_for("!document.getElementById('sign-out-link').hidden").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_show_by_their_fields_and_expired_tokens_are_refreshed() {
    let app = TestApp::new().await;
    let ids = app.catalogue(&[("Teapot", "18.00", 3)]).await;
    app.user("ann", Kind::Customer).await;
    let web = web_instance_with(&app, &[("ACCESS_TOKEN_TTL", "2s")]).await;
    let origin = format!("http://{}", web.addr);
    let browser = Browser::launch().await;
    let mut page = browser.page().await;

    form_errors_then_sign_in(&mut page, &origin).await;

    // More than one needs: "Only 3 left in stock." next to the line.
    page.goto(&format!("{origin}/#/product/{}", ids[0])).await;
    page.click(&sel("add-to-cart")).await;
    page.wait_for("document.getElementById('cart-count').innerText === '1'").await;
    screenshots(&mut page, "storefront-product").await;
    page.click(&sel("cart-link")).await;
    for _ in 0..3 {
        page.click(&sel("line-increase")).await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    let short =
        page.wait_for("document.querySelector('[data-testid=cart-line] .error')?.innerText").await;
    assert_eq!(short, "Only 3 left in stock.");
    assert_eq!(page.text(&sel("line-quantity")).await, "3");

    // The access token expires. The reloaded page's first two calls (the header's cart
    // count and the orders) both find it expired and share one refresh: the refresh token
    // rotates once and the user stays signed in.
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    page.goto("about:blank").await;
    page.goto(&format!("{origin}/#/orders")).await;
    page.wait_for("document.querySelector('[data-testid=my-orders]')").await;
    page.wait_for("!document.getElementById('sign-out-link').hidden").await;
    let used =
        app.count_sql("SELECT count(*) AS n FROM refresh_tokens WHERE used_at IS NOT NULL").await;
    assert_eq!(used, 1, "the refresh token was used once and replaced");
    page.click(&sel("sign-out-link")).await;
    page.wait_for("!document.getElementById('sign-in-link').hidden").await;
    assert!(page.errors().is_empty(), "{:?}", page.errors());
    only_local(&page, &origin);
}
