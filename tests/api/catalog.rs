//! Products: reads, writes and their validation, the delete guard, the product list's
//! filters, search, ordering and cursor paging, and statement budgets.

use chrono::{Duration, Utc};
use serde_json::{Value, json};

use crate::common::{As, TestApp, error, factories, field_errors};

const PRODUCT_FIELDS: &str = "id title slug description inventory unitPrice priceWithTax lastUpdate collectionId inventoryStatus";

const CREATE: &str = "mutation($input: ProductInput!) { createProduct(input: $input) { id title slug description inventory unitPrice priceWithTax lastUpdate collectionId } }";
const PATCH: &str = "mutation($id: Int!, $input: ProductPatch!) { patchProduct(id: $id, input: $input) { id title slug description inventory unitPrice lastUpdate collectionId } }";
const UPDATE: &str = "mutation($id: Int!, $input: ProductInput!) { updateProduct(id: $id, input: $input) { id title slug unitPrice inventory } }";
const DELETE: &str = "mutation($id: Int!) { deleteProduct(id: $id) }";

fn valid_input(collection_id: i64) -> Value {
    json!({ "title": "Laptop", "slug": "laptop", "unitPrice": 999.99, "inventory": 50, "collectionId": collection_id })
}

async fn ids(app: &TestApp, args: &str) -> Vec<i64> {
    let args = if args.is_empty() { String::new() } else { format!("({args})") };
    let data = app
        .data(As::Default, &format!("{{ products{args} {{ nodes {{ id }} }} }}"), json!({}))
        .await;
    data["products"]["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("nodes: {data}"))
        .iter()
        .map(|n| n["id"].as_i64().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn product_by_id_exposes_exactly_the_api_fields() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "Electronics").await;
    let p = factories::product(c.id)
        .title("Laptop")
        .price("999.99")
        .inventory(9)
        .description(Some("Fast"))
        .insert(&mut conn)
        .await;
    drop(conn);
    let data = app
        .data(As::Default, &format!("query($id: Int!) {{ product(id: $id) {{ {PRODUCT_FIELDS} collection {{ id title }} }} }}"), json!({ "id": p.id }))
        .await;
    let product = &data["product"];
    assert_eq!(product["id"], p.id);
    assert_eq!(product["title"], "Laptop");
    assert_eq!(product["description"], "Fast");
    assert_eq!(product["unitPrice"], json!(999.99));
    assert_eq!(product["priceWithTax"], json!(1099.99));
    assert_eq!(product["inventory"], 9);
    assert_eq!(product["inventoryStatus"], "LOW");
    assert_eq!(product["collectionId"], c.id);
    assert_eq!(product["collection"], json!({ "id": c.id, "title": "Electronics" }));

    // The API model is not the data model: no other fields exist on Product.
    let schema = app
        .data(As::Default, r#"{ __type(name: "Product") { fields { name } } }"#, json!({}))
        .await;
    let mut names: Vec<String> = schema["__type"]["fields"]
        .as_array()
        .map(|fields| {
            fields.iter().map(|f| f["name"].as_str().unwrap_or_default().to_owned()).collect()
        })
        .unwrap_or_default();
    names.sort();
    assert_eq!(
        names,
        [
            "availableInventory",
            "collection",
            "collectionId",
            "description",
            "id",
            "images",
            "inventory",
            "inventoryStatus",
            "lastUpdate",
            "likesCount",
            "priceWithTax",
            "promotions",
            "reviews",
            "slug",
            "tags",
            "title",
            "unitPrice",
            "unitsSold",
            "viewerHasLiked"
        ]
    );
}

#[tokio::test]
async fn missing_products_are_not_found() {
    let app = TestApp::as_staff().await;
    for id in [999_999_i64, 2_147_483_648, -1] {
        let response = app
            .gql(As::Default, "query($id: Int!) { product(id: $id) { id } }", json!({ "id": id }))
            .await;
        assert_eq!(error(&response, "NOT_FOUND", 404)["message"], "Not found.");
    }
}

#[tokio::test]
async fn price_with_tax_rounds_half_up_and_money_is_a_json_number() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    let cases = [
        ("999.99", 1099.99),
        ("8.99", 9.89),
        ("2.25", 2.48),
        ("1.05", 1.16),
        ("10.00", 11.0),
        ("9999.99", 10999.99),
    ];
    let mut ids = Vec::new();
    for (price, _) in cases {
        ids.push(factories::product(c.id).price(price).insert(&mut conn).await.id);
    }
    drop(conn);
    for (id, (price, with_tax)) in ids.into_iter().zip(cases) {
        let data_query = "query($id: Int!) { product(id: $id) { unitPrice priceWithTax } }";
        let data = app.data(As::Default, data_query, json!({ "id": id })).await;
        assert!(data["product"]["unitPrice"].is_number(), "{data}");
        assert_eq!(data["product"]["unitPrice"].as_f64(), price.parse::<f64>().ok());
        assert_eq!(data["product"]["priceWithTax"].as_f64(), Some(with_tax), "{price}");
    }
}

#[tokio::test]
async fn create_product_round_trips_exact_decimals() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "Electronics").await;
    drop(conn);
    let before = Utc::now() - Duration::seconds(1);
    let created =
        app.data(As::Default, CREATE, json!({ "input": valid_input(c.id) })).await["createProduct"]
            .clone();
    assert_eq!(created["unitPrice"], json!(999.99));
    assert_eq!(created["priceWithTax"], json!(1099.99));
    assert_eq!(created["description"], Value::Null);
    let last_update: chrono::DateTime<Utc> =
        created["lastUpdate"].as_str().and_then(|s| s.parse().ok()).unwrap_or_default();
    assert!(last_update > before);
    // Stored exactly: read back through the API and straight from the table.
    let read_query =
        "query($id: Int!) { product(id: $id) { title slug unitPrice inventory collectionId } }";
    let read = app.data(As::Default, read_query, json!({ "id": created["id"] })).await;
    assert_eq!(
        read["product"],
        json!({ "title": "Laptop", "slug": "laptop", "unitPrice": 999.99, "inventory": 50, "collectionId": c.id })
    );
    let mut conn = app.conn().await;
    let row = storefront::catalog::repo::find_product(
        &mut conn,
        created["id"].as_i64().unwrap_or_default(),
    )
    .await
    .ok()
    .flatten()
    .map(|p| p.unit_price.to_string());
    assert_eq!(row.as_deref(), Some("999.99"));
    // Money may also be sent as a numeric string.
    let input = json!({ "title": "a", "slug": "a", "unitPrice": "1", "collectionId": c.id, "inventory": 1 });
    let minimal = app.data(As::Default, CREATE, json!({ "input": input })).await;
    assert_eq!(minimal["createProduct"]["unitPrice"], json!(1));
}

