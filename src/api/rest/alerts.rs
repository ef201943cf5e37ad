//! `/api/v2/admin/aim/alerts`: alerts listed newest first page by page, marked read, resolved.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::HeaderValue;
use axum::http::header::LINK;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch};
use serde::Deserialize;

use crate::aim::alerts::{AlertCursor, AlertFilter, AlertView, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use crate::api::AppState;
use crate::api::auth::Staff;
use crate::api::error::{ApiError, ApiJson};
use crate::domain::{AlertId, AlertType};

const PATH: &str = "/api/v2/admin/aim/alerts";

pub fn router() -> Router<AppState> {
    Router::new()
        .route(PATH, get(list))
        .route("/api/v2/admin/aim/alerts/{id}/read", patch(mark_read))
        .route("/api/v2/admin/aim/alerts/{id}/resolve", patch(resolve))
}

/// The query string of the list, as text: each value is checked with its name at hand.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    unread: Option<String>,
    resolved: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    limit: Option<String>,
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
struct ListRequest {
    filter: AlertFilter,
    limit: usize,
    cursor: Option<AlertCursor>,
}

impl ListRequest {
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
    fn next_link(&self, end: AlertCursor) -> String {
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
async fn list(
    State(state): State<AppState>,
    Staff(_caller): Staff,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|rejection| ApiError::BadRequest {
        field: None,
        message: rejection.body_text(),
    })?;
    let request = ListRequest::parse(&query)?;
    let page = state
        .alerts
        .list(request.filter, request.limit, request.cursor)
        .await?;
    let link = page
        .end_cursor()
        .filter(|_| page.has_next_page)
        .map(|end| request.next_link(end));
    let mut response = ApiJson(page.alerts).into_response();
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
async fn mark_read(
    State(state): State<AppState>,
    Staff(_caller): Staff,
    Path(id): Path<String>,
) -> Result<ApiJson<AlertView>, ApiError> {
    let id = alert_id(&id)?;
    Ok(ApiJson(state.alerts.mark_read(id).await?))
}

/// `PATCH /api/v2/admin/aim/alerts/{id}/resolve` — the alert, resolved (the first time counts).
async fn resolve(
    State(state): State<AppState>,
    Staff(_caller): Staff,
    Path(id): Path<String>,
) -> Result<ApiJson<AlertView>, ApiError> {
    let id = alert_id(&id)?;
    Ok(ApiJson(state.alerts.resolve(id).await?))
}
