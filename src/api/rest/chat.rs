//! REST shims of the chat: `POST /api/v2/admin/aim/chat`, the caller's conversations, and the
//! actions AIM proposed. The same services as the GraphQL resolvers; camelCase JSON with the
//! original design's field names.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::aim::actions::ActionView;
use crate::aim::chat::{ChatEvent, ChatOutput};
use crate::aim::conversations::{ConversationRow, MessageRow};
use crate::aim::idempotency::IdempotencyKey;
use crate::api::AppState;
use crate::api::auth::Staff;
use crate::api::error::{ApiError, ApiJson, ErrorBody, current_request_id};
use crate::cursor::Position;
use crate::domain::*;

/// Conversations per page when the client does not say.
const DEFAULT_LIMIT: i64 = 20;
/// Most conversations per page.
const MAX_LIMIT: i64 = 100;
/// The kind of list in a conversations cursor.
const CONVERSATIONS: &str = "conversation";
/// Messages read per query when a conversation is shown whole.
/// A comment line this often keeps an event stream open through proxies while a tool runs.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The routes with their OpenAPI description.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(chat))
        .routes(routes!(list_conversations))
        .routes(routes!(get_conversation, archive_conversation))
        .routes(routes!(cancel_chat))
        .routes(routes!(get_action))
        .routes(routes!(confirm_action))
        .routes(routes!(cancel_action))
}

/// `POST /api/v2/admin/aim/chat`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChatBody {
    /// What the staff member asks (at most 4,000 characters).
    pub message: String,
    /// Continue this conversation; a new one starts without it.
    #[schema(format = Uuid)]
    pub conversation_id: Option<String>,
}

impl ChatBody {
    /// The conversation to continue, checked: 400 naming `conversationId` when it is no id.
    pub fn conversation_id(&self) -> Result<Option<ConversationId>, ApiError> {
        self.conversation_id
            .as_deref()
            .map(|id| parse_id("conversationId", id))
            .transpose()
    }
}

/// What a chat turn answers: `AimChatOutput`, plus the actions it proposed when any.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatAnswer {
    pub response_text: String,
    #[schema(value_type = String, format = Uuid)]
    pub conversation_id: ConversationId,
    /// Tool names in call order.
    pub tools_used: Vec<String>,
    pub model_used: String,
    /// Bookings and texts proposed in this turn, waiting for confirmation; absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending_actions: Vec<ActionJson>,
    /// The stored assistant message.
    #[schema(value_type = String, format = Uuid)]
    pub message_id: MessageId,
    /// The staff user stopped the turn: `responseText` is what was said by then.
    pub cancelled: bool,
}

impl From<ChatOutput> for ChatAnswer {
    fn from(out: ChatOutput) -> Self {
        ChatAnswer {
            response_text: out.response_text,
            conversation_id: out.conversation_id,
            tools_used: out.tools_used,
            model_used: out.model_used,
            pending_actions: out.pending_actions.into_iter().map(Into::into).collect(),
            message_id: out.message_id,
            cancelled: out.cancelled,
        }
    }
}

/// A conversation as listed (the original design's `AimConversation`, with token totals).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationJson {
    #[schema(value_type = String, format = Uuid)]
    pub id: ConversationId,
    #[schema(value_type = String, format = Uuid)]
    pub staff_user_id: StaffUserId,
    pub title: Option<String>,
    /// `active` or `archived`.
    #[schema(value_type = String, example = "active")]
    pub status: ConversationStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_read_tokens: i64,
    pub cache_write_tokens: i64,
}

impl From<ConversationRow> for ConversationJson {
    fn from(c: ConversationRow) -> Self {
        ConversationJson {
            id: c.id,
            staff_user_id: c.staff_user_id,
            title: c.title,
            status: c.status,
            created_at: c.created_at,
            updated_at: c.updated_at,
            input_tokens: c.tokens.input_tokens,
            output_tokens: c.tokens.output_tokens,
            cache_read_tokens: c.tokens.cache_read_tokens,
            cache_write_tokens: c.tokens.cache_write_tokens,
        }
    }
}