#[tokio::test]
async fn create_product_reports_every_missing_field_at_once() {
    let app = TestApp::as_staff().await;
    let response = app.gql(As::Default, CREATE, json!({ "input": {} })).await;
    let required = json!(["This field is required."]);
    assert_eq!(
        field_errors(&response),
        json!({ "collectionId": required, "inventory": required, "slug": required, "title": required, "unitPrice": required })
    );
    assert_eq!(response["data"], Value::Null);
}

#[tokio::test]
async fn create_product_validation_messages() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    drop(conn);
    let cases: [(&str, Value, &str); 11] = [
        ("unitPrice", json!(0.99), "Ensure this value is greater than or equal to 1."),
        ("unitPrice", json!("10000.00"), "Ensure that there are no more than 6 digits in total."),
        (
            "unitPrice",
            json!(10000),
            "Ensure that there are no more than 4 digits before the decimal point.",
        ),
        ("unitPrice", json!(1.005), "Ensure that there are no more than 2 decimal places."),
        ("inventory", json!(-1), "Ensure this value is greater than or equal to 0."),
        (
            "slug",
            json!("hello world"),
            "Enter a valid \"slug\" consisting of letters, numbers, underscores or hyphens.",
        ),
        ("slug", json!("a".repeat(51)), "Ensure this field has no more than 50 characters."),
        ("title", json!("   "), "This field may not be blank."),
        ("title", json!("t".repeat(256)), "Ensure this field has no more than 255 characters."),
        ("title", Value::Null, "This field may not be null."),
        ("collectionId", json!(99999), "Invalid pk \"99999\" - object does not exist."),
    ];
    for (field, value, message) in cases {
        let mut input = valid_input(c.id);
        input[field] = value.clone();
        let response = app.gql(As::Default, CREATE, json!({ "input": input })).await;
        assert_eq!(field_errors(&response), json!({ field: [message] }), "{field}: {value}");
        assert_eq!(error(&response, "BAD_USER_INPUT", 400)["message"], message);
    }
}

