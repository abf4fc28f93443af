//! HS256 JSON Web Tokens with SimpleJWT's claims: `token_type`, `exp`, `iat`,
//! `jti`, `user_id`.

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenType {
    Access,
    Refresh,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub token_type: TokenType,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub user_id: i64,
    /// The session (sign-in) the token belongs to; revoking it stops the token at once.
    #[serde(default)]
    pub sid: Option<uuid::Uuid>,
}

pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl JwtKeys {
    pub fn new(secret: &[u8], access_ttl: Duration, refresh_ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 0;
        validation.set_required_spec_claims(&["exp"]);
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl,
            refresh_ttl,
        }
    }

    /// A new token of `kind` for `user_id` in `session`, with its own `jti`.
    pub fn issue(
        &self, user_id: i64, kind: TokenType, session: uuid::Uuid,
    ) -> Result<String, AppError> {
        let jti = uuid::Uuid::new_v4().simple().to_string();
        self.issue_with_jti(user_id, kind, session, jti)
    }

    /// Like [`issue`](Self::issue) with a given `jti` (refresh tokens are stored by it).
    pub fn issue_with_jti(
        &self, user_id: i64, kind: TokenType, session: uuid::Uuid, jti: String,
    ) -> Result<String, AppError> {
        let now = Utc::now().timestamp();
        let ttl = match kind {
            TokenType::Access => self.access_ttl,
            TokenType::Refresh => self.refresh_ttl,
        };
        let claims = Claims {
            token_type: kind,
            exp: now + i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX / 2),
            iat: now,
            jti,
            user_id,
            sid: Some(session),
        };
        self.sign(&claims)
    }

    /// Signs arbitrary claims (tests forge expired tokens with it).
    pub fn sign(&self, claims: &Claims) -> Result<String, AppError> {
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(AppError::internal)
    }

    /// The claims of a correctly signed, unexpired token; `None` otherwise.
    pub fn decode(&self, token: &str) -> Option<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .ok()
            .map(|data| data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_expire() -> Result<(), AppError> {
        let keys = JwtKeys::new(
            b"0123456789abcdef0123456789abcdef",
            Duration::from_secs(60),
            Duration::from_secs(120),
        );
        let session = uuid::Uuid::new_v4();
        let access = keys.issue(7, TokenType::Access, session)?;
        let claims = keys.decode(&access).ok_or_else(AppError::not_found)?;
        assert_eq!((claims.user_id, claims.token_type), (7, TokenType::Access));
        assert_eq!(claims.sid, Some(session));
        let expired = keys.sign(&Claims { exp: Utc::now().timestamp() - 1, ..claims })?;
        assert!(keys.decode(&expired).is_none());
        let other = JwtKeys::new(
            b"another-secret-another-secret-xx",
            Duration::from_secs(60),
            Duration::from_secs(60),
        );
        assert!(other.decode(&access).is_none(), "a foreign signature is rejected");
        Ok(())
    }
}