/// A message (the original design's `AimMessage`, with token usage).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageJson {
    #[schema(value_type = String, format = Uuid)]
    pub id: MessageId,
    #[schema(value_type = String, format = Uuid)]
    pub conversation_id: ConversationId,
    /// `user` or `assistant`.
    #[schema(value_type = String, example = "assistant")]
    pub role: MessageRole,
    pub content: String,
    /// Each call: `id`, `name`, `input`, `output`, `isError`, `durationMs`, `round`.
    #[schema(value_type = Option<Vec<Object>>)]
    pub tool_calls: Option<Value>,
    pub model_used: Option<String>,
    pub created_at: DateTime<Utc>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cache_read_tokens: Option<i64>,
    pub cache_write_tokens: Option<i64>,
    /// The staff user stopped this answer before AIM finished it.
    pub cancelled: bool,
}

impl From<MessageRow> for MessageJson {
    fn from(m: MessageRow) -> Self {
        MessageJson {
            id: m.id,
            conversation_id: m.conversation_id,
            role: m.role,
            content: m.content,
            tool_calls: m.tool_calls.map(|j| j.0),
            model_used: m.model_used,
            created_at: m.created_at,
            input_tokens: m.input_tokens,
            output_tokens: m.output_tokens,
            cache_read_tokens: m.cache_read_tokens,
            cache_write_tokens: m.cache_write_tokens,
            cancelled: m.cancelled,
        }
    }
}

/// A conversation with its messages (oldest first) and the actions proposed in it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConversationDetail {
    #[serde(flatten)]
    pub conversation: ConversationJson,
    pub messages: Vec<MessageJson>,
    /// Actions proposed in the conversation, newest first.
    pub actions: Vec<ActionJson>,
}

/// A booking or text AIM proposed: `pending` until the owner of the conversation confirms
/// (`executed` or `failed`) or cancels it, or it expires after 30 minutes.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActionJson {
    #[schema(value_type = String, format = Uuid)]
    pub id: ActionId,
    #[schema(value_type = String, format = Uuid)]
    pub conversation_id: ConversationId,
    /// `create_booking` or `send_sms_to_customer`.
    #[schema(value_type = String, example = "create_booking")]
    pub tool: ActionTool,
    pub summary: String,
    /// The tool input as validated.
    #[schema(value_type = Object)]
    pub input: Value,
    /// `pending`, `confirmed`, `cancelled`, `executed`, `failed` or `expired`.
    #[schema(value_type = String, example = "pending")]
    pub status: ActionStatus,
    /// What it did, once executed.
    #[schema(value_type = Option<Object>)]
    pub result: Option<Value>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl From<ActionView> for ActionJson {
    fn from(a: ActionView) -> Self {
        ActionJson {
            id: a.id,
            conversation_id: a.conversation_id,
            tool: a.tool,
            summary: a.summary,
            input: a.input,
            status: a.status,
            result: a.result,
            error: a.error,
            created_at: a.created_at,
            expires_at: a.expires_at,
            decided_at: a.decided_at,
            completed_at: a.completed_at,
        }
    }
}

fn parse_id<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, ApiError> {
    text.trim().parse().map_err(|_| ApiError::BadRequest {
        field: Some(field.to_owned()),
        message: format!("{field}: `{text}` is not a valid id (a UUID)"),
    })
}

/// Whether the client asked for the turn as server-sent events.
fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|kind| {
            kind.split(';')
                .next()
                .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("text/event-stream"))
        })
}

