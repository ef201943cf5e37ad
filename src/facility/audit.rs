//! Who changed what: every write of the facility records its author, the action, the entity
//! and the fields it changed (before → after) in the audit log, inside the write's own
//! transaction, so a write and its record commit or roll back together.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::{Facility, FacilityError, FacilityResult};
use crate::db::{self, AsConn};
use crate::domain::*;

/// Who writes, through which door, in which request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Author {
    /// The signed-in staff user; `None` for the command line on the server.
    pub actor: Option<Actor>,
    pub channel: AuditChannel,
    /// The request id of the API request (also in its logs and `x-request-id`).
    pub request_id: Option<String>,
}

impl Author {
    /// A staff user acting through `channel`.
    pub fn staff(actor: Actor, channel: AuditChannel, request_id: Option<String>) -> Author {
        Author {
            actor: Some(actor),
            channel,
            request_id,
        }
    }

    /// The command line, run by whoever operates the server (it can do what an admin can).
    pub fn cli() -> Author {
        Author {
            actor: None,
            channel: AuditChannel::Cli,
            request_id: None,
        }
    }

    pub fn staff_user_id(&self) -> Option<StaffUserId> {
        self.actor.map(|a| a.staff_user_id)
    }

    /// The role the author acts with: the command line on the server acts as an admin.
    pub fn role(&self) -> Role {
        self.actor.map_or(Role::Admin, |a| a.role)
    }

    /// Refuses unless the author is a manager or an admin.
    pub fn require_manager(&self, what: &'static str) -> FacilityResult<()> {
        if self.role().is_manager() {
            Ok(())
        } else {
            Err(FacilityError::NotAllowed {
                what,
                needed: "manager or admin",
                role: self.role(),
            })
        }
    }

    /// Refuses unless the author is an admin.
    pub fn require_admin(&self, what: &'static str) -> FacilityResult<()> {
        if self.role() == Role::Admin {
            Ok(())
        } else {
            Err(FacilityError::NotAllowed {
                what,
                needed: "admin",
                role: self.role(),
            })
        }
    }
}

/// The fields a write changed: `{"field": {"before": …, "after": …}}`, fields named as the API
/// names them (camelCase).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes(Map<String, Value>);

impl Changes {
    /// Every field of a new record, from nothing.
    pub fn created(record: &impl Serialize) -> Changes {
        Changes::diff(&Value::Null, record)
    }

    /// The fields that differ between two versions of a record (`updatedAt` left out: the
    /// entry's own time says when).
    pub fn diff(before: &impl Serialize, after: &impl Serialize) -> Changes {
        let before = to_fields(before);
        let after = to_fields(after);
        let mut changes = Map::new();
        let names = after
            .keys()
            .chain(before.keys().filter(|k| !after.contains_key(*k)));
        for name in names {
            if matches!(name.as_str(), "updatedAt" | "createdAt") {
                continue;
            }
            let b = before.get(name).unwrap_or(&Value::Null);
            let a = after.get(name).unwrap_or(&Value::Null);
            if b != a {
                changes.insert(name.clone(), json!({ "before": b, "after": a }));
            }
        }
        Changes(changes)
    }

    /// One field set from `before` to `after`.
    pub fn with(mut self, field: &str, before: impl Serialize, after: impl Serialize) -> Changes {
        let before = serde_json::to_value(before).unwrap_or(Value::Null);
        let after = serde_json::to_value(after).unwrap_or(Value::Null);
        self.0.insert(
            field.to_owned(),
            json!({ "before": before, "after": after }),
        );
        self
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

fn to_fields(record: &impl Serialize) -> Map<String, Value> {
    match serde_json::to_value(record) {
        Ok(Value::Object(fields)) => fields,
        _ => Map::new(),
    }
}

/// Appends an entry for a write: call it with the write's transaction.
pub(crate) async fn record(
    c: &mut impl AsConn,
    author: &Author,
    action: &str,
    entity_type: &str,
    entity_id: Uuid,
    changes: Changes,
    at: DateTime<Utc>,
) -> FacilityResult<()> {
    let changes = changes.into_value();
    db::audit::insert(
        c,
        &db::audit::NewAuditEntry {
            id: AuditEntryId::new(),
            at,
            actor_id: author.staff_user_id(),
            channel: author.channel,
            action,
            entity_type,
            entity_id,
            changes: &changes,
            request_id: author.request_id.as_deref(),
        },
    )
    .await?;
    Ok(())
}

/// An entry of the audit log as managers read it.
pub type AuditEntry = db::audit::AuditRow;

impl Facility {
    /// A page of the audit log, newest first, of one entity or all (managers and admins).
    pub async fn audit_log(
        &self,
        viewer: &Actor,
        entity_id: Option<Uuid>,
        after: Option<(DateTime<Utc>, Uuid)>,
        limit: i64,
    ) -> FacilityResult<Vec<AuditEntry>> {
        if !viewer.role.is_manager() {
            return Err(FacilityError::NotAllowed {
                what: "the audit log",
                needed: "manager or admin",
                role: viewer.role,
            });
        }
        let mut conn = self.db().conn().await?;
        Ok(db::audit::page(&mut conn, entity_id, after, limit).await?)
    }
}
