//! AIM's chat records: conversations, their messages with token usage, and pending actions.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use super::{AsConn, DbResult, on_conn};
use crate::domain::*;

/// Tokens spent by model calls, as stored (non-negative, fits `BIGINT`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct TokenCounts {
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cache_read_tokens: i64,
    pub cache_write_tokens: i64,
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct ConversationRow {
    pub id: ConversationId,
    pub staff_user_id: StaffUserId,
    pub title: Option<String>,
    pub status: ConversationStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[sqlx(flatten)]
    pub tokens: TokenCounts,
}

/// The columns of a row, in the order its struct reads them.
macro_rules! conversation_columns {
    () => {
        "id, staff_user_id, title, status, created_at, updated_at, \
     input_tokens, output_tokens, cache_read_tokens, cache_write_tokens"
    };
}

pub async fn insert_conversation(
    c: &mut impl AsConn,
    id: ConversationId,
    staff_user_id: StaffUserId,
    title: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    const SQL: &str = "INSERT INTO aim_conversations (id, staff_user_id, title, status, created_at, updated_at) \
                       VALUES ($1, $2, $3, 'active', $4, $4)";
    on_conn!(c, |conn| sqlx::query(SQL)
        .bind(id)
        .bind(staff_user_id)
        .bind(title)
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn find_conversation(
    c: &mut impl AsConn,
    id: ConversationId,
) -> DbResult<Option<ConversationRow>> {
    const SQL: &str = concat!(
        "SELECT ",
        conversation_columns!(),
        " FROM aim_conversations WHERE id = $1"
    );
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(id)
        .fetch_optional(conn)
        .await)?)
}

/// A staff user's conversations, most recently used first, optionally of one status and
/// after a position `(updated_at, id)` of an earlier page.
pub async fn conversations_of(
    c: &mut impl AsConn,
    staff_user_id: StaffUserId,
    status: Option<ConversationStatus>,
    after: Option<(DateTime<Utc>, ConversationId)>,
    limit: i64,
) -> DbResult<Vec<ConversationRow>> {
    const SQL: &str = concat!(
        "SELECT ",
        conversation_columns!(),
        " FROM aim_conversations WHERE staff_user_id = $1 AND ($2 IS NULL OR status = $2) \
         AND ($3 IS NULL OR updated_at < $3 OR (updated_at = $3 AND id < $4)) \
         ORDER BY updated_at DESC, id DESC LIMIT $5"
    );
    let (after_at, after_id) = after.unzip();
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(staff_user_id)
        .bind(status)
        .bind(after_at)
        .bind(after_id)
        .bind(limit)
        .fetch_all(conn)
        .await)?)
}

