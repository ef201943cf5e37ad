//! `/api/v2/admin/aim/alerts`: alerts listed newest first page by page, marked read, resolved.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderValue;
use axum::http::header::LINK;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::aim::alerts::{AlertCursor, AlertFilter, AlertView, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::api::AppState;
use crate::api::auth::Staff;
use crate::api::error::{ApiError, ApiJson, ErrorBody};
use crate::domain::{AlertId, AlertSeverity, AlertType};

const PATH: &str = "/api/v2/admin/aim/alerts";

/// The routes with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(mark_read))
        .routes(routes!(resolve))
}

/// An alert (the original design's `AimAlert`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlertJson {
    #[schema(value_type = String, format = Uuid)]
    pub id: AlertId,
    /// `staffing_gap`, `capacity_warning`, `compliance`, `weather` or `booking_spike`.
    #[serde(rename = "type")]
    #[schema(value_type = String, example = "capacity_warning")]
    pub kind: AlertType,
    /// `info`, `warning` or `critical`.
    #[schema(value_type = String, example = "warning")]
    pub severity: AlertSeverity,
    pub title: String,
    pub description: String,
    /// What the check found (dates, counts, ids).
    #[schema(value_type = Option<Object>)]
    pub data: Option<Value>,
    pub read_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<AlertView> for AlertJson {
    fn from(a: AlertView) -> Self {
        AlertJson {
            id: a.id,
            kind: a.kind,
            severity: a.severity,
            title: a.title,
            description: a.description,
            data: a.data,
            read_at: a.read_at,
            resolved_at: a.resolved_at,
            created_at: a.created_at,
        }
    }
}

/// The query string of the list, as text: each value is checked with its name at hand.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// `true`: only alerts nobody has read; `false`: only read ones.
    unread: Option<String>,
    /// `true`: only resolved alerts; `false`: only open ones.
    resolved: Option<String>,
    /// One alert type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    kind: Option<String>,
    /// Alerts per page, 1–100 (default 20).
    limit: Option<String>,
    /// The next page's cursor, from the `Link` header.
    cursor: Option<String>,
}

fn bad_request(field: &str, message: impl Into<String>) -> ApiError {
    ApiError::BadRequest {
        field: Some(field.to_owned()),
        message: message.into(),
    }
}

fn flag(field: &str, value: Option<&str>) -> Result<Option<bool>, ApiError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(v) => Err(bad_request(
            field,
            format!("{field} must be `true` or `false`, not `{v}`"),
        )),
    }
}

/// A checked list request, and how to ask for the page after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListRequest {
    pub filter: AlertFilter,
    pub limit: usize,
    pub cursor: Option<AlertCursor>,
}

impl ListRequest {
    /// The request a query string (without `?`) asks for; a bad value is refused with 400
    /// naming its parameter.
    pub fn from_query(query: &str) -> Result<ListRequest, ApiError> {
        let query: ListQuery =
            serde_urlencoded::from_str(query).map_err(|e| ApiError::BadRequest {
                field: None,
                message: format!("Failed to deserialize query string: {e}"),
            })?;
        ListRequest::parse(&query)
    }

