//! Reading conversations and their messages: the one place that decides whose they are. A
//! staff user sees their own conversations; another's, or one that does not exist, is the same
//! `not_found`, so nothing about it is revealed.

use chrono::{DateTime, Utc};

use super::chat::owned_conversation;
use super::{Aim, AimResult};
pub use crate::db::aim::{ConversationRow, MessageRow};
use crate::db::{self};
use crate::domain::*;

/// Messages read at a time when a whole conversation is read.
const MESSAGE_BATCH: i64 = 500;

impl Aim {
    /// A page of `actor`'s conversations, most recently used first, after the position
    /// `after`, of one status or both.
    pub async fn conversations(
        &self,
        actor: &Actor,
        status: Option<ConversationStatus>,
        after: Option<(DateTime<Utc>, ConversationId)>,
        limit: i64,
    ) -> AimResult<Vec<ConversationRow>> {
        let mut conn = self.facility().db().conn().await?;
        Ok(db::aim::conversations_of(&mut conn, actor.staff_user_id, status, after, limit).await?)
    }

    /// One of `actor`'s conversations, active or archived; `None` for any other id.
    pub async fn conversation(
        &self,
        actor: &Actor,
        id: ConversationId,
    ) -> AimResult<Option<ConversationRow>> {
        let mut conn = self.facility().db().conn().await?;
        match owned_conversation(&mut conn, actor, id, false).await {
            Ok(row) => Ok(Some(row)),
            Err(super::AimError::ConversationNotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// A page of the messages of one of `actor`'s conversations, oldest first, after the
    /// position `after`; `not_found` for another's.
    pub async fn messages(
        &self,
        actor: &Actor,
        id: ConversationId,
        after: Option<(DateTime<Utc>, MessageId)>,
        limit: i64,
    ) -> AimResult<Vec<MessageRow>> {
        let mut conn = self.facility().db().conn().await?;
        owned_conversation(&mut conn, actor, id, false).await?;
        Ok(db::aim::messages_of(&mut conn, id, after, limit).await?)
    }

    /// One of `actor`'s conversations with every message, oldest first; `not_found` for
    /// another's.
    pub async fn conversation_with_messages(
        &self,
        actor: &Actor,
        id: ConversationId,
    ) -> AimResult<(ConversationRow, Vec<MessageRow>)> {
        let mut conn = self.facility().db().conn().await?;
        let conversation = owned_conversation(&mut conn, actor, id, false).await?;
        let mut messages: Vec<MessageRow> = Vec::new();
        loop {
            let after = messages.last().map(|m| (m.created_at, m.id));
            let batch = db::aim::messages_of(&mut conn, id, after, MESSAGE_BATCH).await?;
            let done = (batch.len() as i64) < MESSAGE_BATCH;
            messages.extend(batch);
            if done {
                return Ok((conversation, messages));
            }
        }
    }
}