#[tokio::test]
async fn create_product_boundaries_pass_and_refused_creates_write_nothing() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    drop(conn);
    for (price, inventory, slug) in
        [(json!(1), 0, "hello-world_2"), (json!(9999.99), 2_147_483_647, "x")]
    {
        let input = json!({ "title": "ok", "slug": slug, "unitPrice": price, "inventory": inventory, "collectionId": c.id });
        app.data(As::Default, CREATE, json!({ "input": input })).await;
    }
    let mut refused = valid_input(c.id);
    refused["inventory"] = json!(-1);
    app.refused(As::Default, CREATE, json!({ "input": refused }), "BAD_USER_INPUT").await;
    let total = app.data(As::Default, "{ products { totalCount } }", json!({})).await;
    assert_eq!(total["products"]["totalCount"], 2, "only the two valid creates");
}

#[tokio::test]
async fn description_may_be_omitted_null_or_empty() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    drop(conn);
    for (description, expected) in [
        (None, Value::Null),
        (Some(Value::Null), Value::Null),
        (Some(json!("")), json!("")),
        (Some(json!("Nice")), json!("Nice")),
    ] {
        let mut input = valid_input(c.id);
        if let Some(value) = description {
            input["description"] = value;
        }
        let created = app.data(As::Default, CREATE, json!({ "input": input })).await;
        let read_query = "query($id: Int!) { product(id: $id) { description } }";
        let read = app
            .data(As::Default, read_query, json!({ "id": created["createProduct"]["id"] }))
            .await;
        assert_eq!(read["product"]["description"], expected);
    }
}

/// A blue mug (5.00, 7 in stock, last saved three days ago) in collection "C", and an
/// empty collection "D": the app (as staff), the product id and the two collection ids.
async fn mug_and_two_collections() -> (TestApp, i64, i64, i64) {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    let other = factories::collection(&mut conn, "D").await;
    let p = factories::product(c.id)
        .title("Mug")
        .price("5.00")
        .inventory(7)
        .description(Some("Blue"))
        .updated(Utc::now() - Duration::days(3))
        .insert(&mut conn)
        .await;
    (app, p.id, c.id, other.id)
}

const PRODUCT: &str =
    "query($id: Int!) { product(id: $id) { title unitPrice inventory description collectionId } }";

#[tokio::test]
async fn full_update_requires_every_field_and_keeps_omitted_optional_ones() {
    let (app, id, _, other) = mug_and_two_collections().await;
    let mut input = valid_input(other);
    input.as_object_mut().map(|o| o.remove("slug"));
    let response = app.field_errors(As::Default, UPDATE, json!({ "id": id, "input": input })).await;
    assert_eq!(response, json!({ "slug": ["This field is required."] }));

    let input = json!({ "title": "Laptop+", "slug": "laptop-updated", "unitPrice": 899.99, "inventory": 45, "collectionId": other });
    let replaced = app.data(As::Default, UPDATE, json!({ "id": id, "input": input })).await;
    assert_eq!(
        replaced["updateProduct"],
        json!({ "id": id, "title": "Laptop+", "slug": "laptop-updated", "unitPrice": 899.99, "inventory": 45 })
    );
    let read = app.data(As::Default, PRODUCT, json!({ "id": id })).await;
    assert_eq!(
        read["product"]["description"], "Blue",
        "a full update leaves an omitted optional field alone"
    );
}

#[tokio::test]
async fn patch_changes_only_what_is_sent_and_null_clears_the_description() {
    let (app, id, c, _) = mug_and_two_collections().await;
    let price = json!({ "id": id, "input": { "unitPrice": 6 } });
    let patched = app.data(As::Default, PATCH, price).await["patchProduct"].clone();
    assert_eq!(
        (&patched["unitPrice"], &patched["title"], &patched["inventory"]),
        (&json!(6), &json!("Mug"), &json!(7))
    );
    assert_eq!(patched["description"], "Blue");
    assert_eq!(patched["collectionId"], c);
    let saved: chrono::DateTime<Utc> = patched["lastUpdate"].as_str().unwrap().parse().unwrap();
    assert!(saved > Utc::now() - Duration::minutes(1), "lastUpdate is set on every save");

    let clear = json!({ "id": id, "input": { "description": null } });
    let cleared = app.data(As::Default, PATCH, clear).await;
    assert_eq!(cleared["patchProduct"]["description"], Value::Null);
}

