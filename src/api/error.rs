//! The API's error type: one mapping from every failure to an HTTP status and SPEC's JSON body
//! `{"error": {"code", "message", "requestId"}}`. Internal errors are logged with the request id
//! and masked; clients never see SQL or a stack trace.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::aim::AimError;
use crate::aim::alerts::AlertError;
use crate::auth::AuthError;
use crate::db::DbError;
use crate::facility::FacilityError;
use crate::llm::LlmError;

tokio::task_local! {
    /// The id of the request being handled (set by the request-id middleware).
    pub static REQUEST_ID: String;
}

/// The current request's id, or `-` outside a request.
pub fn current_request_id() -> String {
    REQUEST_ID
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".to_owned())
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// Malformed request (bad JSON, bad id).
    #[error("{message}")]
    BadRequest {
        field: Option<String>,
        message: String,
    },
    /// Well-formed but invalid input; `field` names the culprit.
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    /// The request conflicts with the current state (an action already decided).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// A rule of the facility refused the request: its own code and status, and the input
    /// field at fault when there is one.
    #[error("{message}")]
    Refused {
        status: StatusCode,
        code: &'static str,
        field: Option<String>,
        message: String,
    },
    /// A service the request depends on failed (the language model); `message` is for staff.
    #[error("{message}")]
    Upstream {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_secs: u64,
    },
    #[error("request body is larger than the server accepts")]
    PayloadTooLarge,
    #[error("the request took longer than the server allows")]
    Timeout,
    /// The database could not be reached in time; the request did nothing.
    #[error(
        "the service is briefly unavailable (its database is not answering); try again shortly"
    )]
    Unavailable,
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid {
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::Upstream { status, .. } | ApiError::Refused { status, .. } => *status,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Timeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable code, shared with GraphQL's `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized(_) => "unauthenticated",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::BadRequest { .. } => "bad_request",
            ApiError::Invalid { .. } => "invalid_input",
            ApiError::Conflict { code, .. }
            | ApiError::Upstream { code, .. }
            | ApiError::Refused { code, .. } => code,
            ApiError::TooManyRequests { .. } => "rate_limited",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::Timeout => "timeout",
            ApiError::Unavailable => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }

    pub fn field(&self) -> Option<&str> {
        match self {
            ApiError::BadRequest { field, .. }
            | ApiError::Invalid { field, .. }
            | ApiError::Refused { field, .. } => field.as_deref(),
            _ => None,
        }
    }

    /// What the client reads: the error itself, or for internal errors a masked message
    /// (the detail is logged here with the request id).
    pub fn public_message(&self, request_id: &str) -> String {
        match self {
            ApiError::Internal(detail) => {
                tracing::error!(request_id = %request_id, error = %detail, "internal error");
                "something went wrong on our side; quote the request id when reporting it"
                    .to_owned()
            }
            other => other.to_string(),
        }
    }

    /// The error as a REST body: `{"error": {"code", "message", "requestId", "field"?}}`.
    pub fn body(&self, request_id: &str) -> Value {
        let message = self.public_message(request_id);
        let mut error = json!({ "code": self.code(), "message": message, "requestId": request_id });
        if let Some(field) = self.field() {
            error["field"] = json!(field);
        }
        json!({ "error": error })
    }

    /// The same error for GraphQL: the message, and `extensions` with `code`, `requestId` and
    /// `field` when an input is at fault.
    pub fn into_graphql(self) -> async_graphql::Error {
        let request_id = current_request_id();
        let message = self.public_message(&request_id);
        let code = self.code();
        let field = self.field().map(str::to_owned);
        use async_graphql::ErrorExtensions as _;
        async_graphql::Error::new(message).extend_with(|_, e| {
            e.set("code", code);
            e.set("requestId", request_id.as_str());
            if let Some(field) = &field {
                e.set("field", field.as_str());
            }
        })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = self.body(&current_request_id());
        let mut response = (status, Json(body)).into_response();
        let retry_after = match &self {
            ApiError::TooManyRequests {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            ApiError::Unavailable => Some(1),
            _ => None,
        };
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if status == StatusCode::UNAUTHORIZED {
            let challenge = if matches!(&self, ApiError::Unauthorized(m) if m == MISSING_TOKEN) {
                HeaderValue::from_static("Bearer")
            } else {
                HeaderValue::from_static("Bearer error=\"invalid_token\"")
            };
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

const MISSING_TOKEN: &str = "missing bearer token: send `Authorization: Bearer <token>`";

impl From<AuthError> for ApiError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::MissingToken => ApiError::Unauthorized(MISSING_TOKEN.to_owned()),
            AuthError::InvalidCredentials => ApiError::Unauthorized(err.to_string()),
            AuthError::InvalidToken(inner) => {
                tracing::debug!(reason = %inner, "token refused");
                ApiError::Unauthorized("invalid or expired token".to_owned())
            }
            AuthError::Deactivated => {
                ApiError::Unauthorized("this staff account is deactivated".to_owned())
            }
            AuthError::Forbidden(_) => ApiError::Forbidden(err.to_string()),
            AuthError::Db(db) => db.into(),
            AuthError::Hashing(detail) => ApiError::Internal(detail),
        }
    }
}