    fn parse(query: &ListQuery) -> Result<ListRequest, ApiError> {
        let kind = match query.kind.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(
                text.parse::<AlertType>()
                    .map_err(|e| bad_request("type", e.to_string()))?,
            ),
        };
        let limit = match query.limit.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_PAGE_SIZE,
            Some(text) => match text.parse::<usize>() {
                Ok(n) if (1..=MAX_PAGE_SIZE).contains(&n) => n,
                _ => {
                    return Err(bad_request(
                        "limit",
                        format!(
                            "limit must be a whole number from 1 to {MAX_PAGE_SIZE}, not `{text}`"
                        ),
                    ));
                }
            },
        };
        let cursor = match query.cursor.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(text) => Some(AlertCursor::decode(text).ok_or_else(|| {
                bad_request(
                    "cursor",
                    "cursor is not one this list gave out: follow the `Link: rel=\"next\"` header",
                )
            })?),
        };
        Ok(ListRequest {
            filter: AlertFilter {
                unread: flag("unread", query.unread.as_deref())?,
                resolved: flag("resolved", query.resolved.as_deref())?,
                kind,
            },
            limit,
            cursor,
        })
    }

    /// The `Link` to the page after `end`, with the same filters and limit.
    pub fn next_link(&self, end: AlertCursor) -> String {
        let mut query = Vec::new();
        if let Some(unread) = self.filter.unread {
            query.push(format!("unread={unread}"));
        }
        if let Some(resolved) = self.filter.resolved {
            query.push(format!("resolved={resolved}"));
        }
        if let Some(kind) = self.filter.kind {
            query.push(format!("type={kind}"));
        }
        query.push(format!("limit={}", self.limit));
        // Base64url: nothing in it needs escaping in a query string.
        query.push(format!("cursor={}", end.encode()));
        format!("<{PATH}?{}>; rel=\"next\"", query.join("&"))
    }
}

/// `GET /api/v2/admin/aim/alerts?unread=&resolved=&type=&limit=&cursor=` — alerts newest first;
/// the next page's URL is in `Link: <…>; rel="next"`.
#[utoipa::path(get, path = "/api/v2/admin/aim/alerts", tag = "alerts", params(ListQuery),
    responses((status = 200, body = Vec<AlertJson>, headers(("link" = String, description = "`<…>; rel=\"next\"` when there are more"))), (status = 401, description = "no valid token", body = ErrorBody), (status = 400, body = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    Staff(_caller): Staff,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let request = ListRequest::from_query(query.as_deref().unwrap_or_default())?;
    let page = state
        .alerts
        .list(request.filter, request.limit, request.cursor)
        .await?;
    let link = page
        .end_cursor()
        .filter(|_| page.has_next_page)
        .map(|end| request.next_link(end));
    let alerts: Vec<AlertJson> = page.alerts.into_iter().map(Into::into).collect();
    let mut response = ApiJson(alerts).into_response();
    if let Some(link) = link {
        let value = HeaderValue::try_from(link)
            .map_err(|e| ApiError::Internal(format!("Link header: {e}")))?;
        response.headers_mut().insert(LINK, value);
    }
    Ok(response)
}

fn alert_id(text: &str) -> Result<AlertId, ApiError> {
    text.parse()
        .map_err(|_| bad_request("id", format!("`{text}` is not an alert id")))
}

/// `PATCH /api/v2/admin/aim/alerts/{id}/read` — the alert, marked read (the first time counts).
#[utoipa::path(patch, path = "/api/v2/admin/aim/alerts/{id}/read", tag = "alerts", params(("id" = String, Path, format = Uuid, description = "alert id")),
    responses((status = 200, body = AlertJson), (status = 401, description = "no valid token", body = ErrorBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn mark_read(
    State(state): State<AppState>,
    Staff(_caller): Staff,
    Path(id): Path<String>,
) -> Result<ApiJson<AlertJson>, ApiError> {
    let id = alert_id(&id)?;
    Ok(ApiJson(state.alerts.mark_read(id).await?.into()))
}

/// `PATCH /api/v2/admin/aim/alerts/{id}/resolve` — the alert, resolved (the first time counts).
#[utoipa::path(patch, path = "/api/v2/admin/aim/alerts/{id}/resolve", tag = "alerts", params(("id" = String, Path, format = Uuid, description = "alert id")),
    responses((status = 200, body = AlertJson), (status = 401, description = "no valid token", body = ErrorBody), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn resolve(
    State(state): State<AppState>,
    Staff(_caller): Staff,
    Path(id): Path<String>,
) -> Result<ApiJson<AlertJson>, ApiError> {
    let id = alert_id(&id)?;
    Ok(ApiJson(state.alerts.resolve(id).await?.into()))
}
