//! Pending actions: bookings and text messages AIM proposed, waiting for the staff user who
//! owns the conversation to confirm or cancel them.
//!
//! A confirmation executes the action at most once: the move from `pending` to `confirmed` is a
//! conditional update that only one caller wins, and a repeated confirm returns the action as
//! it stands. An action not decided within its time to live expires.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::tools::{self, ToolContext};
use super::{Aim, AimError, AimResult};
use crate::config::WriteTools;
use crate::db::{self, aim::ActionRow};
use crate::domain::{self, ActionId, ActionStatus, ActionTool, Actor, ConversationId};

/// A proposed action as staff see it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActionView {
    pub id: ActionId,
    pub conversation_id: ConversationId,
    pub tool: ActionTool,
    pub summary: String,
    pub input: Value,
    pub status: ActionStatus,
    /// What the action did, once executed (the booking, the message).
    pub result: Option<Value>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl ActionView {
    /// The row as of `now`: a pending action past its time shows as expired even before the
    /// row says so.
    pub fn of(row: ActionRow, now: DateTime<Utc>) -> ActionView {
        let expired = row.status == ActionStatus::Pending && row.expires_at <= now;
        ActionView {
            id: row.id,
            conversation_id: row.conversation_id,
            tool: row.tool,
            summary: row.summary,
            input: row.input.0,
            status: if expired {
                ActionStatus::Expired
            } else {
                row.status
            },
            result: row.result.map(|j| j.0),
            error: row.error,
            created_at: row.created_at,
            expires_at: row.expires_at,
            decided_at: if expired {
                Some(row.expires_at)
            } else {
                row.decided_at
            },
            completed_at: row.completed_at,
        }
    }
}

impl Aim {
    /// The action, if it belongs to `actor`.
    pub async fn action(&self, actor: &Actor, id: ActionId) -> AimResult<ActionView> {
        let row = self.owned_action(actor, id).await?;
        Ok(ActionView::of(row, domain::now()))
    }

    /// Executes a pending action of `actor`'s. Confirming again returns the action as it
    /// stands without acting twice; a cancelled or expired action can't be confirmed. A
    /// refusal by the facility at this point (the day filled up meanwhile) leaves the action
    /// `failed` with the reason.
    pub async fn confirm_action(&self, actor: &Actor, id: ActionId) -> AimResult<ActionView> {
        let row = self.owned_action(actor, id).await?;
        let now = domain::now();
        let db = self.facility().db();
        let won =
            db::aim::decide_action(&mut db.conn().await?, id, ActionStatus::Confirmed, now).await?;
        if !won {
            return self.settled(actor, row, Decision::Confirm).await;
        }
        let ctx = ToolContext {
            facility: self.facility(),
            actor: *actor,
            now,
            writes: WriteTools::Auto,
            snapshot: None,
        };
        let outcome = tools::execute_write(ctx, row.tool, &row.input.0).await;
        if outcome.is_ok() && row.tool == ActionTool::CreateBooking {
            self.booked();
        }
        let (status, result, error) = match outcome {
            Ok(result) => (ActionStatus::Executed, Some(result), None),
            Err(err) => (ActionStatus::Failed, None, Some(err.message)),
        };
        db::aim::complete_action(
            &mut db.conn().await?,
            id,
            status,
            result.as_ref(),
            error.as_deref(),
            domain::now(),
        )
        .await?;
        tracing::info!(action_id = %id, tool = %row.tool, %status, staff_user_id = %actor.staff_user_id, "action confirmed");
        self.action(actor, id).await
    }

    /// Cancels a pending action of `actor`'s; cancelling again is harmless.
    pub async fn cancel_action(&self, actor: &Actor, id: ActionId) -> AimResult<ActionView> {
        let row = self.owned_action(actor, id).await?;
        let db = self.facility().db();
        let won = db::aim::decide_action(
            &mut db.conn().await?,
            id,
            ActionStatus::Cancelled,
            domain::now(),
        )
        .await?;
        if !won {
            return self.settled(actor, row, Decision::Cancel).await;
        }
        tracing::info!(action_id = %id, tool = %row.tool, staff_user_id = %actor.staff_user_id, "action cancelled");
        self.action(actor, id).await
    }

    /// The actions proposed in one of `actor`'s conversations, newest first.
    pub async fn actions_of(
        &self,
        actor: &Actor,
        conversation_id: ConversationId,
    ) -> AimResult<Vec<ActionView>> {
        let mut conn = self.facility().db().conn().await?;
        super::chat::owned_conversation(&mut conn, actor, conversation_id, false).await?;
        let rows = db::aim::actions_of_conversation(&mut conn, conversation_id, 100).await?;
        let now = domain::now();
        Ok(rows.into_iter().map(|r| ActionView::of(r, now)).collect())
    }

    async fn owned_action(&self, actor: &Actor, id: ActionId) -> AimResult<ActionRow> {
        let mut conn = self.facility().db().conn().await?;
        let now = domain::now();
        db::aim::expire_action(&mut conn, id, now).await?;
        match db::aim::find_action(&mut conn, id).await? {
            Some(row) if row.staff_user_id == actor.staff_user_id => Ok(row),
            _ => Err(AimError::ActionNotFound(id.to_string())),
        }
    }

    /// The answer to a confirm or cancel that found the action already decided: the same
    /// decision again is answered with the action; anything else is refused.
    async fn settled(
        &self,
        actor: &Actor,
        before: ActionRow,
        wanted: Decision,
    ) -> AimResult<ActionView> {
        let view = self.action(actor, before.id).await?;
        let same = match wanted {
            Decision::Confirm => matches!(
                view.status,
                ActionStatus::Confirmed | ActionStatus::Executed | ActionStatus::Failed
            ),
            Decision::Cancel => view.status == ActionStatus::Cancelled,
        };
        if same {
            Ok(view)
        } else {
            Err(AimError::ActionNotPending {
                status: view.status,
                wanted: wanted.as_str(),
            })
        }
    }
}

/// What a staff user decides about a pending action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Decision {
    Confirm,
    Cancel,
}

impl Decision {
    fn as_str(self) -> &'static str {
        match self {
            Decision::Confirm => "confirmed",
            Decision::Cancel => "cancelled",
        }
    }
}
