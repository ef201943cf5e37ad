//! DataLoaders: what the fields of a list of conversations need, loaded for the whole list in
//! one query per relation instead of one per conversation.
//!
//! They are created for each request ([`attach`]), never shared: a loader that outlived its
//! request could hand one staff user's rows to another, or stale rows to both.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::dataloader::{DataLoader, Loader};

use crate::db::aim::{ActionRow, MessageRow};
use crate::db::staff::StaffUser;
use crate::db::{self, Db, DbError};
use crate::domain::{ConversationId, StaffUserId};

/// How long a loader waits for more keys before it queries. Resolvers of one list ask within
/// the same poll, so a short wait batches them all.
pub const BATCH_DELAY: Duration = Duration::from_millis(1);

/// The newest actions of a conversation listed by `AimConversation.actions`.
pub const ACTIONS_PER_CONVERSATION: i64 = 100;

/// A failed load, shared by every resolver waiting on it.
pub type LoadError = Arc<DbError>;

/// Adds this request's loaders to a GraphQL request.
pub fn attach(request: async_graphql::Request, db: &Db) -> async_graphql::Request {
    request
        .data(new(StaffUserLoader(db.clone())))
        .data(new(FirstMessagesLoader(db.clone())))
        .data(new(ActionsLoader(db.clone())))
}

fn new<L: Send + Sync + 'static>(loader: L) -> DataLoader<L> {
    DataLoader::new(loader, tokio::spawn).delay(BATCH_DELAY)
}

/// Staff users by id.
pub struct StaffUserLoader(Db);

impl Loader<StaffUserId> for StaffUserLoader {
    type Value = StaffUser;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[StaffUserId],
    ) -> Result<HashMap<StaffUserId, StaffUser>, LoadError> {
        let mut conn = self.0.conn().await?;
        let rows = db::staff::find_by_ids(&mut conn, keys).await?;
        // Password hashes stop here.
        Ok(rows.into_iter().map(|r| (r.id, r.into())).collect())
    }
}

/// The first messages of a conversation: `limit` of them, oldest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FirstMessages {
    pub conversation_id: ConversationId,
    pub limit: i64,
}

/// The first page of messages of conversations, one query per distinct page size.
pub struct FirstMessagesLoader(Db);

impl Loader<FirstMessages> for FirstMessagesLoader {
    type Value = Vec<MessageRow>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[FirstMessages],
    ) -> Result<HashMap<FirstMessages, Vec<MessageRow>>, LoadError> {
        let mut by_limit: HashMap<i64, Vec<ConversationId>> = HashMap::new();
        for key in keys {
            by_limit
                .entry(key.limit)
                .or_default()
                .push(key.conversation_id);
        }
        let mut conn = self.0.conn().await?;
        let mut found: HashMap<FirstMessages, Vec<MessageRow>> =
            keys.iter().map(|key| (*key, Vec::new())).collect();
        for (limit, ids) in by_limit {
            for row in db::aim::first_messages_of_many(&mut conn, &ids, limit).await? {
                let key = FirstMessages {
                    conversation_id: row.conversation_id,
                    limit,
                };
                found.entry(key).or_default().push(row);
            }
        }
        Ok(found)
    }
}

/// The newest actions of conversations ([`ACTIONS_PER_CONVERSATION`] each), newest first.
pub struct ActionsLoader(Db);

impl Loader<ConversationId> for ActionsLoader {
    type Value = Vec<ActionRow>;
    type Error = LoadError;

    async fn load(
        &self,
        keys: &[ConversationId],
    ) -> Result<HashMap<ConversationId, Vec<ActionRow>>, LoadError> {
        let mut conn = self.0.conn().await?;
        let rows = db::aim::actions_of_many(&mut conn, keys, ACTIONS_PER_CONVERSATION).await?;
        let mut found: HashMap<ConversationId, Vec<ActionRow>> =
            keys.iter().map(|id| (*id, Vec::new())).collect();
        for row in rows {
            found.entry(row.conversation_id).or_default().push(row);
        }
        Ok(found)
    }
}
