//! HS256 staff tokens with `sub`, `role`, `exp`, `iat`, `nbf`, `iss` and `aud`.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use crate::config::Secret;
use crate::domain::{Role, StaffUserId};

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 30;

/// Why a token was refused. The variants are for logs; clients only learn "invalid token".
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token expired")]
    Expired,
    #[error("token not valid yet")]
    NotYetValid,
    #[error("token has the wrong audience")]
    WrongAudience,
    #[error("token has the wrong issuer")]
    WrongIssuer,
    #[error("token signature or algorithm is not accepted")]
    BadSignature,
    #[error("token is malformed")]
    Malformed,
    #[error("token names no known staff user")]
    UnknownSubject,
    #[error("could not sign token: {0}")]
    Signing(String),
}

/// What a staff token says.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    pub exp: i64,
    pub iat: i64,
    pub nbf: i64,
    pub iss: String,
    pub aud: String,
}

/// A signed token and when it expires.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Signing and verification keys with the issuer, audience and lifetime they apply.
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtKeys")
            .field("secret", &"***")
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("ttl", &self.ttl)
            .finish()
    }
}

impl JwtKeys {
    pub fn new(secret: &Secret, issuer: &str, audience: &str, ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECS;
        Self {
            encoding: EncodingKey::from_secret(secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(secret.expose().as_bytes()),
            validation,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            ttl,
        }
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// A token for `staff` valid for the configured lifetime.
    pub fn issue(&self, staff: StaffUserId, role: Role) -> Result<IssuedToken, TokenError> {
        self.issue_for(staff, role, self.ttl)
    }

    /// A token for `staff` valid for `ttl` from now.
    pub fn issue_for(
        &self,
        staff: StaffUserId,
        role: Role,
        ttl: Duration,
    ) -> Result<IssuedToken, TokenError> {
        let now = Utc::now();
        let ttl =
            chrono::Duration::from_std(ttl).map_err(|e| TokenError::Signing(e.to_string()))?;
        let expires_at = now + ttl;
        let claims = Claims {
            sub: staff.to_string(),
            role,
            exp: expires_at.timestamp(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        self.sign(&claims)
            .map(|token| IssuedToken { token, expires_at })
    }

    /// Signs arbitrary claims (tests use it to make tokens that must be refused).
    pub fn sign(&self, claims: &Claims) -> Result<String, TokenError> {
        encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .map_err(|e| TokenError::Signing(e.to_string()))
    }

    /// The claims of a token signed with this key, unexpired, for this issuer and audience.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        use jsonwebtoken::errors::ErrorKind;
        decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                ErrorKind::ImmatureSignature => TokenError::NotYetValid,
                ErrorKind::InvalidAudience => TokenError::WrongAudience,
                ErrorKind::InvalidIssuer => TokenError::WrongIssuer,
                ErrorKind::InvalidSignature
                | ErrorKind::InvalidAlgorithm
                | ErrorKind::InvalidAlgorithmName => TokenError::BadSignature,
                _ => TokenError::Malformed,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(
            &Secret::new("0123456789abcdef0123456789abcdef"),
            "aim",
            "aim-admin",
            Duration::from_secs(3600),
        )
    }

    #[test]
    fn issued_tokens_verify() {
        let keys = keys();
        let id = StaffUserId::new();
        let issued = keys.issue(id, Role::Manager).unwrap();
        let claims = keys.verify(&issued.token).unwrap();
        assert_eq!(claims.sub, id.to_string());
        assert_eq!(claims.role, Role::Manager);
        assert_eq!(claims.exp, issued.expires_at.timestamp());
    }

    #[test]
    fn tokens_for_another_audience_issuer_or_key_are_refused() {
        let keys = keys();
        let token = keys.issue(StaffUserId::new(), Role::Staff).unwrap().token;
        let secret = Secret::new("0123456789abcdef0123456789abcdef");
        let other_aud = JwtKeys::new(&secret, "aim", "someone-else", Duration::from_secs(60));
        assert_eq!(other_aud.verify(&token), Err(TokenError::WrongAudience));
        let other_iss = JwtKeys::new(&secret, "not-aim", "aim-admin", Duration::from_secs(60));
        assert_eq!(other_iss.verify(&token), Err(TokenError::WrongIssuer));
        let other_key = JwtKeys::new(
            &Secret::new("another-secret-another-secret-xx"),
            "aim",
            "aim-admin",
            Duration::from_secs(60),
        );
        assert_eq!(other_key.verify(&token), Err(TokenError::BadSignature));
    }
}
