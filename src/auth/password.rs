//! argon2id password hashes (PHC strings), computed on the blocking pool.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::error::AppError;

pub struct Passwords {
    params: Params,
    /// Verified against when a username does not exist, so both cases take as long.
    dummy_hash: String,
}

impl Passwords {
    /// argon2id with the given cost; `Params::DEFAULT` (19 MiB, 2 passes) in production.
    pub fn new(params: Params) -> Result<Self, AppError> {
        let dummy_hash = hash_with(&params, "storefront-timing-equaliser")?;
        Ok(Self { params, dummy_hash })
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
        tokio::task::spawn_blocking(move || hash_with(&params, &password))
            .await
            .map_err(AppError::internal)?
    }

    /// Whether `password` matches `hash`. With no hash (unknown user) a dummy hash is
    /// verified anyway and the answer is `false`.
    pub async fn verify(&self, password: &str, hash: Option<&str>) -> Result<bool, AppError> {
        let known = hash.is_some();
        let hash = hash.unwrap_or(&self.dummy_hash).to_owned();
        let password = password.to_owned();
        let matches = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .map_err(AppError::internal)?;
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
        assert!(
            !passwords
                .verify("storefront-timing-equaliser", None)
                .await?
        );
        Ok(())
    }
}
