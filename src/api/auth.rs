//! The staff extractor for REST routes and the login route.

use axum::extract::{FromRequestParts, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::error::{ApiError, ApiJson};
use crate::auth::{AuthError, Authenticated};
use crate::db::staff::StaffUser;

/// The authenticated staff user of a request. Rejects with 401 (and `WWW-Authenticate`).
pub struct Staff(pub Authenticated);

/// The token of an `Authorization: Bearer …` header value.
pub fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(AuthError::MissingToken)?;
        let token = header
            .to_str()
            .ok()
            .and_then(bearer_token)
            .ok_or(AuthError::MissingToken)?;
        Ok(Staff(state.auth.authenticate(token).await?))
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    email: String,
    password: String,
}

impl LoginInput {
    /// Refuses, naming the field, what can be told wrong without the database.
    pub fn check(&self) -> Result<(), ApiError> {
        if self.email.trim().is_empty() {
            return Err(ApiError::invalid("email", "email must not be empty"));
        }
        if self.password.is_empty() {
            return Err(ApiError::invalid("password", "password must not be empty"));
        }
        if self.email.contains('\0') {
            return Err(ApiError::invalid(
                "email",
                "email contains a NUL character (U+0000)",
            ));
        }
        if self.password.len() > 1024 {
            return Err(ApiError::invalid(
                "password",
                "password is longer than 1024 bytes",
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoginOutput {
    token: String,
    expires_at: DateTime<Utc>,
    /// `{id, email, name, role, active, createdAt}`.
    #[schema(value_type = Object)]
    staff_user: StaffUser,
}

/// `POST /api/v2/auth/login` — `{email, password}` → `{token, expiresAt, staffUser}`.
#[utoipa::path(post, path = "/api/v2/auth/login", tag = "auth", request_body = LoginInput, security(()),
    responses((status = 200, body = LoginOutput), (status = 401, description = "unknown email or wrong password", body = super::error::ErrorBody), (status = 400, description = "a body that is not JSON", body = super::error::ErrorBody),
        (status = 422, body = super::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(input): ApiJson<LoginInput>,
) -> Result<ApiJson<LoginOutput>, ApiError> {
    input.check()?;
    let login = state.auth.login(&input.email, &input.password).await?;
    Ok(ApiJson(LoginOutput {
        token: login.token.token,
        expires_at: login.token.expires_at,
        staff_user: login.staff_user,
    }))
}

/// `GET /api/v2/admin/staff` — every staff user (managers and admins).
#[utoipa::path(get, path = "/api/v2/admin/staff", tag = "auth",
    responses((status = 200, description = "`[{id, email, name, role, active, createdAt}]`", body = Vec<serde_json::Value>),
        (status = 401, body = super::error::ErrorBody), (status = 403, description = "not a manager or admin", body = super::error::ErrorBody)))]
pub async fn list_staff(
    State(state): State<AppState>,
    Staff(caller): Staff,
) -> Result<ApiJson<Vec<StaffUser>>, ApiError> {
    caller.require_manager()?;
    let mut conn = state.db.conn().await?;
    let staff = crate::db::staff::list(&mut conn).await?;
    Ok(ApiJson(staff.into_iter().map(StaffUser::from).collect()))
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn bearer_scheme_is_case_insensitive_and_needs_a_token() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer"), None);
    }
}