impl From<AimError> for ApiError {
    fn from(err: AimError) -> Self {
        match err {
            AimError::InvalidInput { field, message } => ApiError::Invalid {
                field: Some(field.to_owned()),
                message,
            },
            AimError::ConversationNotFound(_) | AimError::ActionNotFound(_) => {
                ApiError::NotFound(err.to_string())
            }
            AimError::ActionNotPending { .. } | AimError::IdempotencyKeyInUse(_) => {
                ApiError::Conflict {
                    code: err.code(),
                    message: err.to_string(),
                }
            }
            AimError::Model(model) => {
                tracing::warn!(error = %model, "chat turn failed at the model");
                let status = match &model {
                    LlmError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
                    LlmError::Api {
                        status: 429 | 529, ..
                    } => StatusCode::SERVICE_UNAVAILABLE,
                    _ => StatusCode::BAD_GATEWAY,
                };
                ApiError::Upstream {
                    status,
                    code: model.code(),
                    message: model.user_message(),
                }
            }
            AimError::RateLimited { retry_after_secs } => ApiError::TooManyRequests {
                message: err.to_string(),
                retry_after_secs,
            },
            AimError::Facility(err) => err.into(),
            AimError::Db(db) => db.into(),
        }
    }
}

/// An input field as the API names it: `customer_id` → `customerId`.
pub fn camel_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len());
    let mut upper = false;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

impl From<FacilityError> for ApiError {
    /// Each refusal keeps its own code and the field at fault (camelCase), with the status
    /// that says what kind of refusal it is: 403 not allowed, 404 unknown, 409 conflicting
    /// with the current state (a place, a value or a version taken, a move not possible),
    /// 422 invalid input.
    fn from(err: FacilityError) -> Self {
        let err = match err {
            FacilityError::Db(db) => return db.into(),
            FacilityError::Internal(detail) => return ApiError::Internal(detail),
            FacilityError::Sms(sms) if !sms.is_user_error() => {
                return ApiError::Internal(sms.to_string());
            }
            err => err,
        };
        let field = err.field().map(camel_case);
        let status = match &err {
            FacilityError::Forbidden { .. } | FacilityError::NotAllowed { .. } => {
                return ApiError::Forbidden(err.to_string());
            }
            FacilityError::NotFound { .. }
            | FacilityError::UnknownCustomer(_)
            | FacilityError::UnknownDog(_) => StatusCode::NOT_FOUND,
            FacilityError::CapacityFull { .. }
            | FacilityError::DogAlreadyBooked { .. }
            | FacilityError::AlreadyExists { .. }
            | FacilityError::StaleUpdate { .. }
            | FacilityError::InvalidTransition { .. }
            | FacilityError::WrongDay { .. } => StatusCode::CONFLICT,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        let code = match err.code() {
            // Refusals of the input itself share one code; the message says which rule.
            "end_before_start"
            | "range_too_long"
            | "start_in_past"
            | "service_unavailable"
            | "dog_not_owned" => "invalid_input",
            "unknown_customer" | "unknown_dog" => "not_found",
            code => code,
        };
        // Messages name the field as the input does: `first_name: …` becomes `firstName: …`.
        let mut message = err.to_string();
        if let Some(snake) = err.field()
            && let Some(rest) = message
                .strip_prefix(snake)
                .and_then(|m| m.strip_prefix(": "))
        {
            message = format!("{}: {rest}", camel_case(snake));
        }
        ApiError::Refused {
            status,
            code,
            field,
            message,
        }
    }
}

impl From<AlertError> for ApiError {
    fn from(err: AlertError) -> Self {
        match err {
            AlertError::NotFound(_) => ApiError::NotFound(err.to_string()),
            AlertError::InvalidInput { field, message } => ApiError::invalid(field, message),
            AlertError::Db(db) => db.into(),
        }
    }
}

impl From<DbError> for ApiError {
    fn from(err: DbError) -> Self {
        match err {
            DbError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "database unavailable: answered 503");
                ApiError::Unavailable
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection.status() {
            StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
            StatusCode::UNPROCESSABLE_ENTITY => ApiError::Invalid {
                field: None,
                message: rejection.body_text(),
            },
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::BadRequest {
                field: None,
                message: "send the body as JSON with `Content-Type: application/json`".to_owned(),
            },
            _ => ApiError::BadRequest {
                field: None,
                message: rejection.body_text(),
            },
        }
    }
}

/// Every error response: `{"error": {"code", "message", "requestId", "field"?}}` (for the
/// OpenAPI document; responses are built by [`ApiError`]'s `IntoResponse`).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// Machine-readable, e.g. `not_found`, `invalid_input`, `unauthenticated`.
    pub code: String,
    /// For people.
    pub message: String,
    /// Also in the `x-request-id` header and the server's logs.
    pub request_id: String,
    /// The input at fault, when one is.
    pub field: Option<String>,
}

/// JSON body extractor whose rejections use the API's error format.
#[derive(Debug, Clone, Copy, Default, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct ApiJson<T>(pub T);

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}
