//! Chat turns started with an idempotency key. A client that did not hear an answer (its
//! connection dropped, a proxy timed out) sends the same request again with the same key and
//! is answered from the first turn, so the question is not stored twice and no tool acts twice.
//!
//! The key is stored with the question in one transaction, per staff user, for a day. A repeat
//! with the same key and the same request:
//! - of a turn that was answered (finished or stopped) gets that answer again;
//! - of a turn still running is refused (`idempotency_key_in_use`), to be tried again shortly;
//! - of a turn that failed with nothing written but its question runs it again on that
//!   question;
//! - of a turn that failed after a write tool had acted (automatic writes) is refused, since
//!   running it again could book or text twice.
//!
//! The same key with another message or conversation is invalid input naming the key.

use chrono::{DateTime, Duration as ChronoDuration, Utc};

use super::chat::{ChatOutput, ToolCallRecord};
use super::{AimError, AimResult};
use crate::aim::actions::ActionView;
use crate::db::{self, AsConn, aim::ChatRequestRow};
use crate::domain::{ChatRequestState, ConversationId};
use crate::llm::Usage;

/// How long a key is remembered; after that it is a new request.
pub const KEY_TTL: ChronoDuration = ChronoDuration::hours(24);
/// A turn still marked running after this long died with its server (the longest turn —
/// six model calls, each with its retries — ends well before).
const STALE_AFTER: ChronoDuration = ChronoDuration::minutes(30);
/// Longest key accepted, in bytes.
pub const MAX_KEY_LEN: usize = 255;

/// A client's idempotency key, checked: 1 to 255 visible ASCII characters (a UUID is a good
/// one). It remembers the name of the input it came from, for errors that name it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey {
    key: String,
    field: &'static str,
}

impl IdempotencyKey {
    /// Checks `key`, which came in the input named `field` (`Idempotency-Key` for the header).
    pub fn parse(key: &str, field: &'static str) -> AimResult<IdempotencyKey> {
        if key.is_empty() || key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AimError::InvalidInput {
                field,
                message: format!(
                    "an idempotency key is 1 to {MAX_KEY_LEN} visible ASCII characters \
                     without spaces (a UUID, say)"
                ),
            });
        }
        Ok(IdempotencyKey {
            key: key.to_owned(),
            field,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.key
    }
}

/// The error for a repeat while the first request is still being answered (or a racing
/// repeat claimed it first).
pub(super) fn still_running() -> AimError {
    AimError::IdempotencyKeyInUse(
        "the request with this idempotency key is still being answered; try again shortly"
            .to_owned(),
    )
}

/// What a keyed request comes to, given what is stored under its key.
pub(super) enum Keyed {
    /// The key is new (or forgotten): run the turn and store the key with the question.
    New,
    /// The first turn failed with nothing written but the question: run it again on it.
    Rerun(ChatRequestRow),
    /// The first turn was answered: this is its answer.
    Replay(ChatOutput),
}

/// Judges a request against the turn stored under its key. `auto_writes`: write tools act at
/// once, so a turn that died midway may have acted.
pub(super) async fn judge(
    c: &mut impl AsConn,
    row: Option<ChatRequestRow>,
    key: &IdempotencyKey,
    message: &str,
    conversation_id: Option<ConversationId>,
    auto_writes: bool,
    now: DateTime<Utc>,
) -> AimResult<Keyed> {
    let Some(row) = row.filter(|row| row.created_at > now - KEY_TTL) else {
        return Ok(Keyed::New);
    };
    let same_conversation = match conversation_id {
        None => row.new_conversation,
        Some(id) => !row.new_conversation && id == row.conversation_id,
    };
    if row.question != message || !same_conversation {
        return Err(AimError::InvalidInput {
            field: key.field,
            message: "this idempotency key was used for another request (a different message \
                      or conversation); send a new key with a new request"
                .to_owned(),
        });
    }
    let stale = row.updated_at <= now - STALE_AFTER;
    match row.state {
        ChatRequestState::Answered => Ok(Keyed::Replay(replay(c, &row, now).await?)),
        ChatRequestState::Failed => Ok(Keyed::Rerun(row)),
        ChatRequestState::Running if stale && !auto_writes => Ok(Keyed::Rerun(row)),
        ChatRequestState::Running if !stale => Err(still_running()),
        ChatRequestState::Running | ChatRequestState::FailedAfterWrite => {
            Err(AimError::IdempotencyKeyInUse(
                "the request with this idempotency key failed after AIM had made a booking or \
                 sent a text; read the conversation before asking again with a new key"
                    .to_owned(),
            ))
        }
    }
}

/// The stored answer of a keyed turn, as the turn returned it; the actions it proposed as they
/// stand now.
async fn replay(
    c: &mut impl AsConn,
    row: &ChatRequestRow,
    now: DateTime<Utc>,
) -> AimResult<ChatOutput> {
    let answer = match row.answer_id {
        Some(id) => db::aim::find_message(c, id).await?,
        None => None,
    };
    let Some(answer) = answer else {
        return Err(AimError::ConversationNotFound(
            row.conversation_id.to_string(),
        ));
    };
    let calls: Vec<ToolCallRecord> = answer
        .tool_calls
        .as_ref()
        .and_then(|calls| serde_json::from_value(calls.0.clone()).ok())
        .unwrap_or_default();
    let actions = db::aim::actions_of_conversation(c, row.conversation_id, 100).await?;
    let mut pending_actions: Vec<ActionView> = actions
        .into_iter()
        .filter(|action| calls.iter().any(|call| call.id == action.tool_use_id))
        .map(|action| ActionView::of(action, now))
        .collect();
    pending_actions.reverse();
    let n = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok()).unwrap_or(0);
    Ok(ChatOutput {
        response_text: answer.content,
        conversation_id: row.conversation_id,
        tools_used: calls.into_iter().map(|call| call.name).collect(),
        model_used: answer.model_used.unwrap_or_default(),
        pending_actions,
        message_id: answer.id,
        usage: Usage {
            input_tokens: n(answer.input_tokens),
            output_tokens: n(answer.output_tokens),
            cache_creation_input_tokens: n(answer.cache_write_tokens),
            cache_read_input_tokens: n(answer.cache_read_tokens),
        },
        cancelled: answer.cancelled,
        replayed: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_of_bounded_length() {
        for good in [
            "a",
            "5f0c3c1e-8d1b-4a57-b7a4-1f2e3d4c5b6a",
            &"k".repeat(255),
        ] {
            assert_eq!(
                IdempotencyKey::parse(good, "Idempotency-Key")
                    .unwrap()
                    .as_str(),
                good
            );
        }
        for bad in [
            "",
            " ",
            "two words",
            "tab\there",
            "naïve",
            "nul\0",
            &"k".repeat(256),
        ] {
            let err = IdempotencyKey::parse(bad, "Idempotency-Key").unwrap_err();
            assert_eq!(err.field(), Some("Idempotency-Key"), "{bad:?}");
        }
    }
}
