//! argon2id password hashes (PHC strings), computed on the blocking pool, at most one
//! per core at a time.
//!
//! Each hash or verification takes argon2's memory (19 MiB in production) for its whole
//! run, so an unbounded burst of sign-ins could exhaust memory. A semaphore with one
//! permit per core bounds it: at most `cores × 19 MiB` (38 MiB on two cores) is in use
//! for passwords at any time. Further calls wait their turn for up to [`QUEUE_WAIT`], then
//! answer `SERVICE_UNAVAILABLE`.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::error::AppError;

/// How long a password operation waits for a free core before giving up.
pub const QUEUE_WAIT: Duration = Duration::from_secs(10);

pub struct Passwords {
    params: Params,
    /// Verified against when a username does not exist, so both cases take as long.
    dummy_hash: String,
    permits: Arc<Semaphore>,
    slots: usize,
    running: Arc<AtomicUsize>,
    peak: Arc<AtomicUsize>,
}

impl Passwords {
    /// argon2id with the given cost; `Params::DEFAULT` (19 MiB, 2 passes) in production.
    pub fn new(params: Params) -> Result<Self, AppError> {
        let dummy_hash = hash_with(&params, "storefront-timing-equaliser")?;
        let slots = std::thread::available_parallelism().map_or(2, usize::from);
        Ok(Self {
            params,
            dummy_hash,
            permits: Arc::new(Semaphore::new(slots)),
            slots,
            running: Arc::new(AtomicUsize::new(0)),
            peak: Arc::new(AtomicUsize::new(0)),
        })
    }

    /// How many password operations may run at once (one per core).
    pub fn slots(&self) -> usize {
        self.slots
    }

    /// The most password operations that ever ran at once in this process.
    pub fn peak_concurrency(&self) -> usize {
        self.peak.load(Ordering::SeqCst)
    }

    /// Runs `work` on the blocking pool once a permit is free.
    async fn bounded<T: Send + 'static>(
        &self, work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let permit = tokio::time::timeout(QUEUE_WAIT, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| {
                tracing::warn!("password hashing is saturated");
                AppError::Unavailable(crate::error::BUSY.into())
            })?
            .map_err(AppError::internal)?;
        let running = self.running.clone();
        let peak = self.peak.clone();
        tokio::task::spawn_blocking(move || {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            let out = work();
            running.fetch_sub(1, Ordering::SeqCst);
            drop(permit);
            out
        })
        .await
        .map_err(AppError::internal)
    }

    /// Production cost.
    pub fn production() -> Result<Self, AppError> {
        Self::new(Params::DEFAULT)
    }

    /// A cheap cost for tests (still argon2id, still a real PHC string).
    pub fn fast() -> Result<Self, AppError> {
        let params = Params::new(1024, 1, 1, None).map_err(AppError::internal)?;
        Self::new(params)
    }

    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let params = self.params.clone();
        let password = password.to_owned();
        self.bounded(move || hash_with(&params, &password)).await?
    }

    /// Whether `password` matches `hash`. With no hash (unknown user) a dummy hash is
    /// verified anyway and the answer is `false`.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, AppError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or(&self.dummy_hash).to_owned();
        let password = password.to_owned();
        let matches = self
            .bounded(move || {
                PasswordHash::new(&hash)
                    .map(|parsed| {
                        Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()
                    })
                    .unwrap_or(false)
            })
            .await?;
        Ok(known && matches)
    }
}

fn hash_with(params: &Params, password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("hashing failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() -> Result<(), AppError> {
        let passwords = Passwords::fast()?;
        let hash = passwords.hash("correct horse").await?;
        assert!(hash.starts_with("$argon2id$v=19$"));
        assert!(passwords.verify("correct horse", Some(&hash)).await?);
        assert!(!passwords.verify("wrong horse", Some(&hash)).await?);
        assert!(!passwords.verify("storefront-timing-equaliser", None).await?);
        Ok(())
    }
}