/// Marks the conversation as used at `now` and adds `tokens` to its totals.
pub async fn touch_conversation(
    c: &mut impl AsConn,
    id: ConversationId,
    now: DateTime<Utc>,
    tokens: TokenCounts,
) -> DbResult<()> {
    const SQL: &str = "UPDATE aim_conversations SET updated_at = $2, \
                       input_tokens = input_tokens + $3, output_tokens = output_tokens + $4, \
                       cache_read_tokens = cache_read_tokens + $5, cache_write_tokens = cache_write_tokens + $6 \
                       WHERE id = $1";
    on_conn!(c, |conn| sqlx::query(SQL)
        .bind(id)
        .bind(now)
        .bind(tokens.input_tokens)
        .bind(tokens.output_tokens)
        .bind(tokens.cache_read_tokens)
        .bind(tokens.cache_write_tokens)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Marks the conversation archived; returns whether it was active.
pub async fn archive_conversation(
    c: &mut impl AsConn,
    id: ConversationId,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    const SQL: &str = "UPDATE aim_conversations SET status = 'archived', updated_at = $2 \
                       WHERE id = $1 AND status = 'active'";
    let n = on_conn!(c, |conn| sqlx::query(SQL)
        .bind(id)
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct MessageRow {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub role: MessageRole,
    pub content: String,
    pub tool_calls: Option<Json<Value>>,
    pub model_used: Option<String>,
    pub created_at: DateTime<Utc>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub cache_read_tokens: Option<i64>,
    pub cache_write_tokens: Option<i64>,
    /// The staff user stopped the turn; the content is what was said by then.
    pub cancelled: bool,
}

/// The columns of a row, in the order its struct reads them.
macro_rules! message_columns {
    () => {
        "id, conversation_id, role, content, tool_calls, model_used, created_at, \
     input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cancelled"
    };
}

/// A message about to be stored; assistant messages carry tool calls, model and usage.
#[derive(Clone, Debug)]
pub struct NewMessage<'a> {
    pub id: MessageId,
    pub conversation_id: ConversationId,
    pub role: MessageRole,
    pub content: &'a str,
    pub tool_calls: Option<&'a Value>,
    pub model_used: Option<&'a str>,
    pub tokens: Option<TokenCounts>,
    pub created_at: DateTime<Utc>,
    /// The turn was stopped before it finished.
    pub cancelled: bool,
}

pub async fn insert_message(c: &mut impl AsConn, m: &NewMessage<'_>) -> DbResult<()> {
    const SQL: &str = "INSERT INTO aim_messages (id, conversation_id, role, content, tool_calls, model_used, created_at, \
                       input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cancelled) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    let tokens = m.tokens;
    on_conn!(c, |conn| sqlx::query(SQL)
        .bind(m.id)
        .bind(m.conversation_id)
        .bind(m.role)
        .bind(m.content)
        .bind(m.tool_calls.map(Json))
        .bind(m.model_used)
        .bind(m.created_at)
        .bind(tokens.map(|t| t.input_tokens))
        .bind(tokens.map(|t| t.output_tokens))
        .bind(tokens.map(|t| t.cache_read_tokens))
        .bind(tokens.map(|t| t.cache_write_tokens))
        .bind(m.cancelled)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The conversation's newest `limit` messages, newest first.
pub async fn recent_messages(
    c: &mut impl AsConn,
    conversation_id: ConversationId,
    limit: i64,
) -> DbResult<Vec<MessageRow>> {
    const SQL: &str = concat!(
        "SELECT ",
        message_columns!(),
        " FROM aim_messages WHERE conversation_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    );
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(conversation_id)
        .bind(limit)
        .fetch_all(conn)
        .await)?)
}

/// A conversation's messages oldest first, after a position `(created_at, id)` of an earlier
/// page.
pub async fn messages_of(
    c: &mut impl AsConn,
    conversation_id: ConversationId,
    after: Option<(DateTime<Utc>, MessageId)>,
    limit: i64,
) -> DbResult<Vec<MessageRow>> {
    const SQL: &str = concat!(
        "SELECT ",
        message_columns!(),
        " FROM aim_messages WHERE conversation_id = $1 \
         AND ($2 IS NULL OR created_at > $2 OR (created_at = $2 AND id > $3)) \
         ORDER BY created_at, id LIMIT $4"
    );
    let (after_at, after_id) = after.unzip();
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(conversation_id)
        .bind(after_at)
        .bind(after_id)
        .bind(limit)
        .fetch_all(conn)
        .await)?)
}

/// The first `limit` messages (oldest first) of each of several conversations, in one query:
/// what a page of conversations with their messages loads at once.
pub async fn first_messages_of_many(
    c: &mut impl AsConn,
    conversation_ids: &[ConversationId],
    limit: i64,
) -> DbResult<Vec<MessageRow>> {
    if conversation_ids.is_empty() {
        return Ok(Vec::new());
    }
    // Built from a column list and a count of placeholders only; values are bound.
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM (SELECT m.*, ROW_NUMBER() OVER \
         (PARTITION BY conversation_id ORDER BY created_at, id) AS n \
         FROM aim_messages m WHERE conversation_id IN ({})) ranked \
         WHERE n <= $1 ORDER BY conversation_id, created_at, id",
        message_columns!(),
        super::placeholders(2, conversation_ids.len())
    ));
    Ok(on_conn!(c, |conn| {
        let mut query = sqlx::query_as(sql).bind(limit);
        for id in conversation_ids {
            query = query.bind(*id);
        }
        query.fetch_all(conn).await
    })?)
}

