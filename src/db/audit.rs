//! The audit log: one row per write, appended in the write's own transaction. The database
//! refuses to change or delete a row (triggers in migration 0012).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::{AsConn, DbResult, on_conn};
use crate::domain::*;

#[derive(Clone, Debug)]
pub struct NewAuditEntry<'a> {
    pub id: AuditEntryId,
    pub at: DateTime<Utc>,
    pub actor_id: Option<StaffUserId>,
    pub channel: AuditChannel,
    pub action: &'a str,
    pub entity_type: &'a str,
    pub entity_id: Uuid,
    pub changes: &'a Value,
    pub request_id: Option<&'a str>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct AuditRow {
    pub id: AuditEntryId,
    pub at: DateTime<Utc>,
    pub actor_id: Option<StaffUserId>,
    pub channel: AuditChannel,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Uuid,
    pub changes: Json<Value>,
    pub request_id: Option<String>,
}

pub async fn insert(c: &mut impl AsConn, e: &NewAuditEntry<'_>) -> DbResult<()> {
    const SQL: &str = "INSERT INTO audit_log (id, at, actor_id, channel, action, entity_type, entity_id, changes, request_id) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    on_conn!(c, |conn| sqlx::query(SQL)
        .bind(e.id)
        .bind(e.at)
        .bind(e.actor_id)
        .bind(e.channel)
        .bind(e.action)
        .bind(e.entity_type)
        .bind(e.entity_id)
        .bind(Json(e.changes))
        .bind(e.request_id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// A page of entries, newest first, optionally of one entity, after the position `after`.
pub async fn page(
    c: &mut impl AsConn,
    entity_id: Option<Uuid>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> DbResult<Vec<AuditRow>> {
    // One statement for every combination: absent filters compare to NULL and drop out.
    const SQL: &str = "SELECT id, at, actor_id, channel, action, entity_type, entity_id, changes, request_id \
                       FROM audit_log \
                       WHERE ($1 IS NULL OR entity_id = $1) \
                         AND ($2 IS NULL OR at < $2 OR (at = $2 AND id < $3)) \
                       ORDER BY at DESC, id DESC LIMIT $4";
    let (at, id) = after.unzip();
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(entity_id)
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(conn)
        .await)?)
}
