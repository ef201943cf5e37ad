//! Staff authentication: argon2 password hashes and HS256 staff tokens.
//!
//! [`AuthService::authenticate`] is the one check every transport uses (REST extractor, GraphQL
//! over HTTP, WebSocket `connection_init`): a valid token for a staff user who is still active.

mod jwt;
mod password;

pub use jwt::{Claims, IssuedToken, JwtKeys, LEEWAY_SECS, TokenError};
pub use password::{hash_password, verify_password};

use crate::db::staff::StaffUser;
use crate::db::{self, Db, DbError};
use crate::domain::{Role, StaffUserId};

/// Why a request is not allowed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown email or wrong password: deliberately the same answer for both.
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("missing bearer token")]
    MissingToken,
    #[error("invalid token: {0}")]
    InvalidToken(#[from] TokenError),
    #[error("this staff account is deactivated")]
    Deactivated,
    #[error("this requires one of the roles: {0}")]
    Forbidden(String),
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// A successful login.
#[derive(Clone, Debug)]
pub struct Login {
    pub token: IssuedToken,
    pub staff_user: StaffUser,
}

/// Login and token verification over the staff table.
#[derive(Clone)]
pub struct AuthService {
    db: Db,
    keys: JwtKeys,
}

impl AuthService {
    pub fn new(db: Db, keys: JwtKeys) -> Self {
        Self { db, keys }
    }

    pub fn keys(&self) -> &JwtKeys {
        &self.keys
    }

    /// Checks email and password; an unknown email costs the same hashing work as a wrong
    /// password, so response time doesn't reveal which accounts exist.
    pub async fn login(&self, email: &str, password: &str) -> Result<Login, AuthError> {
        let mut conn = self.db.conn().await?;
        let record = db::staff::find_by_email(&mut conn, email).await?;
        drop(conn);
        let hash = record.as_ref().map(|r| r.password_hash.clone());
        let matches = verify_password(password.to_owned(), hash).await?;
        match record {
            Some(record) if matches => {
                if !record.active {
                    return Err(AuthError::Deactivated);
                }
                let token = self.keys.issue(record.id, record.role)?;
                Ok(Login {
                    token,
                    staff_user: record.into(),
                })
            }
            _ => Err(AuthError::InvalidCredentials),
        }
    }

    /// The active staff user a bearer token stands for.
    pub async fn authenticate(&self, token: &str) -> Result<Authenticated, AuthError> {
        let claims = self.keys.verify(token)?;
        let id: StaffUserId = claims.sub.parse().map_err(|_| TokenError::Malformed)?;
        let mut conn = self.db.conn().await?;
        let record = db::staff::find_by_id(&mut conn, id)
            .await?
            .ok_or(TokenError::UnknownSubject)?;
        if !record.active {
            return Err(AuthError::Deactivated);
        }
        Ok(Authenticated {
            staff: record.into(),
            expires_at: claims.exp,
        })
    }
}

/// A verified caller: the staff user (role as stored now, not as when the token was issued)
/// and when the token stops being valid.
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub staff: StaffUser,
    pub expires_at: i64,
}

impl Authenticated {
    /// The staff user as the services see who is acting.
    pub fn actor(&self) -> crate::domain::Actor {
        crate::domain::Actor {
            staff_user_id: self.staff.id,
            role: self.staff.role,
        }
    }

    /// Refuses unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), AuthError> {
        if roles.contains(&self.staff.role) {
            Ok(())
        } else {
            let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
            Err(AuthError::Forbidden(names.join(", ")))
        }
    }

    /// Managers and admins only.
    pub fn require_manager(&self) -> Result<(), AuthError> {
        self.require(&[Role::Manager, Role::Admin])
    }
}