/// `POST /api/v2/admin/aim/chat`: AIM's answer to a message. With `Accept: text/event-stream`
/// the turn comes as server-sent events, as it happens:
/// `started` `{conversationId}`; `text_delta` `{text}` (the model's text in order);
/// `tool_call_started` `{id, name, input}` and `tool_call_finished`
/// `{id, name, isError, durationMs}` around each tool; `action_pending` `{action}`; then
/// `completed` with the answer as the plain call returns it, or `failed` with the error body.
/// Errors found before the turn starts are plain error responses. Closing the stream stops the
/// turn as `POST /api/v2/admin/aim/conversations/{id}/cancel` does.
///
/// With an `Idempotency-Key`, the request is safe to send again: a repeat with the same key and
/// body within a day is answered from the first turn (`Idempotent-Replayed: true`) instead of
/// running a second one, and is 409 `idempotency_key_in_use` while the first is still running.
#[utoipa::path(post, path = "/api/v2/admin/aim/chat", tag = "chat", request_body = ChatBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 255 visible ASCII characters (a UUID, say): a repeat with the same key and body gets the first turn's answer")),
    responses((status = 200, content((ChatAnswer = "application/json"), (String = "text/event-stream")), description = "the answer; with `Accept: text/event-stream` the turn's events"),
        (status = 401, description = "no valid token", body = ErrorBody), (status = 400, description = "malformed request: an id that is no UUID, a body that is not JSON, an unknown cursor", body = ErrorBody), (status = 404, description = "not the caller's conversation", body = ErrorBody),
        (status = 409, description = "a request with the same Idempotency-Key is still being answered", body = ErrorBody),
        (status = 422, description = "bad message or Idempotency-Key", body = ErrorBody), (status = 429, description = "too many messages in a minute", body = ErrorBody),
        (status = 502, description = "the model failed", body = ErrorBody)))]
async fn chat(
    State(state): State<AppState>,
    Staff(caller): Staff,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ChatBody>,
) -> Result<Response, ApiError> {
    let conversation_id = body.conversation_id()?;
    let key = idempotency_key(&headers)?;
    let actor = caller.actor();
    if !wants_event_stream(&headers) {
        let out = state
            .aim
            .chat_keyed(&actor, &body.message, conversation_id, key.as_ref())
            .await?;
        let replayed = out.replayed;
        let mut response = ApiJson(ChatAnswer::from(out)).into_response();
        if replayed {
            response
                .headers_mut()
                .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
        }
        return Ok(response);
    }
    let request_id = current_request_id();
    let events = state
        .aim
        .chat_stream_keyed(&actor, &body.message, conversation_id, key.as_ref())
        .await?
        .map(move |event| Ok::<_, Infallible>(sse_event(event, &request_id)));
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response())
}

/// The request header that makes a chat request safe to send again.
const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// The response header of an answer given again for a repeated `Idempotency-Key`.
const IDEMPOTENT_REPLAYED: header::HeaderName =
    header::HeaderName::from_static("idempotent-replayed");

/// The request's `Idempotency-Key`, checked, when it sent one.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<IdempotencyKey>, ApiError> {
    const FIELD: &str = "Idempotency-Key";
    let Some(value) = headers.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    // Bytes that are not visible ASCII get the same answer as any other bad key.
    let key = value.to_str().unwrap_or_default();
    Ok(Some(IdempotencyKey::parse(key, FIELD)?))
}

/// A streamed turn's event as a server-sent event: its name and JSON data.
fn sse_event(event: Result<ChatEvent, crate::aim::AimError>, request_id: &str) -> Event {
    let (name, data) = match event {
        Ok(ChatEvent::Started { conversation_id }) => {
            ("started", json!({ "conversationId": conversation_id }))
        }
        Ok(ChatEvent::TextDelta { text }) => ("text_delta", json!({ "text": text })),
        Ok(ChatEvent::ToolCallStarted { id, name, input }) => (
            "tool_call_started",
            json!({ "id": id, "name": name, "input": input }),
        ),
        Ok(ChatEvent::ToolCallFinished {
            id,
            name,
            is_error,
            duration_ms,
        }) => (
            "tool_call_finished",
            json!({ "id": id, "name": name, "isError": is_error, "durationMs": duration_ms }),
        ),
        Ok(ChatEvent::ActionPending { action }) => (
            "action_pending",
            json!({ "action": ActionJson::from(action) }),
        ),
        Ok(ChatEvent::Completed { output }) => ("completed", json!(ChatAnswer::from(output))),
        Err(error) => ("failed", ApiError::from(error).body(request_id)),
    };
    Event::default().event(name).data(data.to_string())
}

/// What `POST /api/v2/admin/aim/conversations/{id}/cancel` answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct CancelAnswer {
    /// A turn was running in the conversation and is stopping; false when none was.
    pub cancelled: bool,
}

