//! Chat with AIM over GraphQL: conversations and their messages as Relay connections, chat
//! turns, and the actions AIM proposes for confirmation.
//!
//! Only the caller's own conversations and actions exist here: another staff user's
//! conversation reads as `null` and mutations on it answer `not_found`.

use async_graphql::{Context, Enum, ID, InputObject, Json, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::connection::{self, Cursor, connection, fetch_limit, page_size};
use super::loaders::{ActionsLoader, FirstMessages, FirstMessagesLoader, StaffUserLoader};
use super::staff::StaffUser;
use super::{actor, data, gql_error, load_error, loader, parse_id};
use crate::aim::Aim;
use crate::aim::actions::ActionView;
use crate::aim::chat::{ChatOutput, ToolCallRecord};
use crate::aim::conversations::{ConversationRow, MessageRow};
use crate::aim::idempotency::IdempotencyKey;
use crate::api::error::ApiError;
use crate::domain::{self, ActionId, ConversationId, MessageId};

/// What conversation cursors are tagged with.
const CONVERSATIONS: &str = "conversation";
/// What message cursors are tagged with.
const MESSAGES: &str = "message";

/// Whether a conversation is still in use.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::ConversationStatus")]
pub enum AimConversationStatus {
    /// In use: takes new messages.
    Active,
    /// Put away by its owner: readable, takes no more messages.
    Archived,
}

/// Who wrote a message.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::MessageRole")]
pub enum AimMessageRole {
    /// The staff user.
    User,
    /// AIM.
    Assistant,
}

/// The write a proposed action performs.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::ActionTool")]
pub enum AimActionTool {
    /// Book dogs in for a service (`create_booking`).
    CreateBooking,
    /// Text a customer (`send_sms_to_customer`).
    SendSmsToCustomer,
}

/// Where a proposed action stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::ActionStatus")]
pub enum AimActionStatus {
    /// Waiting for its owner to confirm or cancel it.
    Pending,
    /// Confirmed and running.
    Confirmed,
    /// Cancelled by its owner; nothing was done.
    Cancelled,
    /// Done: `result` says what happened.
    Executed,
    /// Confirmed, but the facility refused it then: `error` says why.
    Failed,
    /// Not decided in time; nothing was done.
    Expired,
}

/// A conversation between a staff user and AIM.
pub struct AimConversation(ConversationRow);

connection!(
    /// A page of the caller's conversations, most recently used first.
    AimConversationConnection,
    AimConversationEdge,
    AimConversation
);

impl From<ConversationRow> for AimConversation {
    fn from(row: ConversationRow) -> Self {
        AimConversation(row)
    }
}

/// A conversation between a staff user and AIM.
#[Object]
impl AimConversation {
    /// The conversation's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// A title taken from the first message.
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }

    /// Whether it still takes messages.
    async fn status(&self) -> AimConversationStatus {
        self.0.status.into()
    }

    /// When it was started.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// When a message was last added (or it was archived): conversations are listed by it.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// The staff user who owns it.
    async fn staff_user(&self, ctx: &Context<'_>) -> Result<StaffUser> {
        loader::<StaffUserLoader>(ctx)?
            .load_one(self.0.staff_user_id)
            .await
            .map_err(load_error)?
            .map(StaffUser::from)
            .ok_or_else(|| {
                gql_error(ApiError::Internal(format!(
                    "staff user {} of conversation {} is missing",
                    self.0.staff_user_id, self.0.id
                )))
            })
    }

    /// Its messages, oldest first.
    async fn messages(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Messages on the page: 20 unless given, at most 100.")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; none for the first page.")]
        after: Option<String>,
    ) -> Result<AimMessageConnection> {
        let size = page_size(first).map_err(gql_error)?;
        let after = Cursor::after(after.as_deref(), MESSAGES).map_err(gql_error)?;
        let rows = match after {
            None => loader::<FirstMessagesLoader>(ctx)?
                .load_one(FirstMessages {
                    conversation_id: self.0.id,
                    limit: fetch_limit(size),
                })
                .await
                .map_err(load_error)?
                .unwrap_or_default(),
            // Later pages are read one conversation at a time: only the first page of many
            // conversations is asked for in one query.
            Some((at, id)) => data::<Aim>(ctx)?
                .messages(
                    &actor(ctx)?,
                    self.0.id,
                    Some((at, MessageId(id))),
                    fetch_limit(size),
                )
                .await
                .map_err(gql_error)?,
        };
        Ok(connection::page(
            rows,
            size,
            |m| Cursor::new(MESSAGES, m.created_at, m.id.0),
            AimMessage,
        ))
    }

    /// Input tokens spent on it so far.
    async fn input_tokens(&self) -> i64 {
        self.0.tokens.input_tokens
    }

    /// Output tokens spent on it so far.
    async fn output_tokens(&self) -> i64 {
        self.0.tokens.output_tokens
    }

    /// Input tokens read from the provider's prompt cache.
    async fn cache_read_tokens(&self) -> i64 {
        self.0.tokens.cache_read_tokens
    }

    /// Input tokens written to the provider's prompt cache.
    async fn cache_write_tokens(&self) -> i64 {
        self.0.tokens.cache_write_tokens
    }

    /// The actions AIM proposed in it, newest first (at most the 100 newest).
    async fn actions(&self, ctx: &Context<'_>) -> Result<Vec<AimAction>> {
        let rows = loader::<ActionsLoader>(ctx)?
            .load_one(self.0.id)
            .await
            .map_err(load_error)?
            .unwrap_or_default();
        let now = domain::now();
        Ok(rows
            .into_iter()
            .map(|row| ActionView::of(row, now).into())
            .collect())
    }
}