#[tokio::test]
async fn an_invalid_patch_reports_every_field_and_writes_nothing() {
    let (app, id, c, _) = mug_and_two_collections().await;
    let bad = json!({ "id": id, "input": { "unitPrice": 0.5, "inventory": -3, "title": "" } });
    assert_eq!(
        app.field_errors(As::Default, PATCH, bad).await,
        json!({ "inventory": ["Ensure this value is greater than or equal to 0."], "title": ["This field may not be blank."], "unitPrice": ["Ensure this value is greater than or equal to 1."] })
    );
    let unchanged = app.data(As::Default, PRODUCT, json!({ "id": id })).await;
    assert_eq!(
        unchanged["product"],
        json!({ "unitPrice": 5, "inventory": 7, "title": "Mug", "description": "Blue", "collectionId": c })
    );
    for (query, input) in [(PATCH, json!({ "title": "x" })), (UPDATE, valid_input(c))] {
        let missing = json!({ "id": 424_242, "input": input });
        app.refused(As::Default, query, missing, "NOT_FOUND").await;
    }
}

#[tokio::test]
async fn delete_product_guard_and_cascades() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    let ordered = factories::product(c.id).title("Ordered").insert(&mut conn).await;
    factories::order_item(&mut conn, &app.auth, ordered.id).await;
    let featured = factories::product(c.id).title("Featured").insert(&mut conn).await;
    factories::review(&mut conn, featured.id, "Ann").await;
    drop(conn);
    let update_collection_mutation = "mutation($id: Int!, $p: Int!) { updateCollection(id: $id, input: { title: \"C\", featuredProductId: $p }) { id } }";
    app.data(As::Default, update_collection_mutation, json!({ "id": c.id, "p": featured.id }))
        .await;

    let response = app.gql(As::Default, DELETE, json!({ "id": ordered.id })).await;
    let guard = error(&response, "METHOD_NOT_ALLOWED", 405);
    assert_eq!(
        guard["message"],
        "Product cannot be deleted because it is associated with an order item."
    );
    let product_query = "query($id: Int!) { product(id: $id) { id } }";
    app.data(As::Default, product_query, json!({ "id": ordered.id })).await;

    let deleted = app.data(As::Default, DELETE, json!({ "id": featured.id })).await;
    assert_eq!(deleted["deleteProduct"], true);
    let gone_query = "query($id: Int!) { product(id: $id) { id } }";
    let gone = app.gql(As::Default, gone_query, json!({ "id": featured.id })).await;
    error(&gone, "NOT_FOUND", 404);
    let reviews_query = "query($id: Int!) { reviews(productId: $id) { id } }";
    let reviews = app.data(As::Default, reviews_query, json!({ "id": featured.id })).await;
    assert_eq!(reviews["reviews"], json!([]), "reviews are deleted with their product");
    let collection_query = "query($id: Int!) { collection(id: $id) { featuredProduct { id } } }";
    let collection = app.data(As::Default, collection_query, json!({ "id": c.id })).await;
    assert_eq!(collection["collection"]["featuredProduct"], Value::Null);

    let again = app.gql(As::Default, DELETE, json!({ "id": featured.id })).await;
    error(&again, "NOT_FOUND", 404);
}

#[tokio::test]
async fn inventory_status_threshold_is_ten() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    for (inventory, title) in [(0, "a"), (9, "b"), (10, "c"), (11, "d")] {
        factories::product(c.id).title(title).inventory(inventory).insert(&mut conn).await;
    }
    drop(conn);
    let data = app
        .data(As::Default, "{ products { nodes { inventory inventoryStatus } } }", json!({}))
        .await;
    assert_eq!(
        data["products"]["nodes"],
        json!([
            { "inventory": 0, "inventoryStatus": "LOW" }, { "inventory": 9, "inventoryStatus": "LOW" },
            { "inventory": 10, "inventoryStatus": "OK" }, { "inventory": 11, "inventoryStatus": "OK" }
        ])
    );
}