#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct ActionRow {
    pub id: ActionId,
    pub conversation_id: ConversationId,
    pub staff_user_id: StaffUserId,
    pub tool_use_id: String,
    pub tool: ActionTool,
    pub input: Json<Value>,
    pub summary: String,
    pub status: ActionStatus,
    pub result: Option<Json<Value>>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// The columns of a row, in the order its struct reads them.
macro_rules! action_columns {
    () => {
        "id, conversation_id, staff_user_id, tool_use_id, tool, input, summary, status, \
     result, error, created_at, expires_at, decided_at, completed_at"
    };
}

pub async fn insert_action(c: &mut impl AsConn, a: &ActionRow) -> DbResult<()> {
    const SQL: &str = "INSERT INTO aim_actions (id, conversation_id, staff_user_id, tool_use_id, tool, input, summary, \
                       status, result, error, created_at, expires_at, decided_at, completed_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)";
    on_conn!(c, |conn| sqlx::query(SQL)
        .bind(a.id)
        .bind(a.conversation_id)
        .bind(a.staff_user_id)
        .bind(&a.tool_use_id)
        .bind(a.tool)
        .bind(&a.input)
        .bind(&a.summary)
        .bind(a.status)
        .bind(&a.result)
        .bind(&a.error)
        .bind(a.created_at)
        .bind(a.expires_at)
        .bind(a.decided_at)
        .bind(a.completed_at)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn find_action(c: &mut impl AsConn, id: ActionId) -> DbResult<Option<ActionRow>> {
    const SQL: &str = concat!(
        "SELECT ",
        action_columns!(),
        " FROM aim_actions WHERE id = $1"
    );
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(id)
        .fetch_optional(conn)
        .await)?)
}

/// The conversation's newest `limit` actions, newest first.
pub async fn actions_of_conversation(
    c: &mut impl AsConn,
    conversation_id: ConversationId,
    limit: i64,
) -> DbResult<Vec<ActionRow>> {
    const SQL: &str = concat!(
        "SELECT ",
        action_columns!(),
        " FROM aim_actions WHERE conversation_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
    );
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(conversation_id)
        .bind(limit)
        .fetch_all(conn)
        .await)?)
}

/// The newest `limit` actions (newest first) of each of several conversations, in one query:
/// what a page of conversations with their actions loads at once.
pub async fn actions_of_many(
    c: &mut impl AsConn,
    conversation_ids: &[ConversationId],
    limit: i64,
) -> DbResult<Vec<ActionRow>> {
    if conversation_ids.is_empty() {
        return Ok(Vec::new());
    }
    // Built from a column list and a count of placeholders only; values are bound.
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {} FROM (SELECT a.*, ROW_NUMBER() OVER \
         (PARTITION BY conversation_id ORDER BY created_at DESC, id DESC) AS n \
         FROM aim_actions a WHERE conversation_id IN ({})) ranked \
         WHERE n <= $1 ORDER BY conversation_id, created_at DESC, id DESC",
        action_columns!(),
        super::placeholders(2, conversation_ids.len())
    ));
    Ok(on_conn!(c, |conn| {
        let mut query = sqlx::query_as(sql).bind(limit);
        for id in conversation_ids {
            query = query.bind(*id);
        }
        query.fetch_all(conn).await
    })?)
}