/// One message of a conversation.
pub struct AimMessage(MessageRow);

connection!(
    /// A page of a conversation's messages, oldest first.
    AimMessageConnection,
    AimMessageEdge,
    AimMessage
);

/// One message of a conversation: the staff user's question or AIM's answer.
#[Object]
impl AimMessage {
    /// The message's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// The conversation it belongs to.
    async fn conversation_id(&self) -> ID {
        ID(self.0.conversation_id.to_string())
    }

    /// Who wrote it.
    async fn role(&self) -> AimMessageRole {
        self.0.role.into()
    }

    /// Its text; for a stopped answer, what AIM had said by then.
    async fn content(&self) -> &str {
        &self.0.content
    }

    /// The staff user stopped this answer before AIM finished it.
    async fn cancelled(&self) -> bool {
        self.0.cancelled
    }

    /// The tools AIM called to write this answer, in call order; null when it called none
    /// (and on staff messages).
    async fn tool_calls(&self) -> Result<Option<Vec<AimToolCall>>> {
        let Some(stored) = &self.0.tool_calls else {
            return Ok(None);
        };
        let calls: Vec<ToolCallRecord> =
            serde_json::from_value(stored.0.clone()).map_err(|err| {
                gql_error(ApiError::Internal(format!(
                    "stored tool calls of message {} do not parse: {err}",
                    self.0.id
                )))
            })?;
        Ok(Some(calls.into_iter().map(AimToolCall::from).collect()))
    }

    /// The tool calls exactly as stored.
    async fn tool_calls_json(&self) -> Option<Json<Value>> {
        self.0.tool_calls.as_ref().map(|j| Json(j.0.clone()))
    }

    /// The model that wrote it (assistant messages; `aim-offline` without a model).
    async fn model_used(&self) -> Option<&str> {
        self.0.model_used.as_deref()
    }

    /// When it was written.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Input tokens its model calls used (assistant messages).
    async fn input_tokens(&self) -> Option<i64> {
        self.0.input_tokens
    }

    /// Output tokens its model calls used (assistant messages).
    async fn output_tokens(&self) -> Option<i64> {
        self.0.output_tokens
    }

    /// Input tokens read from the prompt cache (assistant messages).
    async fn cache_read_tokens(&self) -> Option<i64> {
        self.0.cache_read_tokens
    }

    /// Input tokens written to the prompt cache (assistant messages).
    async fn cache_write_tokens(&self) -> Option<i64> {
        self.0.cache_write_tokens
    }
}

/// A tool AIM called while answering.
#[derive(SimpleObject)]
pub struct AimToolCall {
    /// The model's id for the call.
    pub id: ID,
    /// The tool's name (`get_today_summary`, `create_booking`, …).
    pub name: String,
    /// The input the model gave.
    pub input: Json<Value>,
    /// What the tool returned (or its error), as the model saw it, cut to 4,000 characters.
    pub output: Json<Value>,
    /// Whether the tool failed; the model was told why.
    pub is_error: bool,
    /// How long the tool ran, in milliseconds.
    pub duration_ms: u64,
    /// The model round that asked for it, from 1.
    pub round: u32,
}