#[tokio::test]
async fn product_list_filters_by_collection_and_strict_price_bounds() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let a = factories::collection(&mut conn, "A").await;
    let b = factories::collection(&mut conn, "B").await;
    let p10 = factories::product(a.id).title("p10").price("10.00").insert(&mut conn).await;
    let p15 = factories::product(a.id).title("p15").price("15.00").insert(&mut conn).await;
    let p20 = factories::product(b.id).title("p20").price("20.00").insert(&mut conn).await;
    let p25 = factories::product(b.id).title("p25").price("25.50").insert(&mut conn).await;
    drop(conn);

    assert_eq!(ids(&app, &format!("collectionId: {}", a.id)).await, [p10.id, p15.id]);
    assert_eq!(ids(&app, "unitPriceGt: 10").await, [p15.id, p20.id, p25.id]);
    assert_eq!(ids(&app, "unitPriceLt: 20").await, [p10.id, p15.id]);
    assert_eq!(ids(&app, "unitPriceGt: 10, unitPriceLt: 20").await, [p15.id]);
    assert_eq!(ids(&app, "unitPriceGt: \"25.49\"").await, [p25.id]);
    assert_eq!(ids(&app, &format!("collectionId: {}, unitPriceGt: 20", b.id)).await, [p25.id]);
    let count = app
        .data(
            As::Default,
            &format!("{{ products(collectionId: {}) {{ totalCount }} }}", b.id),
            json!({}),
        )
        .await;
    assert_eq!(count["products"]["totalCount"], 2);

    let response =
        app.gql(As::Default, "{ products(collectionId: 999) { totalCount } }", json!({})).await;
    assert_eq!(
        field_errors(&response),
        json!({ "collectionId": ["Select a valid choice. That choice is not one of the available choices."] })
    );
}

#[tokio::test]
async fn search_matches_every_term_in_title_or_description() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    let coffee = factories::product(c.id)
        .title("Coffee Beans")
        .description(Some("A 10 ounce bag"))
        .insert(&mut conn)
        .await;
    let mug = factories::product(c.id)
        .title("Mug")
        .description(Some("For your COFFEE"))
        .insert(&mut conn)
        .await;
    let tea = factories::product(c.id).title("Tea").description(None).insert(&mut conn).await;
    let percent = factories::product(c.id).title("100% cotton_bag").insert(&mut conn).await;
    drop(conn);

    let search = async |term: &str| {
        let data_query = "query($s: String) { products(search: $s) { totalCount nodes { id } } }";
        let data = app.data(As::Default, data_query, json!({ "s": term })).await;
        let ids: Vec<i64> = data["products"]["nodes"]
            .as_array()
            .map(|n| n.iter().filter_map(|x| x["id"].as_i64()).collect())
            .unwrap_or_default();
        assert_eq!(data["products"]["totalCount"], ids.len());
        ids
    };
    assert_eq!(search("coffee").await, [coffee.id, mug.id]);
    assert_eq!(search("COFFEE").await, [coffee.id, mug.id]);
    assert_eq!(search("coffee 10").await, [coffee.id]);
    assert_eq!(search("coffee,10").await, [coffee.id]);
    assert_eq!(search(" coffee , ounce ").await, [coffee.id]);
    assert_eq!(
        search("tea").await,
        [tea.id],
        "a NULL description never matches, the title still does"
    );
    assert_eq!(search("%").await, [percent.id], "% is literal");
    assert_eq!(search("n_b").await, [percent.id], "_ is literal");
    assert!(search("o_o").await.is_empty());
    assert_eq!(search("").await.len(), 4, "an empty search is no search");
}

