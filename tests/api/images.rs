//! Product images: multipart uploads, validation, storage, serving, CORS.

use std::io::Cursor;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use image::{ImageFormat, Rgb, RgbImage};
use serde_json::{Value, json};

use crate::common::{As, Kind, TestApp, error, factories, field_errors};

const UPLOAD: &str = "mutation($p: Int!, $f: Upload!) { uploadProductImage(productId: $p, image: $f) { id productId url width height } }";
const REPLACE: &str = "mutation($p: Int!, $i: Int!, $f: Upload!) { replaceProductImage(productId: $p, id: $i, image: $f) { id url width } }";

/// A real PNG of `width`×`height` noisy pixels, padded after its end to `size` bytes
/// (decoders stop at the IEND chunk).
pub fn png(width: u32, height: u32, size: Option<usize>) -> Vec<u8> {
    let mut seed = 0x2545_f491_u32;
    let image = RgbImage::from_fn(width, height, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let [r, g, b, _] = seed.to_le_bytes();
        Rgb([r, g, b])
    });
    let mut bytes = Vec::new();
    image.write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png).unwrap();
    if let Some(size) = size {
        assert!(bytes.len() <= size, "base image too big: {}", bytes.len());
        bytes.resize(size, 0);
    }
    bytes
}

/// A GraphQL multipart request (operations, map, one file).
async fn upload(
    app: &TestApp, token: Option<&str>, query: &str, variables: Value, filename: &str, file: &[u8],
) -> (StatusCode, Value) {
    let boundary = "----storefront-test-boundary";
    let mut variables = variables;
    variables["f"] = Value::Null;
    let operations = json!({ "query": query, "variables": variables }).to_string();
    let mut body = Vec::new();
    let part = |body: &mut Vec<u8>, headers: &str, content: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\n{headers}\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    };
    part(&mut body, "Content-Disposition: form-data; name=\"operations\"", operations.as_bytes());
    part(&mut body, "Content-Disposition: form-data; name=\"map\"", br#"{"0":["variables.f"]}"#);
    part(
        &mut body,
        &format!(
            "Content-Disposition: form-data; name=\"0\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream"
        ),
        file,
    );
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    let mut request = Request::post("/graphql")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"))
        .header(header::CONTENT_LENGTH, body.len());
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    let (status, _, bytes) = app.send(request.body(Body::from(body)).unwrap()).await;
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn product(app: &TestApp) -> i64 {
    app.catalogue(&[("Coffee", "9.99", 50)]).await[0]
}

#[tokio::test]
async fn staff_upload_images_that_are_stored_listed_and_served() {
    let app = TestApp::new().await;
    let (_, staff) = app.user("staff", Kind::Staff).await;
    let p = product(&app).await;
    let (status, response) =
        upload(&app, Some(&staff), UPLOAD, json!({ "p": p }), "dog.png", &png(40, 30, None)).await;
    assert_eq!(status, StatusCode::OK);
    let image = response["data"]["uploadProductImage"].clone();
    assert_eq!(image["url"], "http://127.0.0.1:8000/media/store/images/dog.png", "{response}");
    assert_eq!(
        (image["width"].as_i64(), image["height"].as_i64(), image["productId"].as_i64()),
        (Some(40), Some(30), Some(p))
    );
    assert_eq!(app.media.files(), ["store/images/dog.png"]);

    // A second file of the same name gets its own name; nothing is overwritten.
    let (_, second) =
        upload(&app, Some(&staff), UPLOAD, json!({ "p": p }), "dog.png", &png(8, 8, None)).await;
    let url = second["data"]["uploadProductImage"]["url"].as_str().unwrap_or_default().to_owned();
    assert!(
        url.starts_with("http://127.0.0.1:8000/media/store/images/dog_")
            && url.ends_with(".png")
            && url.len() == "http://127.0.0.1:8000/media/store/images/dog_1234567.png".len(),
        "{url}"
    );
    assert_eq!(app.media.files().len(), 2);

    let listed = app.data(As::Default, "query($p: Int!) { product(id: $p) { images { width } } productImages(productId: $p) { id } }", json!({ "p": p })).await;
    assert_eq!(listed["product"]["images"], json!([{ "width": 40 }, { "width": 8 }]));
    assert_eq!(listed["productImages"].as_array().map(Vec::len), Some(2));

    let served = Request::get("/media/store/images/dog.png").body(Body::empty()).unwrap();
    let (status, headers, body) = app.send(served).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::CONTENT_TYPE], "image/png");
    assert!(headers[header::CACHE_CONTROL].to_str().unwrap_or_default().contains("max-age"));
    assert_eq!(body.as_ref(), png(40, 30, None).as_slice());
}

