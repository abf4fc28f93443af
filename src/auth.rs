//! Identity: users, passwords, JWTs, revocable sessions, the sign-in lockout, the
//! request's viewer, groups and permissions.

pub mod admin;
pub mod context;
pub mod graphql;
pub mod guards;
pub mod jwt;
pub mod loaders;
pub mod lockout;
pub mod model;
pub mod password;
pub mod repo;
pub mod rules;
pub mod sessions;
pub mod viewer;
pub mod watch;

pub use context::ViewerExt;

use std::sync::Arc;

/// What authentication needs at run time: token keys and the password hasher.
#[derive(Clone)]
pub struct Auth {
    pub jwt: Arc<jwt::JwtKeys>,
    pub passwords: Arc<password::Passwords>,
}

impl Auth {
    pub fn new(jwt: jwt::JwtKeys, passwords: password::Passwords) -> Self {
        Self { jwt: Arc::new(jwt), passwords: Arc::new(passwords) }
    }

    /// From the configuration, with production password hashing. Without `JWT_SECRET`
    /// a random secret is used (kept in `secret_file` when given, so tokens survive
    /// restarts of the embedded development setup).
    pub fn from_config(
        config: &crate::config::Config, secret_file: Option<&std::path::Path>,
    ) -> anyhow::Result<Self> {
        let secret = match &config.jwt_secret {
            Some(secret) => secret.clone(),
            None => dev_secret(secret_file)?,
        };
        let jwt =
            jwt::JwtKeys::new(secret.as_bytes(), config.access_token_ttl, config.refresh_token_ttl);
        Ok(Self::new(jwt, password::Passwords::production()?))
    }
}

fn dev_secret(file: Option<&std::path::Path>) -> anyhow::Result<String> {
    if let Some(existing) = file
        .and_then(|f| std::fs::read_to_string(f).ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| s.len() >= 32)
    {
        tracing::warn!(
            "JWT_SECRET is not set: using the development secret in .storefront/jwt-secret"
        );
        return Ok(existing);
    }
    let secret = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    if let Some(file) = file {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(file)?;
        out.write_all(secret.as_bytes())?;
        tracing::warn!(file = %file.display(), "JWT_SECRET is not set: generated a random development secret");
    } else {
        tracing::warn!(
            "JWT_SECRET is not set: generated a random secret; tokens end with this process"
        );
    }
    Ok(secret)
}