#[tokio::test]
async fn ordering_defaults_to_title_then_id_and_accepts_several_keys() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    let now = Utc::now();
    let b1 = factories::product(c.id)
        .title("B")
        .price("5.00")
        .updated(now - Duration::hours(3))
        .insert(&mut conn)
        .await;
    let a = factories::product(c.id)
        .title("A")
        .price("7.00")
        .updated(now - Duration::hours(1))
        .insert(&mut conn)
        .await;
    let b2 = factories::product(c.id)
        .title("B")
        .price("5.00")
        .updated(now - Duration::hours(2))
        .insert(&mut conn)
        .await;
    let z = factories::product(c.id).title("Z").price("1.50").updated(now).insert(&mut conn).await;
    drop(conn);

    assert_eq!(ids(&app, "").await, [a.id, b1.id, b2.id, z.id]);
    assert_eq!(
        ids(&app, "orderBy: [TITLE_DESC]").await,
        [z.id, b1.id, b2.id, a.id],
        "id stays ascending as the tie-breaker"
    );
    assert_eq!(ids(&app, "orderBy: [UNIT_PRICE]").await, [z.id, b1.id, b2.id, a.id]);
    assert_eq!(
        ids(&app, "orderBy: [UNIT_PRICE_DESC, LAST_UPDATE]").await,
        [a.id, b1.id, b2.id, z.id]
    );
    assert_eq!(
        ids(&app, "orderBy: [UNIT_PRICE_DESC, LAST_UPDATE_DESC]").await,
        [a.id, b2.id, b1.id, z.id]
    );
    assert_eq!(ids(&app, "orderBy: [LAST_UPDATE]").await, [b1.id, b2.id, a.id, z.id]);
    assert_eq!(ids(&app, "orderBy: [LAST_UPDATE_DESC]").await, [z.id, a.id, b2.id, b1.id]);
    let bad =
        app.gql(As::Default, "{ products(orderBy: [PRICE]) { totalCount } }", json!({})).await;
    error(&bad, "BAD_USER_INPUT", 400);
}

/// Walks every page forwards and backwards and checks Relay's rules.
async fn walk(app: &TestApp, args: &str, size: usize) -> (Vec<i64>, Vec<i64>) {
    let select = "edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }";
    let page_ids = |c: &Value| -> Vec<i64> {
        c["edges"]
            .as_array()
            .map(|e| e.iter().filter_map(|x| x["node"]["id"].as_i64()).collect())
            .unwrap_or_default()
    };
    let mut forward = Vec::new();
    let mut after = Value::Null;
    let mut first_page = true;
    loop {
        let data = app
            .data(As::Default, &format!("query($n: Int, $a: String) {{ products(first: $n, after: $a {args}) {{ {select} }} }}"), json!({ "n": size, "a": after }))
            .await;
        let c = &data["products"];
        let ids = page_ids(c);
        assert!(ids.len() <= size);
        assert_eq!(c["pageInfo"]["hasPreviousPage"], !first_page, "{c}");
        if let Some(edges) = c["edges"].as_array().filter(|e| !e.is_empty()) {
            assert_eq!(c["pageInfo"]["startCursor"], edges[0]["cursor"]);
            assert_eq!(c["pageInfo"]["endCursor"], edges[edges.len() - 1]["cursor"]);
        }
        forward.extend(ids.iter().copied());
        if c["pageInfo"]["hasNextPage"] != true {
            break;
        }
        assert_eq!(ids.len(), size, "hasNextPage on a short page");
        after = c["pageInfo"]["endCursor"].clone();
        first_page = false;
    }
    let mut backward = Vec::new();
    let mut before = Value::Null;
    let mut last_page = true;
    loop {
        let data = app
            .data(As::Default, &format!("query($n: Int, $b: String) {{ products(last: $n, before: $b {args}) {{ {select} }} }}"), json!({ "n": size, "b": before }))
            .await;
        let c = &data["products"];
        assert_eq!(c["pageInfo"]["hasNextPage"], !last_page, "{c}");
        let mut ids = page_ids(c);
        ids.extend(backward);
        backward = ids;
        if c["pageInfo"]["hasPreviousPage"] != true {
            break;
        }
        before = c["pageInfo"]["startCursor"].clone();
        last_page = false;
    }
    (forward, backward)
}

#[tokio::test]
async fn cursor_paging_over_duplicate_titles_sees_every_row_once_both_ways() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    let mut expected = Vec::new();
    for i in 0..23 {
        let title = ["Mug", "Cup", "Mug", "Tea"][i % 4];
        let price = ["3.00", "3.00", "1.00", "9.99"][i % 4];
        expected.push((
            title,
            factories::product(c.id).title(title).price(price).insert(&mut conn).await.id,
        ));
    }
    drop(conn);
    expected.sort();
    let by_title: Vec<i64> = expected.iter().map(|(_, id)| *id).collect();

    for size in [1, 4, 7, 23, 100] {
        let (forward, backward) = walk(&app, "", size).await;
        assert_eq!(forward, by_title, "page size {size}");
        assert_eq!(backward, by_title, "page size {size}");
    }
    // Mixed directions use the expanded keyset condition.
    let (forward, backward) = walk(&app, ", orderBy: [UNIT_PRICE_DESC, TITLE]", 4).await;
    assert_eq!(forward.len(), 23);
    assert_eq!(forward, backward);
    let all = ids(&app, "first: 100, orderBy: [UNIT_PRICE_DESC, TITLE]").await;
    assert_eq!(forward, all);
    // Filters page too.
    let (forward, backward) = walk(&app, ", search: \"mug\"", 3).await;
    assert_eq!(forward.len(), 12);
    assert_eq!(forward, backward);
}

