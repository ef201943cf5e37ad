//! REST shims of the chat: `POST /api/v2/admin/aim/chat`, the caller's conversations, and the
//! actions AIM proposed. The same services as the GraphQL resolvers; camelCase JSON with the
//! original design's field names.

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::aim::actions::ActionView;
use crate::aim::chat::ChatOutput;
use crate::api::AppState;
use crate::api::auth::Staff;
use crate::api::cursor::Cursor;
use crate::api::error::{ApiError, ApiJson};
use crate::db::aim::{ConversationRow, MessageRow};
use crate::db::{self};
use crate::domain::*;

/// Conversations per page when the client does not say.
const DEFAULT_LIMIT: i64 = 20;
/// Most conversations per page.
const MAX_LIMIT: i64 = 100;
/// Messages read per query when a conversation is shown whole.
const MESSAGE_BATCH: i64 = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v2/admin/aim/chat", post(chat))
        .route("/api/v2/admin/aim/conversations", get(list_conversations))
        .route(
            "/api/v2/admin/aim/conversations/{id}",
            get(get_conversation).delete(archive_conversation),
        )
        .route("/api/v2/admin/aim/actions/{id}", get(get_action))
        .route(
            "/api/v2/admin/aim/actions/{id}/confirm",
            post(confirm_action),
        )
        .route("/api/v2/admin/aim/actions/{id}/cancel", post(cancel_action))
}

/// `POST /api/v2/admin/aim/chat`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChatBody {
    pub message: String,
    /// Continue this conversation; a new one starts without it.
    pub conversation_id: Option<String>,
}

/// What a chat turn answers: `AimChatOutput`, plus the actions it proposed when any.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatAnswer {
    pub response_text: String,
    pub conversation_id: ConversationId,
    pub tools_used: Vec<String>,
    pub model_used: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub pending_actions: Vec<ActionView>,
    pub message_id: MessageId,
}

impl From<ChatOutput> for ChatAnswer {
    fn from(out: ChatOutput) -> Self {
        ChatAnswer {
            response_text: out.response_text,
            conversation_id: out.conversation_id,
            tools_used: out.tools_used,
            model_used: out.model_used,
            pending_actions: out.pending_actions,
            message_id: out.message_id,
        }
    }
}

/// A conversation as listed (the original design's `AimConversation`, with token totals).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationJson {
    pub id: ConversationId,
    pub staff_user_id: StaffUserId,
    pub title: Option<String>,
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
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageJson {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub role: MessageRole,
    pub content: String,
    /// Each call: `id`, `name`, `input`, `output`, `isError`, `durationMs`, `round`.
    pub tool_calls: Option<Value>,
    pub model_used: Option<String>,
    pub created_at: DateTime<Utc>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cache_read_tokens: Option<i64>,
    pub cache_write_tokens: Option<i64>,
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
        }
    }
}

/// A conversation with its messages (oldest first) and the actions proposed in it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationDetail {
    #[serde(flatten)]
    pub conversation: ConversationJson,
    pub messages: Vec<MessageJson>,
    pub actions: Vec<ActionView>,
}

fn parse_id<T: std::str::FromStr>(field: &str, text: &str) -> Result<T, ApiError> {
    text.trim().parse().map_err(|_| ApiError::BadRequest {
        field: Some(field.to_owned()),
        message: format!("{field}: `{text}` is not a valid id (a UUID)"),
    })
}

async fn chat(
    State(state): State<AppState>,
    Staff(caller): Staff,
    ApiJson(body): ApiJson<ChatBody>,
) -> Result<ApiJson<ChatAnswer>, ApiError> {
    let conversation_id = body
        .conversation_id
        .as_deref()
        .map(|id| parse_id::<ConversationId>("conversationId", id))
        .transpose()?;
    let out = state
        .aim
        .chat(&caller.actor(), &body.message, conversation_id)
        .await?;
    Ok(ApiJson(out.into()))
}

#[derive(Debug, Deserialize)]
pub struct ListParams {
    limit: Option<String>,
    cursor: Option<String>,
    status: Option<String>,
}

/// `GET /api/v2/admin/aim/conversations?limit=20&cursor=&status=active`: the caller's
/// conversations, most recently used first; `Link: <…>; rel="next"` when there are more.
async fn list_conversations(
    State(state): State<AppState>,
    Staff(caller): Staff,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::BadRequest {
        field: None,
        message: e.body_text(),
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
            Cursor::decode(text).ok_or_else(|| ApiError::BadRequest {
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

    let mut conn = state.db.conn().await?;
    let mut rows = db::aim::conversations_of(
        &mut conn,
        caller.staff.id,
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
        .map(|last| Cursor::new(last.updated_at, last.id.0).encode());
    let list: Vec<ConversationJson> = rows.into_iter().map(Into::into).collect();
    let mut response = ApiJson(list).into_response();
    if let Some(cursor) = next {
        let mut link = format!("</api/v2/admin/aim/conversations?limit={limit}&cursor={cursor}");
        if let Some(status) = &params.status {
            link.push_str(&format!("&status={status}"));
        }
        link.push_str(">; rel=\"next\"");
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert(header::LINK, value);
        }
    }
    Ok(response)
}

/// `GET /api/v2/admin/aim/conversations/{id}`: the caller's conversation (archived too) with
/// every message, oldest first.
async fn get_conversation(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
) -> Result<ApiJson<ConversationDetail>, ApiError> {
    let id: ConversationId = parse_id("id", &id)?;
    let actor = caller.actor();
    let actions = state.aim.actions_of(&actor, id).await?;
    let mut conn = state.db.conn().await?;
    let conversation = db::aim::find_conversation(&mut conn, id)
        .await?
        .filter(|c| c.staff_user_id == actor.staff_user_id)
        .ok_or_else(|| ApiError::NotFound(format!("no conversation with id {id}")))?;
    let mut messages: Vec<MessageRow> = Vec::new();
    loop {
        let after = messages.last().map(|m| (m.created_at, m.id));
        let batch = db::aim::messages_of(&mut conn, id, after, MESSAGE_BATCH).await?;
        let done = (batch.len() as i64) < MESSAGE_BATCH;
        messages.extend(batch);
        if done {
            break;
        }
    }
    Ok(ApiJson(ConversationDetail {
        conversation: conversation.into(),
        messages: messages.into_iter().map(Into::into).collect(),
        actions,
    }))
}

/// `DELETE /api/v2/admin/aim/conversations/{id}`: archives it and answers with it.
async fn archive_conversation(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
) -> Result<ApiJson<ConversationJson>, ApiError> {
    let id = parse_id("id", &id)?;
    let row = state.aim.archive_conversation(&caller.actor(), id).await?;
    Ok(ApiJson(row.into()))
}

async fn get_action(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
) -> Result<ApiJson<ActionView>, ApiError> {
    let id = parse_id("id", &id)?;
    Ok(ApiJson(state.aim.action(&caller.actor(), id).await?))
}

/// `POST /api/v2/admin/aim/actions/{id}/confirm`: executes it once; repeating answers the same.
async fn confirm_action(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
) -> Result<ApiJson<ActionView>, ApiError> {
    let id = parse_id("id", &id)?;
    Ok(ApiJson(
        state.aim.confirm_action(&caller.actor(), id).await?,
    ))
}

/// `POST /api/v2/admin/aim/actions/{id}/cancel`.
async fn cancel_action(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
) -> Result<ApiJson<ActionView>, ApiError> {
    let id = parse_id("id", &id)?;
    Ok(ApiJson(state.aim.cancel_action(&caller.actor(), id).await?))
}
