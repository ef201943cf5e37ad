//! The chat turns running now, by conversation, so that a staff user can stop one.
//!
//! Each turn holds a [`RunningTurn`] from [`RunningTurns::start`] while it runs; stopping the
//! conversation's turns cancels their tokens, and the turn itself decides what to keep (see
//! the chat orchestrator). The registry is per process: a turn runs where it was started.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use crate::domain::ConversationId;

/// The turns running in this process.
#[derive(Clone, Default)]
pub struct RunningTurns(Arc<Registry>);

#[derive(Default)]
struct Registry {
    next: AtomicU64,
    turns: Mutex<HashMap<ConversationId, Vec<(u64, CancellationToken)>>>,
}

impl RunningTurns {
    /// Registers a turn in `conversation` until the returned handle is dropped.
    pub fn start(&self, conversation: ConversationId) -> RunningTurn {
        let id = self.0.next.fetch_add(1, Ordering::Relaxed);
        let token = CancellationToken::new();
        self.0
            .turns
            .lock()
            .expect("running turns lock")
            .entry(conversation)
            .or_default()
            .push((id, token.clone()));
        RunningTurn {
            token,
            conversation,
            id,
            turns: self.clone(),
        }
    }

    /// Stops every turn running in `conversation`; whether there was one.
    pub fn cancel(&self, conversation: ConversationId) -> bool {
        let stopped = self
            .0
            .turns
            .lock()
            .expect("running turns lock")
            .remove(&conversation)
            .unwrap_or_default();
        for (_, token) in &stopped {
            token.cancel();
        }
        !stopped.is_empty()
    }
}

/// A registered turn; dropping it removes it from the registry.
pub struct RunningTurn {
    token: CancellationToken,
    conversation: ConversationId,
    id: u64,
    turns: RunningTurns,
}

impl RunningTurn {
    /// Cancelled when the turn is to stop.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }
}

impl Drop for RunningTurn {
    fn drop(&mut self) {
        let mut turns = self.turns.0.turns.lock().expect("running turns lock");
        if let Some(list) = turns.get_mut(&self.conversation) {
            list.retain(|(id, _)| *id != self.id);
            if list.is_empty() {
                turns.remove(&self.conversation);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_turn_is_stopped_by_its_conversation_and_leaves_when_done() {
        let turns = RunningTurns::default();
        let here = ConversationId::new();
        let elsewhere = ConversationId::new();
        let first = turns.start(here);
        let second = turns.start(here);
        let other = turns.start(elsewhere);

        assert!(turns.cancel(here));
        assert!(first.token().is_cancelled() && second.token().is_cancelled());
        assert!(!other.token().is_cancelled());
        assert!(!turns.cancel(here), "nothing is running there any more");

        // A turn that ends leaves: there is nothing to stop any more.
        drop(other);
        assert!(!turns.cancel(elsewhere));
        assert!(turns.0.turns.lock().unwrap().is_empty());
    }
}
