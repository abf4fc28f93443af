//! The catalogue cache: whole responses to public reads, kept in process and emptied on
//! every instance when the catalogue changes.
//!
//! - **What is cached.** Only requests without a viewer (no `Authorization`), whose
//!   every operation is a query the application calls public (see
//!   [`ResponseCache::new`]), and only answers without errors. Authentication runs
//!   before the lookup, so a signed-in or refused request never reads the cache.
//! - **The key.** The document with its white space folded, the operation name and the
//!   variables (as canonical JSON), hashed with SHA-256.
//! - **Invalidation.** Catalogue tables notify [`CHANNEL`] in the writing transaction
//!   (statement triggers, so no writer can forget), PostgreSQL delivers it at commit to
//!   every instance's listener (`db::notifications`), which empties the cache. A lost listening
//!   connection empties it too (notifications may have been missed meanwhile); the TTL
//!   bounds what a silent failure could serve.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_graphql::Request;
use async_graphql::parser::types::ExecutableDocument;
use bytes::Bytes;
use sha2::{Digest, Sha256};

use crate::db::notifications::OnNotify;

/// The notification channel of catalogue writes.
pub const CHANNEL: &str = "storefront_catalogue_changed";

/// Whether a parsed document is a public read (the application's rule).
pub type PublicRule = fn(&ExecutableDocument) -> bool;

/// A cached answer: the JSON body as sent and its entity tag.
pub struct CachedBody {
    pub body: Bytes,
    pub etag: String,
}

impl CachedBody {
    pub fn new(body: String) -> Self {
        let etag = entity_tag(body.as_bytes());
        Self { body: Bytes::from(body), etag }
    }
}

/// A strong entity tag for a response body.
fn entity_tag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// The catalogue cache (shared by every request of an instance; cheap to clone).
#[derive(Clone)]
pub struct ResponseCache {
    entries: Option<moka::sync::Cache<[u8; 32], Arc<CachedBody>>>,
    public: PublicRule,
    hits: Arc<AtomicU64>,
    misses: Arc<AtomicU64>,
}

impl ResponseCache {
    /// A cache of at most `max_bytes` of bodies kept at most `ttl`, for the documents
    /// `public` accepts; `enabled: false` keeps nothing but still tells public reads
    /// (for HTTP caching).
    pub fn new(enabled: bool, max_bytes: u64, ttl: Duration, public: PublicRule) -> Self {
        let entries = enabled.then(|| {
            moka::sync::Cache::builder()
                .weigher(|_: &[u8; 32], cached: &Arc<CachedBody>| {
                    u32::try_from(cached.body.len() + 64).unwrap_or(u32::MAX)
                })
                .max_capacity(max_bytes)
                .time_to_live(ttl)
                .build()
        });
        Self { entries, public, hits: Arc::default(), misses: Arc::default() }
    }

    pub fn enabled(&self) -> bool {
        self.entries.is_some()
    }

    /// Whether `document` (sent without a viewer) is a public read.
    pub fn is_public(&self, document: &ExecutableDocument) -> bool {
        (self.public)(document)
    }

    /// The cache key of a public read.
    pub fn key(request: &Request) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(fold_white_space(&request.query).as_bytes());
        hasher.update([0]);
        hasher.update(request.operation_name.as_deref().unwrap_or("").as_bytes());
        hasher.update([0]);
        let variables =
            serde_json::to_value(&request.variables).map(|v| v.to_string()).unwrap_or_default();
        hasher.update(variables.as_bytes());
        hasher.finalize().into()
    }

    /// The cached answer for `key`, counted as a hit or a miss.
    pub fn get(&self, key: &[u8; 32]) -> Option<Arc<CachedBody>> {
        let found = self.entries.as_ref()?.get(key);
        let counter = if found.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    pub fn put(&self, key: [u8; 32], body: Arc<CachedBody>) {
        if let Some(entries) = &self.entries {
            entries.insert(key, body);
        }
    }

    /// Forgets every answer (the catalogue changed).
    pub fn clear(&self) {
        if let Some(entries) = &self.entries {
            entries.invalidate_all();
        }
    }

    /// `(hits, misses)` since start.
    pub fn counts(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }
}

/// Folds runs of white space and commas outside strings into one space, so documents
/// that differ only in layout share an entry.
fn fold_white_space(query: &str) -> String {
    let mut folded = String::with_capacity(query.len());
    let (mut in_string, mut escaped, mut gap) = (false, false, false);
    for c in query.trim().chars() {
        if in_string {
            folded.push(c);
            in_string = c != '"' || escaped;
            escaped = c == '\\' && !escaped;
            continue;
        }
        if c.is_whitespace() || c == ',' {
            gap = true;
            continue;
        }
        if gap && !folded.is_empty() {
            folded.push(' ');
        }
        gap = false;
        in_string = c == '"';
        folded.push(c);
    }
    folded
}

/// Empties the cache on every catalogue change, and whenever `LISTEN` (re)starts.
impl OnNotify for ResponseCache {
    async fn listening(&self) {
        self.clear();
    }

    async fn notified(&self, _payload: String) {
        self.clear();
        let (hits, misses) = self.counts();
        tracing::info!(hits, misses, "catalogue changed: cache emptied");
    }
}

#[cfg(test)]
mod tests {
    use super::fold_white_space;

    #[test]
    fn white_space_folds_outside_strings_only() {
        assert_eq!(
            fold_white_space("{\n  products(first: 2,\tsearch: \"a  b\") { id }\n}"),
            "{ products(first: 2 search: \"a  b\") { id } }"
        );
        assert_eq!(fold_white_space("{ a(s: \"x\\\" ,y\") }"), "{ a(s: \"x\\\" ,y\") }");
    }
}