impl From<ToolCallRecord> for AimToolCall {
    fn from(c: ToolCallRecord) -> Self {
        AimToolCall {
            id: ID(c.id),
            name: c.name,
            input: Json(c.input),
            output: Json(c.output),
            is_error: c.is_error,
            duration_ms: c.duration_ms,
            round: c.round,
        }
    }
}

/// A write AIM proposed (a booking, a text message) that waits for the conversation's owner
/// to confirm or cancel it.
#[derive(SimpleObject)]
pub struct AimAction {
    /// The action's id, for `confirmAimAction` and `cancelAimAction`.
    pub id: ID,
    /// The conversation it was proposed in.
    pub conversation_id: ID,
    /// What it does.
    pub tool: AimActionTool,
    /// What it does, in a sentence for the staff user.
    pub summary: String,
    /// The tool input it will run with.
    pub input: Json<Value>,
    /// Where it stands.
    pub status: AimActionStatus,
    /// What it did, once executed (the booking, the message).
    pub result: Option<Json<Value>>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// When AIM proposed it.
    pub created_at: DateTime<Utc>,
    /// When it expires unless decided.
    pub expires_at: DateTime<Utc>,
    /// When it was confirmed, cancelled or expired.
    pub decided_at: Option<DateTime<Utc>>,
    /// When it finished running.
    pub completed_at: Option<DateTime<Utc>>,
}

impl From<ActionView> for AimAction {
    fn from(a: ActionView) -> Self {
        AimAction {
            id: ID(a.id.to_string()),
            conversation_id: ID(a.conversation_id.to_string()),
            tool: a.tool.into(),
            summary: a.summary,
            input: Json(a.input),
            status: a.status.into(),
            result: a.result.map(Json),
            error: a.error,
            created_at: a.created_at,
            expires_at: a.expires_at,
            decided_at: a.decided_at,
            completed_at: a.completed_at,
        }
    }
}

/// A message to AIM.
#[derive(InputObject)]
pub struct AimChatInput {
    /// What the staff user writes (at most 4,000 characters).
    pub message: String,
    /// The conversation to continue (the caller's, active); none starts a new one.
    pub conversation_id: Option<ID>,
    /// A key of the client's (1 to 255 visible ASCII characters, a UUID say) that makes the
    /// request safe to send again: a repeat with the same key and input within a day gets the
    /// first turn's answer instead of a second turn (`replayed`), or `idempotency_key_in_use`
    /// while the first is still running.
    pub idempotency_key: Option<String>,
}

impl AimChatInput {
    /// The conversation to continue, or an `invalid_input` error naming `conversationId`.
    pub(crate) fn conversation(&self) -> Result<Option<ConversationId>> {
        self.conversation_id
            .as_ref()
            .map(|id| parse_id::<ConversationId>("conversationId", id))
            .transpose()
            .map_err(gql_error)
    }

    /// The idempotency key, or an `invalid_input` error naming `idempotencyKey`.
    pub(crate) fn key(&self) -> Result<Option<IdempotencyKey>> {
        self.idempotency_key
            .as_deref()
            .map(|key| IdempotencyKey::parse(key, "idempotencyKey"))
            .transpose()
            .map_err(gql_error)
    }
}

/// AIM's answer to a message.
#[derive(SimpleObject)]
pub struct AimChatOutput {
    /// The answer's text.
    pub response_text: String,
    /// The conversation, new or continued.
    pub conversation_id: ID,
    /// The tools AIM called, in call order.
    pub tools_used: Vec<String>,
    /// The model that answered (`aim-offline` without a model).
    pub model_used: String,
    /// Actions proposed in this turn, waiting for confirmation.
    pub pending_actions: Vec<AimAction>,
    /// The stored answer's id.
    pub message_id: ID,
    /// The staff user stopped the turn (`cancelAimChat`, or the stream closed):
    /// `responseText` is what was said by then.
    pub cancelled: bool,
    /// This is the stored answer of an earlier request with the same `idempotencyKey`; no
    /// turn ran now.
    pub replayed: bool,
}

impl From<ChatOutput> for AimChatOutput {
    fn from(out: ChatOutput) -> Self {
        AimChatOutput {
            response_text: out.response_text,
            conversation_id: ID(out.conversation_id.to_string()),
            tools_used: out.tools_used,
            model_used: out.model_used,
            pending_actions: out.pending_actions.into_iter().map(Into::into).collect(),
            message_id: ID(out.message_id.to_string()),
            cancelled: out.cancelled,
            replayed: out.replayed,
        }
    }
}