/// `POST /api/v2/admin/aim/conversations/{id}/cancel`: stops AIM's turn running in the
/// caller's conversation. The model call is dropped and no further tool starts; the answer is
/// stored with what was said by then, marked `cancelled`, and the turn's own request ends with
/// it.
#[utoipa::path(post, path = "/api/v2/admin/aim/conversations/{id}/cancel", tag = "chat", params(("id" = String, Path, format = Uuid, description = "conversation id")),
    responses((status = 200, body = CancelAnswer), (status = 401, description = "no valid token", body = ErrorBody), (status = 400, description = "malformed request: an id that is no UUID, a body that is not JSON, an unknown cursor", body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn cancel_chat(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
) -> Result<ApiJson<CancelAnswer>, ApiError> {
    let id = parse_id("id", &id)?;
    let cancelled = state.aim.cancel_chat(&caller.actor(), id).await?;
    Ok(ApiJson(CancelAnswer { cancelled }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Conversations per page, 1–100 (default 20).
    limit: Option<String>,
    /// The next page's cursor, from the `Link` header.
    cursor: Option<String>,
    /// `active` (default), `archived` or `all`.
    status: Option<String>,
}

/// A checked conversations list request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConversationsRequest {
    pub limit: i64,
    pub after: Option<Position>,
    /// `None`: every status.
    pub status: Option<ConversationStatus>,
}

impl ConversationsRequest {
    /// The request a query string (without `?`) asks for; a bad value is refused naming its
    /// parameter.
    pub fn from_query(query: &str) -> Result<ConversationsRequest, ApiError> {
        let params: ListParams =
            serde_urlencoded::from_str(query).map_err(|e| ApiError::BadRequest {
                field: None,
                message: format!("Failed to deserialize query string: {e}"),
            })?;
        let limit = match params.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(text) => match text.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::invalid(
                        "limit",
                        format!("limit must be a whole number from 1 to {MAX_LIMIT}"),
                    ));
                }
            },
        };
        let after = params
            .cursor
            .as_deref()
            .map(|text| {
                Position::decode(text, CONVERSATIONS).ok_or_else(|| ApiError::BadRequest {
                    field: Some("cursor".to_owned()),
                    message: "cursor: not a cursor this server handed out".to_owned(),
                })
            })
            .transpose()?;
        let status = match params.status.as_deref() {
            None => Some(ConversationStatus::Active),
            Some("all") => None,
            Some(text) => Some(
                text.parse::<ConversationStatus>()
                    .map_err(|e| ApiError::invalid("status", format!("{e}, or all")))?,
            ),
        };
        Ok(ConversationsRequest {
            limit,
            after,
            status,
        })
    }

    /// The `Link` to the page after the conversation at `end`, with the same limit and status.
    pub fn next_link(&self, end: Position) -> String {
        let cursor = end.encode(CONVERSATIONS);
        let status = self.status.map_or("all", ConversationStatus::as_str);
        format!(
            "</api/v2/admin/aim/conversations?limit={}&cursor={cursor}&status={status}>; rel=\"next\"",
            self.limit
        )
    }
}