#[tokio::test]
async fn uploads_are_checked_by_content_then_size() {
    let app = TestApp::new().await;
    let (_, staff) = app.user("staff", Kind::Staff).await;
    let p = product(&app).await;
    let invalid =
        "Upload a valid image. The file you uploaded was either not an image or a corrupted image.";
    let cases: Vec<(&str, Vec<u8>, Option<&str>)> = vec![
        ("notes.png", b"this is plain text, not a picture".to_vec(), Some(invalid)),
        ("truncated.png", png(64, 64, None)[..200].to_vec(), Some(invalid)),
        ("exact.png", png(200, 200, Some(512_000)), None),
        ("over.png", png(200, 200, Some(512_001)), Some("Files cannot be larger than 500KB!")),
        ("big-text.png", vec![b'x'; 600_000], Some(invalid)),
    ];
    for (name, bytes, expected) in cases {
        let before = app.media.files().len();
        let (_, response) =
            upload(&app, Some(&staff), UPLOAD, json!({ "p": p }), name, &bytes).await;
        match expected {
            None => {
                assert!(
                    response["data"]["uploadProductImage"]["id"].is_i64(),
                    "{name}: {response}"
                );
                assert_eq!(app.media.files().len(), before + 1);
            }
            Some(message) => {
                assert_eq!(field_errors(&response), json!({ "image": [message] }), "{name}");
                assert_eq!(app.media.files().len(), before, "{name}: nothing stored");
            }
        }
    }
}

#[tokio::test]
async fn only_staff_upload_and_unknown_products_are_not_found() {
    let app = TestApp::new().await;
    let [(_, customer), (_, staff)] =
        app.users([("ann", Kind::Customer), ("staff", Kind::Staff)]).await;
    let p = product(&app).await;
    let file = png(10, 10, None);
    let (_, anonymous) = upload(&app, None, UPLOAD, json!({ "p": p }), "a.png", &file).await;
    error(&anonymous, "UNAUTHENTICATED", 401);
    let (_, forbidden) =
        upload(&app, Some(&customer), UPLOAD, json!({ "p": p }), "a.png", &file).await;
    error(&forbidden, "FORBIDDEN", 403);
    let (_, missing) =
        upload(&app, Some(&staff), UPLOAD, json!({ "p": 987_654 }), "a.png", &file).await;
    error(&missing, "NOT_FOUND", 404);
    assert!(app.media.files().is_empty(), "nothing stored by refused uploads");
}

#[tokio::test]
async fn replace_and_delete_remove_the_old_files() {
    let app = TestApp::new().await;
    let (_, staff) = app.user("staff", Kind::Staff).await;
    let p = product(&app).await;
    let (_, first) =
        upload(&app, Some(&staff), UPLOAD, json!({ "p": p }), "old.png", &png(10, 10, None)).await;
    let id = first["data"]["uploadProductImage"]["id"].clone();
    let (_, replaced) = upload(
        &app,
        Some(&staff),
        REPLACE,
        json!({ "p": p, "i": id }),
        "new.png",
        &png(20, 10, None),
    )
    .await;
    assert_eq!(replaced["data"]["replaceProductImage"]["width"], 20, "{replaced}");
    assert_eq!(app.media.files(), ["store/images/new.png"], "the old file is gone");
    let (_, wrong) = upload(
        &app,
        Some(&staff),
        REPLACE,
        json!({ "p": p, "i": 99_999 }),
        "x.png",
        &png(5, 5, None),
    )
    .await;
    error(&wrong, "NOT_FOUND", 404);

    let delete = "mutation($p: Int!, $i: Int!) { deleteProductImage(productId: $p, id: $i) }";
    assert_eq!(
        app.data(As::Token(&staff), delete, json!({ "p": p, "i": id })).await["deleteProductImage"],
        true
    );
    assert!(app.media.files().is_empty());
    app.refused(As::Token(&staff), delete, json!({ "p": p, "i": id }), "NOT_FOUND").await;
}