/// Chat queries.
#[derive(Default)]
pub struct ChatQuery;

#[Object]
impl ChatQuery {
    /// The caller's conversations, most recently used first.
    async fn aim_conversations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Conversations on the page: 20 unless given, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(desc = "The `endCursor` of the previous page; none for the first page.")]
        after: Option<String>,
        #[graphql(desc = "Only conversations with this status; none lists both.")] status: Option<
            AimConversationStatus,
        >,
    ) -> Result<AimConversationConnection> {
        let actor = actor(ctx)?;
        let size = page_size(first).map_err(gql_error)?;
        let after = Cursor::after(after.as_deref(), CONVERSATIONS).map_err(gql_error)?;
        let rows = data::<Aim>(ctx)?
            .conversations(
                &actor,
                status.map(Into::into),
                after.map(|(at, id)| (at, ConversationId(id))),
                fetch_limit(size),
            )
            .await
            .map_err(gql_error)?;
        Ok(connection::page(
            rows,
            size,
            |c| Cursor::new(CONVERSATIONS, c.updated_at, c.id.0),
            AimConversation,
        ))
    }

    /// One of the caller's conversations (active or archived); null for any other id.
    async fn aim_conversation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation's id.")] id: ID,
    ) -> Result<Option<AimConversation>> {
        let actor = actor(ctx)?;
        let id: ConversationId = parse_id("id", &id).map_err(gql_error)?;
        let row = data::<Aim>(ctx)?
            .conversation(&actor, id)
            .await
            .map_err(gql_error)?;
        Ok(row.map(AimConversation))
    }
}

/// Chat mutations.
#[derive(Default)]
pub struct ChatMutation;

#[Object]
impl ChatMutation {
    /// Sends a message to AIM and waits for the answer. Writes AIM proposes (bookings, text
    /// messages) come back in `pendingActions` and happen only once confirmed.
    async fn aim_chat(&self, ctx: &Context<'_>, input: AimChatInput) -> Result<AimChatOutput> {
        let actor = actor(ctx)?;
        let conversation_id = input.conversation()?;
        let key = input.key()?;
        let out = data::<Aim>(ctx)?
            .chat_keyed(&actor, &input.message, conversation_id, key.as_ref())
            .await
            .map_err(gql_error)?;
        Ok(out.into())
    }

    /// Stops AIM's turn running in one of the caller's conversations: the model call is
    /// dropped and no further tool starts. The answer is stored with what was said by then,
    /// marked `cancelled`, and the turn's `aimChat` or `aimChatStream` ends with it. False when
    /// no turn was running there.
    async fn cancel_aim_chat(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation whose turn to stop.")] conversation_id: ID,
    ) -> Result<bool> {
        let actor = actor(ctx)?;
        let id = parse_id("conversationId", &conversation_id).map_err(gql_error)?;
        data::<Aim>(ctx)?
            .cancel_chat(&actor, id)
            .await
            .map_err(gql_error)
    }

    /// Archives one of the caller's conversations: it keeps its messages and takes no more.
    /// Archiving again answers with the archived conversation.
    async fn archive_aim_conversation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The conversation's id.")] id: ID,
    ) -> Result<AimConversation> {
        let actor = actor(ctx)?;
        let id = parse_id("id", &id).map_err(gql_error)?;
        let row = data::<Aim>(ctx)?
            .archive_conversation(&actor, id)
            .await
            .map_err(gql_error)?;
        Ok(AimConversation(row))
    }

    /// Runs a pending action of the caller's. Confirming again answers with the action as it
    /// stands, without running it twice.
    async fn confirm_aim_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action's id.")] id: ID,
    ) -> Result<AimAction> {
        let actor = actor(ctx)?;
        let id: ActionId = parse_id("id", &id).map_err(gql_error)?;
        let action = data::<Aim>(ctx)?
            .confirm_action(&actor, id)
            .await
            .map_err(gql_error)?;
        Ok(action.into())
    }

    /// Cancels a pending action of the caller's; cancelling again is harmless.
    async fn cancel_aim_action(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The action's id.")] id: ID,
    ) -> Result<AimAction> {
        let actor = actor(ctx)?;
        let id: ActionId = parse_id("id", &id).map_err(gql_error)?;
        let action = data::<Aim>(ctx)?
            .cancel_action(&actor, id)
            .await
            .map_err(gql_error)?;
        Ok(action.into())
    }
}
