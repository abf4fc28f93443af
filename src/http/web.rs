//! The browser side, from `web/`: the storefront app at `/`, the staff admin at `/admin`,
//! GraphiQL at `GET /graphql` (for browsers, when enabled) and their files under
//! `/assets/`. Everything is embedded in release builds (read from `web/` in debug
//! builds), so nothing is fetched from the internet and no Node.js is needed. Files are
//! revalidated by their SHA-256 `ETag`.

use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "web/"]
struct Web;

/// The apps' policy: scripts, styles and connections to this origin only (WebSockets
/// included), plus the page's own inline import map by its hash; images also from
/// elsewhere (`PUBLIC_BASE_URL` may be a CDN).
fn policy(html: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    let text = String::from_utf8_lossy(html);
    let hashes: String = text
        .split("<script type=\"importmap\">")
        .skip(1)
        .filter_map(|rest| rest.split_once("</script>").map(|(map, _)| map))
        .map(|map| {
            let digest = sha2::Sha256::digest(map.as_bytes());
            let hash = base64::engine::general_purpose::STANDARD.encode(digest);
            format!(" 'sha256-{hash}'")
        })
        .collect();
    format!(
        "default-src 'self'; script-src 'self'{hashes}; img-src 'self' data: blob: https: http:; \
         connect-src 'self' ws: wss:; style-src 'self' 'unsafe-inline'; font-src 'self' data:; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )
}

pub async fn shop(headers: HeaderMap) -> Response {
    file("shop/index.html", &headers)
}

pub async fn admin(headers: HeaderMap) -> Response {
    file("admin/index.html", &headers)
}

pub async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    file(&path, &headers)
}

/// GraphiQL, with its scripts from `/assets/vendor/graphiql/`.
pub fn graphiql(headers: &HeaderMap) -> Response {
    file("graphiql.html", headers)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("md") | Some(_) | None => "text/plain; charset=utf-8",
    }
}

/// `path` under `web/`, or a coded 404; `304` when the client's copy is current.
fn file(path: &str, headers: &HeaderMap) -> Response {
    let Some(file) = Web::get(path) else {
        let id = super::request_id(headers);
        return super::answer::error_response(&crate::error::AppError::not_found(), &id);
    };
    let etag = format!(
        "\"{}\"",
        file.metadata.sha256_hash().iter().take(16).map(|b| format!("{b:02x}")).collect::<String>()
    );
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let policy = path.ends_with(".html").then(|| policy(&file.data));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, file.data.into_owned()).into_response()
    };
    let out = response.headers_mut();
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, etag);
    }
    if let Some(Ok(policy)) = policy.map(|p| HeaderValue::from_str(&p)) {
        out.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    response
}