/// The row insert fails after the file was written: the file is removed again.
#[tokio::test]
async fn a_failed_row_insert_removes_the_file_it_wrote() {
    let app = TestApp::new().await;
    let (_, staff) = app.user("staff", Kind::Staff).await;
    let p = product(&app).await;
    app.sql("ALTER TABLE product_images ADD CONSTRAINT test_refuse CHECK (width < 0) NOT VALID")
        .await;
    let (_, failed) =
        upload(&app, Some(&staff), UPLOAD, json!({ "p": p }), "orphan.png", &png(10, 10, None))
            .await;
    error(&failed, "INTERNAL_SERVER_ERROR", 500);
    assert!(app.media.files().is_empty(), "no orphan file");
}

#[tokio::test]
async fn a_product_page_with_images_keeps_its_statement_budget() {
    let app = TestApp::counting().await;
    let (_, staff) = app.user("staff", Kind::Staff).await;
    let mut conn = app.conn().await;
    let c = factories::collection(&mut conn, "C").await;
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(factories::product(c.id).title(&format!("P{i:02}")).insert(&mut conn).await.id);
    }
    drop(conn);
    for id in ids.iter().step_by(3) {
        upload(&app, Some(&staff), UPLOAD, json!({ "p": id }), "p.png", &png(4, 4, None)).await;
    }
    let query = "query($n: Int) { products(first: $n) { nodes { title images { url width } collection { title } } } }";
    let small = app.count_statements(As::Anon, query, json!({ "n": 2 })).await;
    let large = app.count_statements(As::Anon, query, json!({ "n": 30 })).await;
    assert_eq!(small, large);
    assert!(large <= 3, "{large}");
}

#[tokio::test]
async fn cors_answers_preflights_for_allowed_origins_only() {
    let app = TestApp::new().await;
    let preflight = |origin: &str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/graphql")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type,authorization")
            .body(Body::empty())
            .unwrap()
    };
    let (status, headers, _) = app.send(preflight("http://localhost:8001")).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "http://localhost:8001");
    let methods =
        headers[header::ACCESS_CONTROL_ALLOW_METHODS].to_str().unwrap_or_default().to_owned();
    assert!(methods.contains("POST"), "{methods}");
    let allowed = headers[header::ACCESS_CONTROL_ALLOW_HEADERS]
        .to_str()
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(allowed.contains("authorization") && allowed.contains("content-type"), "{allowed}");
    let (_, headers, _) = app.send(preflight("http://evil.example")).await;
    assert!(headers.get(header::ACCESS_CONTROL_ALLOW_ORIGIN).is_none());

    let simple = Request::post("/graphql")
        .header(header::ORIGIN, "http://127.0.0.1:8001")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"query":"{ __typename }"}"#))
        .unwrap();
    let (_, headers, _) = app.send(simple).await;
    assert_eq!(headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "http://127.0.0.1:8001");
}

/// A valid grayscale PNG of `width`×`height` black pixels, written row by row, so it is
/// a few kilobytes on disk however many pixels it declares.
fn huge_png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, width, height);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().unwrap();
        let mut stream = writer.stream_writer().unwrap();
        let row = vec![0u8; usize::try_from(width.div_ceil(8)).unwrap_or(0)];
        for _ in 0..height {
            std::io::Write::write_all(&mut stream, &row).unwrap();
        }
        stream.finish().unwrap();
    }
    bytes
}

/// Peak resident memory of this test process (each nextest test is its own process).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn images_over_the_pixel_budget_are_refused_without_decoding() {
    let app = TestApp::new().await;
    let (_, staff) = app.user("staff", Kind::Staff).await;
    let product = product(&app).await;
    // 20,000 × 20,000 = 400 megapixels (10× MAX_IMAGE_PIXELS): decoding it would need
    // 400 MB for the 8-bit grayscale buffer alone. On disk it is well under 500 KB.
    let bomb = huge_png(20_000, 20_000);
    assert!(bomb.len() < 512_000, "{} bytes", bomb.len());
    let before = peak_rss_kib();
    let (status, response) =
        upload(&app, Some(&staff), UPLOAD, json!({ "p": product }), "bomb.png", &bomb).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        field_errors(&response)["image"],
        json!([
            "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
        ])
    );
    let grown_mib = peak_rss_kib().saturating_sub(before) / 1024;
    assert!(grown_mib < 100, "peak memory grew by {grown_mib} MiB: the image was decoded");
    assert!(app.media.files().is_empty());
    // An image within the budget still passes.
    let (_, ok) =
        upload(&app, Some(&staff), UPLOAD, json!({ "p": product }), "ok.png", &png(64, 48, None))
            .await;
    assert_eq!(ok["data"]["uploadProductImage"]["width"], 64, "{ok}");
}