#[tokio::test]
async fn cursors_stay_valid_while_rows_change() {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    let mut products = Vec::new();
    for title in ["b", "d", "f", "h"] {
        products.push(factories::product(c.id).title(title).insert(&mut conn).await);
    }
    let page =
        app.data(As::Default, "{ products(first: 2) { pageInfo { endCursor } } }", json!({})).await;
    let cursor = page["products"]["pageInfo"]["endCursor"].clone();
    // Rows appear before the cursor, and the cursor row itself disappears.
    factories::product(c.id).title("a").insert(&mut conn).await;
    factories::product(c.id).title("c").insert(&mut conn).await;
    drop(conn);
    let delete_product_mutation = "mutation($id: Int!) { deleteProduct(id: $id) }";
    app.data(As::Default, delete_product_mutation, json!({ "id": products[1].id })).await;
    let next = app
        .data(As::Default, "query($a: String) { products(first: 10, after: $a) { nodes { title } pageInfo { hasPreviousPage } } }", json!({ "a": cursor }))
        .await;
    assert_eq!(next["products"]["nodes"], json!([{ "title": "f" }, { "title": "h" }]));
    assert_eq!(next["products"]["pageInfo"]["hasPreviousPage"], true);
}

/// A staff app with three products, titled a, b and c, in one collection.
async fn three_products() -> TestApp {
    let app = TestApp::as_staff().await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    for title in ["a", "b", "c"] {
        factories::product(c.id).title(title).insert(&mut conn).await;
    }
    app
}

#[tokio::test]
async fn page_sizes_from_zero_to_a_hundred_are_accepted() {
    let app = three_products().await;
    let zero_query =
        "{ products(first: 0) { edges { cursor } pageInfo { hasNextPage } totalCount } }";
    let zero = app.data(As::Default, zero_query, json!({})).await;
    assert_eq!(
        zero["products"],
        json!({ "edges": [], "pageInfo": { "hasNextPage": true }, "totalCount": 3 })
    );
    let hundred = app.data(As::Default, "{ products(first: 100) { totalCount } }", json!({})).await;
    assert_eq!(hundred["products"]["totalCount"], 3);
}

#[tokio::test]
async fn page_sizes_out_of_range_and_foreign_cursors_are_refused() {
    let app = three_products().await;
    let cases = [
        ("first: -1", json!({ "first": ["Ensure this value is greater than or equal to 0."] })),
        ("first: 101", json!({ "first": ["Ensure this value is less than or equal to 100."] })),
        ("last: 101", json!({ "last": ["Ensure this value is less than or equal to 100."] })),
        ("after: \"garbage\"", json!({ "after": ["Invalid cursor."] })),
        ("before: \"eyJvIjoiWCIsImsiOltdfQ\"", json!({ "before": ["Invalid cursor."] })),
    ];
    for (args, expected) in cases {
        let response = app
            .gql(As::Default, &format!("{{ products({args}) {{ totalCount }} }}"), json!({}))
            .await;
        assert_eq!(field_errors(&response), expected, "{args}");
    }
    // A cursor made for one ordering is refused by another.
    let page =
        app.data(As::Default, "{ products(first: 1) { pageInfo { endCursor } } }", json!({})).await;
    let response_query =
        "query($a: String) { products(after: $a, orderBy: [UNIT_PRICE]) { totalCount } }";
    let response = app
        .gql(As::Default, response_query, json!({ "a": page["products"]["pageInfo"]["endCursor"] }))
        .await;
    assert_eq!(field_errors(&response), json!({ "after": ["Invalid cursor."] }));
}