/// `GET /api/v2/admin/aim/conversations?limit=20&cursor=&status=active`: the caller's
/// conversations, most recently used first; `Link: <…>; rel="next"` when there are more.
#[utoipa::path(get, path = "/api/v2/admin/aim/conversations", tag = "chat", params(ListParams),
    responses((status = 200, body = Vec<ConversationJson>, headers(("link" = String, description = "`<…>; rel=\"next\"` when there are more"))), (status = 401, description = "no valid token", body = ErrorBody), (status = 400, description = "malformed request: an id that is no UUID, a body that is not JSON, an unknown cursor", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn list_conversations(
    State(state): State<AppState>,
    Staff(caller): Staff,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let request = ConversationsRequest::from_query(query.as_deref().unwrap_or_default())?;
    let ConversationsRequest {
        limit,
        after,
        status,
    } = request;

    let mut rows = state
        .aim
        .conversations(
            &caller.actor(),
            status,
            after.map(|c| (c.at, ConversationId(c.id))),
            limit + 1,
        )
        .await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let next = rows
        .last()
        .filter(|_| more)
        .map(|last| request.next_link(Position::new(last.updated_at, last.id.0)));
    let list: Vec<ConversationJson> = rows.into_iter().map(Into::into).collect();
    let mut response = ApiJson(list).into_response();
    if let Some(link) = next
        && let Ok(value) = HeaderValue::from_str(&link)
    {
        response.headers_mut().insert(header::LINK, value);
    }
    Ok(response)
}

/// `GET /api/v2/admin/aim/conversations/{id}`: the caller's conversation (archived too) with
/// every message, oldest first.
#[utoipa::path(get, path = "/api/v2/admin/aim/conversations/{id}", tag = "chat", params(("id" = String, Path, format = Uuid, description = "conversation id")),
    responses((status = 200, body = ConversationDetail), (status = 401, description = "no valid token", body = ErrorBody), (status = 400, description = "malformed request: an id that is no UUID, a body that is not JSON, an unknown cursor", body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_conversation(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
) -> Result<ApiJson<ConversationDetail>, ApiError> {
    let id: ConversationId = parse_id("id", &id)?;
    let actor = caller.actor();
    let actions = state.aim.actions_of(&actor, id).await?;
    let (conversation, messages) = state.aim.conversation_with_messages(&actor, id).await?;
    Ok(ApiJson(ConversationDetail {
        conversation: conversation.into(),
        messages: messages.into_iter().map(Into::into).collect(),
        actions: actions.into_iter().map(Into::into).collect(),
    }))
}

/// `DELETE /api/v2/admin/aim/conversations/{id}`: archives it and answers with it.
#[utoipa::path(delete, path = "/api/v2/admin/aim/conversations/{id}", tag = "chat", params(("id" = String, Path, format = Uuid, description = "conversation id")),
    responses((status = 200, body = ConversationJson), (status = 401, description = "no valid token", body = ErrorBody), (status = 400, description = "malformed request: an id that is no UUID, a body that is not JSON, an unknown cursor", body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn archive_conversation(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
) -> Result<ApiJson<ConversationJson>, ApiError> {
    let id = parse_id("id", &id)?;
    let row = state.aim.archive_conversation(&caller.actor(), id).await?;
    Ok(ApiJson(row.into()))
}

/// `GET /api/v2/admin/aim/actions/{id}`.
#[utoipa::path(get, path = "/api/v2/admin/aim/actions/{id}", tag = "chat", params(("id" = String, Path, format = Uuid, description = "action id")),
    responses((status = 200, body = ActionJson), (status = 401, description = "no valid token", body = ErrorBody), (status = 400, description = "malformed request: an id that is no UUID, a body that is not JSON, an unknown cursor", body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn get_action(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
) -> Result<ApiJson<ActionJson>, ApiError> {
    let id = parse_id("id", &id)?;
    Ok(ApiJson(state.aim.action(&caller.actor(), id).await?.into()))
}

/// `POST /api/v2/admin/aim/actions/{id}/confirm`: executes it once; repeating answers the same.
#[utoipa::path(post, path = "/api/v2/admin/aim/actions/{id}/confirm", tag = "chat", params(("id" = String, Path, format = Uuid, description = "action id")),
    responses((status = 200, body = ActionJson), (status = 401, description = "no valid token", body = ErrorBody), (status = 400, description = "malformed request: an id that is no UUID, a body that is not JSON, an unknown cursor", body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "cancelled or expired", body = ErrorBody)))]
async fn confirm_action(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
) -> Result<ApiJson<ActionJson>, ApiError> {
    let id = parse_id("id", &id)?;
    Ok(ApiJson(
        state.aim.confirm_action(&caller.actor(), id).await?.into(),
    ))
}

/// `POST /api/v2/admin/aim/actions/{id}/cancel`.
#[utoipa::path(post, path = "/api/v2/admin/aim/actions/{id}/cancel", tag = "chat", params(("id" = String, Path, format = Uuid, description = "action id")),
    responses((status = 200, body = ActionJson), (status = 401, description = "no valid token", body = ErrorBody), (status = 400, description = "malformed request: an id that is no UUID, a body that is not JSON, an unknown cursor", body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, description = "already executed or expired", body = ErrorBody)))]
async fn cancel_action(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
) -> Result<ApiJson<ActionJson>, ApiError> {
    let id = parse_id("id", &id)?;
    Ok(ApiJson(
        state.aim.cancel_action(&caller.actor(), id).await?.into(),
    ))
}
