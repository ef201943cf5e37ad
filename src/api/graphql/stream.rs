//! `aimChatStream`: a chat turn over a subscription, reported as it happens — the model's text
//! as it is written, each tool as it starts and finishes, the actions proposed, and the answer
//! (or why the turn failed).

use async_graphql::{Context, ID, Json, Result, SimpleObject, Subscription, Union};
use futures::{Stream, StreamExt};
use serde_json::Value;

use super::chat::{AimAction, AimChatInput, AimChatOutput};
use super::{actor, data, gql_error};
use crate::aim::Aim;
use crate::aim::chat::ChatEvent;
use crate::api::error::{ApiError, current_request_id};

/// The turn has started: the staff message is stored in this conversation.
#[derive(SimpleObject)]
pub struct AimChatStarted {
    pub conversation_id: ID,
}

/// More of the model's text, in order. Text written before a round of tool calls is the model
/// thinking aloud; the text after the last tools is the answer.
#[derive(SimpleObject)]
pub struct AimTextDelta {
    pub text: String,
}

/// A tool the model asked for has started.
#[derive(SimpleObject)]
pub struct AimToolCallStarted {
    /// The model's id of the call, shared with its `AimToolCallFinished`.
    pub id: String,
    pub name: String,
    pub input: Json<Value>,
}

/// A tool has finished; its result went back to the model.
#[derive(SimpleObject)]
pub struct AimToolCallFinished {
    pub id: String,
    pub name: String,
    /// The tool refused the input or failed; the model was told why.
    pub is_error: bool,
    pub duration_ms: u64,
}

/// AIM proposed a write (a booking, a text message) that waits for the staff user's
/// confirmation.
#[derive(SimpleObject)]
pub struct AimActionPending {
    pub action: AimAction,
}

/// The answer, stored; the last event of a turn that succeeded.
#[derive(SimpleObject)]
pub struct AimChatCompleted {
    pub output: AimChatOutput,
}

/// Why the turn failed (`code` as in GraphQL errors' `extensions.code`); the last event of a
/// turn that failed. The staff message stays on record; no half answer is stored.
#[derive(SimpleObject)]
pub struct AimChatFailed {
    pub code: String,
    pub message: String,
}

/// One event of a streamed chat turn.
#[derive(Union)]
pub enum AimChatEvent {
    Started(AimChatStarted),
    TextDelta(AimTextDelta),
    ToolCallStarted(AimToolCallStarted),
    ToolCallFinished(AimToolCallFinished),
    ActionPending(AimActionPending),
    Completed(AimChatCompleted),
    Failed(AimChatFailed),
}

impl From<ChatEvent> for AimChatEvent {
    fn from(event: ChatEvent) -> Self {
        match event {
            ChatEvent::Started { conversation_id } => AimChatEvent::Started(AimChatStarted {
                conversation_id: ID(conversation_id.to_string()),
            }),
            ChatEvent::TextDelta { text } => AimChatEvent::TextDelta(AimTextDelta { text }),
            ChatEvent::ToolCallStarted { id, name, input } => {
                AimChatEvent::ToolCallStarted(AimToolCallStarted {
                    id,
                    name,
                    input: Json(input),
                })
            }
            ChatEvent::ToolCallFinished {
                id,
                name,
                is_error,
                duration_ms,
            } => AimChatEvent::ToolCallFinished(AimToolCallFinished {
                id,
                name,
                is_error,
                duration_ms,
            }),
            ChatEvent::ActionPending { action } => AimChatEvent::ActionPending(AimActionPending {
                action: action.into(),
            }),
            ChatEvent::Completed { output } => AimChatEvent::Completed(AimChatCompleted {
                output: output.into(),
            }),
        }
    }
}

#[derive(Default)]
pub struct ChatStreamSubscription;

#[Subscription]
impl ChatStreamSubscription {
    /// Sends a message to AIM and reports the turn as it happens: `AimChatStarted`, the
    /// model's text in `AimTextDelta`s, each tool between `AimToolCallStarted` and
    /// `AimToolCallFinished`, an `AimActionPending` per proposed write, then `AimChatCompleted`
    /// with the stored answer — or `AimChatFailed`. The turn stores what `aimChat` stores.
    /// Closing the subscription before the end stops the turn as `cancelAimChat` does: what
    /// was said by then is stored, marked cancelled.
    async fn aim_chat_stream(
        &self,
        ctx: &Context<'_>,
        input: AimChatInput,
    ) -> Result<impl Stream<Item = AimChatEvent> + use<>> {
        let actor = actor(ctx)?;
        let conversation_id = input.conversation()?;
        let key = input.key()?;
        let request_id = current_request_id();
        let events = data::<Aim>(ctx)?
            .chat_stream_keyed(&actor, &input.message, conversation_id, key.as_ref())
            .await
            .map_err(gql_error)?;
        Ok(events.map(move |event| match event {
            Ok(event) => event.into(),
            Err(error) => {
                let error = ApiError::from(error);
                AimChatEvent::Failed(AimChatFailed {
                    code: error.code().to_owned(),
                    message: error.public_message(&request_id),
                })
            }
        }))
    }
}
