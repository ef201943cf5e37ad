//! Argon2id password hashes (PHC strings). Hashing is deliberately slow, so it runs on the
//! blocking pool, never on the async workers.

use std::sync::LazyLock;

use argon2::Argon2;
use argon2::{PasswordHash, PasswordHasher, PasswordVerifier};

use super::AuthError;

/// Hash checked when the email is unknown, so both failures cost the same.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_blocking("not-a-real-password").expect("hashing a constant cannot fail"));

fn hash_blocking(password: &str) -> Result<String, AuthError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hashing(e.to_string()))
}

/// A new PHC-format argon2id hash of `password`, with a random salt.
pub async fn hash_password(password: String) -> Result<String, AuthError> {
    tokio::task::spawn_blocking(move || hash_blocking(&password))
        .await
        .map_err(|e| AuthError::Hashing(e.to_string()))?
}

/// Whether `password` matches `hash`; with no hash, checks a dummy one and answers `false`.
pub async fn verify_password(password: String, hash: Option<String>) -> Result<bool, AuthError> {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.clone());
        let parsed = PasswordHash::new(&hash).map_err(|e| AuthError::Hashing(e.to_string()))?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(known && ok)
    })
    .await
    .map_err(|e| AuthError::Hashing(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_only_the_right_password() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            verify_password("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong".into(), Some(hash)).await.unwrap());
        assert!(
            !verify_password("not-a-real-password".into(), None)
                .await
                .unwrap()
        );
    }
}