/// Marks a pending action whose time is up as expired; returns whether it was.
pub async fn expire_action(
    c: &mut impl AsConn,
    id: ActionId,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    const SQL: &str = "UPDATE aim_actions SET status = 'expired', decided_at = expires_at \
                       WHERE id = $1 AND status = 'pending' AND expires_at <= $2";
    let n = on_conn!(c, |conn| sqlx::query(SQL)
        .bind(id)
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Moves a pending, unexpired action to `to` (confirmed or cancelled) at `now`. Returns
/// whether this call made the move: of two racing callers, exactly one does.
pub async fn decide_action(
    c: &mut impl AsConn,
    id: ActionId,
    to: ActionStatus,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    const SQL: &str = "UPDATE aim_actions SET status = $2, decided_at = $3 \
                       WHERE id = $1 AND status = 'pending' AND expires_at > $3";
    let n = on_conn!(c, |conn| sqlx::query(SQL)
        .bind(id)
        .bind(to)
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Records how a confirmed action ended: `executed` with its result or `failed` with why.
pub async fn complete_action(
    c: &mut impl AsConn,
    id: ActionId,
    status: ActionStatus,
    result: Option<&Value>,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    const SQL: &str = "UPDATE aim_actions SET status = $2, result = $3, error = $4, completed_at = $5 \
                       WHERE id = $1 AND status = 'confirmed'";
    on_conn!(c, |conn| sqlx::query(SQL)
        .bind(id)
        .bind(status)
        .bind(result.map(Json))
        .bind(error)
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A chat turn started with an idempotency key, with the question it stored.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct ChatRequestRow {
    pub staff_user_id: StaffUserId,
    pub idempotency_key: String,
    pub conversation_id: ConversationId,
    pub question_id: MessageId,
    /// The request named no conversation and started this one.
    pub new_conversation: bool,
    pub state: ChatRequestState,
    pub answer_id: Option<MessageId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The stored question's text.
    pub question: String,
}

/// Records the key of a turn whose question `question_id` is being stored (in the same
/// transaction). A key already taken is a `UniqueViolation`.
pub async fn insert_chat_request(
    c: &mut impl AsConn,
    staff_user_id: StaffUserId,
    key: &str,
    conversation_id: ConversationId,
    question_id: MessageId,
    new_conversation: bool,
    now: DateTime<Utc>,
) -> DbResult<()> {
    const SQL: &str = "INSERT INTO aim_chat_requests (staff_user_id, idempotency_key, conversation_id, \
                       question_id, new_conversation, state, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, 'running', $6, $6)";
    on_conn!(c, |conn| sqlx::query(SQL)
        .bind(staff_user_id)
        .bind(key)
        .bind(conversation_id)
        .bind(question_id)
        .bind(new_conversation)
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// The staff user's turn started with `key`, if there is one.
pub async fn find_chat_request(
    c: &mut impl AsConn,
    staff_user_id: StaffUserId,
    key: &str,
) -> DbResult<Option<ChatRequestRow>> {
    const SQL: &str = "SELECT r.staff_user_id, r.idempotency_key, r.conversation_id, r.question_id, \
                       r.new_conversation, r.state, r.answer_id, r.created_at, r.updated_at, \
                       m.content AS question \
                       FROM aim_chat_requests r JOIN aim_messages m ON m.id = r.question_id \
                       WHERE r.staff_user_id = $1 AND r.idempotency_key = $2";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(staff_user_id)
        .bind(key)
        .fetch_optional(conn)
        .await)?)
}

/// Moves a keyed turn from the state `from` last written at `seen` to `to` (with its answer,
/// once answered). Returns whether this call made the move: of two racing callers, exactly
/// one does.
pub async fn move_chat_request(
    c: &mut impl AsConn,
    row: &ChatRequestRow,
    to: ChatRequestState,
    answer_id: Option<MessageId>,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    const SQL: &str = "UPDATE aim_chat_requests SET state = $3, answer_id = $4, updated_at = $5 \
                       WHERE staff_user_id = $1 AND idempotency_key = $2 AND state = $6 AND updated_at = $7";
    let n = on_conn!(c, |conn| sqlx::query(SQL)
        .bind(row.staff_user_id)
        .bind(&row.idempotency_key)
        .bind(to)
        .bind(answer_id)
        .bind(now)
        .bind(row.state)
        .bind(row.updated_at)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Forgets the staff user's keys used before `before`.
pub async fn forget_chat_requests(
    c: &mut impl AsConn,
    staff_user_id: StaffUserId,
    before: DateTime<Utc>,
) -> DbResult<u64> {
    const SQL: &str = "DELETE FROM aim_chat_requests WHERE staff_user_id = $1 AND created_at < $2";
    Ok(on_conn!(c, |conn| sqlx::query(SQL)
        .bind(staff_user_id)
        .bind(before)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?)
}

/// One message by id.
pub async fn find_message(c: &mut impl AsConn, id: MessageId) -> DbResult<Option<MessageRow>> {
    const SQL: &str = concat!(
        "SELECT ",
        message_columns!(),
        " FROM aim_messages WHERE id = $1"
    );
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(id)
        .fetch_optional(conn)
        .await)?)
}