#[tokio::test]
async fn product_page_with_relations_runs_a_fixed_number_of_statements() {
    let app = TestApp::counting_as_staff().await;
    let mut conn = app.conn().await;
    let mut collections = Vec::new();
    for i in 0..5 {
        collections.push(factories::collection(&mut conn, &format!("C{i}")).await);
    }
    for i in 0..120 {
        let p = factories::product(collections[i % 5].id)
            .title(&format!("P{i:03}"))
            .insert(&mut conn)
            .await;
        if i % 3 == 0 {
            factories::review(&mut conn, p.id, "Ann").await;
        }
    }
    drop(conn);
    let query = "query($n: Int) { products(first: $n) { nodes { collection { title productsCount } reviews { name } } } }";
    let small = app.count_statements(As::Anon, query, json!({ "n": 2 })).await;
    let large = app.count_statements(As::Anon, query, json!({ "n": 100 })).await;
    assert_eq!(small, large, "statement count must not grow with the page size");
    assert!(large <= 5, "{large} statements");
    println!("products(first: 100) with collection, productsCount, reviews: {large} statements");
}

/// The common page (each product with its collection's title) is one statement: the
/// to-one collection is joined into the page's own statement, with the right rows.
#[tokio::test]
async fn a_product_page_reads_its_collections_in_its_own_statement() {
    let app = TestApp::counting_as_staff().await;
    let mut conn = app.conn().await;
    let books = factories::collection(&mut conn, "Books").await;
    let toys = factories::collection(&mut conn, "Toys").await;
    for (title, collection) in [("A", &books), ("B", &toys), ("C", &books)] {
        factories::product(collection.id).title(title).insert(&mut conn).await;
    }
    drop(conn);
    let query = "{ products(first: 10, orderBy: [TITLE]) \
                 { nodes { title collection { id title productsCount } } } }";
    assert_eq!(app.count_statements(As::Anon, query, json!({})).await, 1);
    let data = app.data(As::Anon, query, json!({})).await;
    let shown: Vec<_> = data["products"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["title"].clone(), n["collection"].clone()))
        .collect();
    let books = json!({ "id": books.id, "title": "Books", "productsCount": 2 });
    let toys = json!({ "id": toys.id, "title": "Toys", "productsCount": 1 });
    assert_eq!(shown, vec![(json!("A"), books.clone()), (json!("B"), toys), (json!("C"), books)]);
}

/// With a batch window of an hour, any relation that a list did not prime would hold its
/// request for that hour: every read below must come back at once, with its data.
#[tokio::test]
async fn lists_prime_their_relations_instead_of_waiting_to_batch() {
    let app = TestApp::with_options(storefront::app::AppOptions {
        batch_window: std::time::Duration::from_secs(3600),
        ..Default::default()
    })
    .await;
    let (staff, token) = app.user("staff", crate::common::Kind::Staff).await;
    let mut conn = app.conn().await;
    let ids = factories::catalogue(&mut conn, &[("Mug", "8.99", 50), ("Cup", "2.00", 50)]).await;
    factories::review(&mut conn, ids[0], "Ann").await;
    let customer = factories::customer_of(&mut conn, staff.id).await;
    factories::order_for(&mut conn, customer, ids[1]).await;
    drop(conn);
    app.sql(&format!("UPDATE collections SET featured_product_id = {}", ids[1])).await;
    let cart = app
        .data(As::Default, "mutation { createCart { id } }", json!({}))
        .await["createCart"]["id"]
        .clone();
    let add = "mutation($c: UUID!, $p: Int!) { addCartItem(cartId: $c, productId: $p) { id } }";
    app.data(As::Default, add, json!({ "c": cart, "p": ids[0] })).await;
    let reads = [
        (
            "{ products(first: 20) { nodes { title collection { title productsCount } reviews { name } images { url } availableInventory } } }",
            json!({}),
        ),
        ("{ products { edges { node { collection { title } } } } }", json!({})),
        (
            "{ collections { featuredProduct { id } products(first: 3) { nodes { title collection { title } } } } }",
            json!({}),
        ),
        (
            "query($c: UUID!) { cart(id: $c) { totalPrice items { product { title } } } }",
            json!({ "c": cart }),
        ),
        (
            "{ orders(first: 20) { nodes { customer { id } items { product { title } } } } }",
            json!({}),
        ),
    ];
    for (query, variables) in reads {
        let read = app.gql(As::Token(&token), query, variables);
        let response = tokio::time::timeout(std::time::Duration::from_secs(30), read)
            .await
            .unwrap_or_else(|_| panic!("waited for a batch window: {query}"));
        assert!(response.get("errors").is_none(), "{response}");
        assert!(!response["data"].to_string().contains("null"), "{response}");
    }
}
