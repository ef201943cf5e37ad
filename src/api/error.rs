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
use crate::facility::{FacilityError, RefusalKind};
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
        if let FacilityError::Db(db) = err {
            return db.into();
        }
        let refusal = err.refusal();
        let status = match refusal.kind {
            RefusalKind::Internal => return ApiError::Internal(refusal.message),
            RefusalKind::Forbidden => return ApiError::Forbidden(refusal.message),
            RefusalKind::NotFound => StatusCode::NOT_FOUND,
            RefusalKind::Conflict => StatusCode::CONFLICT,
            RefusalKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        };
        // Messages name the field as the input does: `first_name: …` becomes `firstName: …`.
        let mut message = refusal.message;
        if let Some(snake) = refusal.field
            && let Some(rest) = message
                .strip_prefix(snake)
                .and_then(|m| m.strip_prefix(": "))
        {
            message = format!("{}: {rest}", camel_case(snake));
        }
        ApiError::Refused {
            status,
            code: refusal.code,
            field: refusal.field.map(camel_case),
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
            // A value another row holds: the field when the constraint names one, never a 500.
            DbError::UniqueViolation { .. } => match FacilityError::from(err) {
                FacilityError::Db(_) => ApiError::Refused {
                    status: StatusCode::CONFLICT,
                    code: "already_exists",
                    field: None,
                    message: "another record already has this value".to_owned(),
                },
                named => named.into(),
            },
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

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, Utc};

    use super::*;
    use crate::aim::tools::ToolError;
    use crate::domain::{BookingStatus, CustomerId, DogId, Role, ServiceKind, VaccineKind};
    use crate::facility::sms::SmsError;

    /// What each facility error must read as on every surface: status, code and field (as the
    /// API names it). The match has no catch-all, so a new variant fails to compile here until
    /// its row is written.
    fn expected(err: &FacilityError) -> (u16, &'static str, Option<&'static str>) {
        match err {
            FacilityError::InvalidInput { .. } => (422, "invalid_input", Some("firstName")),
            FacilityError::EndBeforeStart { .. } | FacilityError::RangeTooLong { .. } => {
                (422, "invalid_input", Some("endDate"))
            }
            FacilityError::UnknownCustomer(_) => (404, "not_found", Some("customerId")),
            FacilityError::UnknownDog(_) => (404, "not_found", Some("dogIds")),
            FacilityError::DogNotOwned { .. } => (422, "invalid_input", Some("customerId")),
            FacilityError::ServiceUnavailable(_) => (422, "invalid_input", Some("service")),
            FacilityError::StartInPast { .. } => (422, "invalid_input", Some("startDate")),
            FacilityError::CapacityFull { .. } => (409, "capacity_full", Some("startDate")),
            FacilityError::DogAlreadyBooked { .. } => {
                (409, "dog_already_booked", Some("startDate"))
            }
            FacilityError::VaccinationExpired { .. } => {
                (422, "vaccination_expired", Some("dogIds"))
            }
            FacilityError::VaccinationMissing { .. } => {
                (422, "vaccination_missing", Some("dogIds"))
            }
            FacilityError::Forbidden { .. } | FacilityError::NotAllowed { .. } => {
                (403, "forbidden", None)
            }
            FacilityError::NotFound { .. } => (404, "not_found", Some("bookingId")),
            FacilityError::AlreadyExists { .. } => (409, "already_exists", Some("email")),
            FacilityError::StaleUpdate { .. } => (409, "stale_update", None),
            FacilityError::InvalidTransition { .. } | FacilityError::WrongDay { .. } => {
                (409, "invalid_transition", None)
            }
            FacilityError::Sms(SmsError::SendFailed { .. }) => (500, "internal", None),
            // A text the SMS rules refuse keeps the SMS service's own code.
            FacilityError::Sms(_) => (422, "empty_message", Some("message")),
            FacilityError::Db(_) | FacilityError::Internal(_) => (500, "internal", None),
        }
    }

    fn samples() -> Vec<FacilityError> {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let dog = DogId::new();
        vec![
            FacilityError::InvalidInput {
                field: "first_name",
                message: "write a name".into(),
            },
            FacilityError::EndBeforeStart {
                field: "end_date",
                start: day,
                end: day.pred_opt().unwrap(),
            },
            FacilityError::RangeTooLong {
                field: "end_date",
                days: 400,
                max: 366,
            },
            FacilityError::UnknownCustomer(CustomerId::new()),
            FacilityError::UnknownDog(dog),
            FacilityError::DogNotOwned {
                dog_id: dog,
                dog_name: "Zeus".into(),
                customer_name: "Mark".into(),
            },
            FacilityError::ServiceUnavailable(ServiceKind::Training),
            FacilityError::StartInPast {
                start: day.pred_opt().unwrap(),
                today: day,
            },
            FacilityError::CapacityFull {
                date: day,
                booked: 40,
                requested: 1,
                capacity: 40,
            },
            FacilityError::DogAlreadyBooked {
                dog_id: dog,
                dog_name: "Zeus".into(),
                date: day,
                booking_id: crate::domain::BookingId::new(),
            },
            FacilityError::VaccinationExpired {
                dog_id: dog,
                dog_name: "Zeus".into(),
                vaccine: VaccineKind::Rabies,
                expires_on: day,
                last_day: day,
            },
            FacilityError::VaccinationMissing {
                dog_id: dog,
                dog_name: "Zeus".into(),
                vaccine: VaccineKind::Rabies,
            },
            FacilityError::Forbidden {
                what: "revenue",
                role: Role::Staff,
            },
            FacilityError::NotAllowed {
                what: "adding staff",
                needed: "admin",
                role: Role::Manager,
            },
            FacilityError::NotFound {
                entity: "booking",
                id: "b1".into(),
                field: Some("booking_id"),
            },
            FacilityError::AlreadyExists {
                field: "email",
                message: "another record already has this email address".into(),
            },
            FacilityError::StaleUpdate {
                entity: "customer",
                expected: Utc::now(),
                updated_at: Utc::now(),
            },
            FacilityError::InvalidTransition {
                from: BookingStatus::CheckedOut,
                to: "checked in",
            },
            FacilityError::WrongDay {
                what: "checked in",
                first_day: day,
                last_day: day,
                today: day.succ_opt().unwrap(),
            },
            FacilityError::Sms(SmsError::EmptyMessage),
            FacilityError::Sms(SmsError::SendFailed {
                message_id: crate::domain::SmsMessageId::new(),
                reason: "Twilio answered 500".into(),
            }),
            FacilityError::Db(DbError::ForeignKeyViolation {
                constraint: "a broken reference".into(),
            }),
            FacilityError::Internal("a broken invariant".into()),
        ]
    }

    #[test]
    fn every_facility_error_keeps_its_code_on_rest_graphql_and_in_tool_results() {
        let mut seen = std::collections::HashSet::new();
        for (err, again) in samples().into_iter().zip(samples()) {
            let (status, code, field) = expected(&err);
            let what = format!("{err:?}");
            seen.insert(std::mem::discriminant(&err));
            let tool = ToolError::from(again);
            let api = ApiError::from(err);
            assert_eq!(api.status().as_u16(), status, "{what}");
            assert_eq!(api.code(), code, "{what}");
            assert_eq!(api.field(), field, "{what}");

            let rest = api.body("req-1");
            assert_eq!(rest["error"]["code"], code, "{what}");
            assert_eq!(rest["error"]["field"].as_str(), field, "{what}");
            assert_eq!(rest["error"]["requestId"], "req-1", "{what}");

            let graphql = api.into_graphql();
            let extensions = serde_json::to_value(&graphql.extensions).unwrap();
            assert_eq!(extensions["code"], code, "{what}");
            assert_eq!(extensions["field"].as_str(), field, "{what}");
            if status == 500 {
                assert!(!graphql.message.contains("broken"), "masked: {what}");
            }

            // The model reads the same code, with the field as the tool's input names it.
            assert_eq!(tool.code, code, "{what}");
            assert_eq!(
                tool.field.map(|f| camel_case(&f)).as_deref(),
                field,
                "{what}"
            );
        }
        assert_eq!(seen.len(), 22, "one sample per variant");
    }

    #[test]
    fn a_unique_violation_is_already_exists_never_a_500() {
        let named = ApiError::from(DbError::UniqueViolation {
            constraint: "customers_email_key".into(),
        });
        assert_eq!(
            (named.status().as_u16(), named.code()),
            (409, "already_exists")
        );
        assert_eq!(named.field(), Some("email"));
        let unnamed = ApiError::from(DbError::UniqueViolation {
            constraint: "some_other_key".into(),
        });
        assert_eq!(
            (unnamed.status().as_u16(), unnamed.code()),
            (409, "already_exists")
        );
        assert_eq!(unnamed.field(), None);
    }
}
