//! Automatic persisted queries (the `persistedQuery` request extension that Apollo Client
//! and urql send): a client sends the SHA-256 of a document instead of the document, so
//! GET URLs stay short. An unknown hash answers `PersistedQueryNotFound`; the client then
//! sends the document with its hash, which registers it.
//!
//! The document a hash stands for is put back into the request as text, before anything
//! else reads the request: the mutation check of GET, the budget and every other
//! parse-time rule see a persisted query exactly like a sent one.

use std::sync::Arc;

use async_graphql::Request;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{AppError, FieldErrors};

/// The registered documents by hash, bounded by their total size.
#[derive(Clone)]
pub struct PersistedQueries {
    documents: moka::sync::Cache<String, Arc<str>>,
}

#[derive(Deserialize)]
struct PersistedQuery {
    version: i32,
    #[serde(rename = "sha256Hash")]
    sha256_hash: String,
}

impl PersistedQueries {
    /// A store holding at most `max_bytes` of documents (least recently used go first).
    pub fn new(max_bytes: u64) -> Self {
        let documents = moka::sync::Cache::builder()
            .weigher(|hash: &String, document: &Arc<str>| {
                u32::try_from(hash.len() + document.len()).unwrap_or(u32::MAX)
            })
            .max_capacity(max_bytes)
            .build();
        Self { documents }
    }

    /// Resolves the request's `persistedQuery` extension, if any: a hash alone becomes
    /// its registered document (`PersistedQueryNotFound` when there is none); a document
    /// with its hash is checked against the hash and registered.
    pub fn resolve(&self, request: &mut Request) -> Result<(), AppError> {
        let Some(extension) = request.extensions.remove("persistedQuery") else {
            return Ok(());
        };
        let refuse = |message: &str| {
            let mut errors = FieldErrors::default();
            errors.add("persistedQuery", message);
            AppError::BadUserInput(errors)
        };
        let persisted: PersistedQuery = extension
            .into_json()
            .ok()
            .and_then(|json| serde_json::from_value(json).ok())
            .ok_or_else(|| refuse("Invalid persistedQuery extension."))?;
        if persisted.version != 1 {
            return Err(refuse("Only version 1 of persistedQuery is supported."));
        }
        if request.query.is_empty() {
            let document = self
                .documents
                .get(&persisted.sha256_hash)
                .ok_or(AppError::PersistedQueryNotFound)?;
            request.query = document.to_string();
            return Ok(());
        }
        let hash = format!("{:x}", Sha256::digest(request.query.as_bytes()));
        if hash != persisted.sha256_hash.to_ascii_lowercase() {
            return Err(refuse("provided sha does not match query"));
        }
        self.documents.insert(hash, Arc::from(request.query.as_str()));
        Ok(())
    }
}
