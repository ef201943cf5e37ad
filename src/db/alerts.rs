//! AIM's alerts: created by the alert checks, read and resolved by staff, and what the
//! facility's dashboard reads of them (what is still open).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use super::{AsConn, DbResult, on_conn};
use crate::domain::*;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OpenAlertRow {
    pub id: AlertId,
    #[sqlx(rename = "type")]
    pub kind: AlertType,
    pub severity: AlertSeverity,
    pub title: String,
    pub read_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The most severe and newest unresolved alerts (at most `limit`), with how many are
/// unresolved per severity: one statement, the counts taken over every open alert before the
/// limit applies.
pub async fn open(c: &mut impl AsConn, limit: i64) -> DbResult<OpenAlerts> {
    const SQL: &str = "SELECT id, type, severity, title, read_at, created_at, \
                       COUNT(*) OVER () AS total, \
                       SUM(CASE severity WHEN 'critical' THEN 1 ELSE 0 END) OVER () AS critical, \
                       SUM(CASE severity WHEN 'warning' THEN 1 ELSE 0 END) OVER () AS warning \
                       FROM aim_alerts WHERE resolved_at IS NULL \
                       ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, \
                       created_at DESC, id DESC LIMIT $1";
    let rows: Vec<OpenAlertCounted> = on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(limit)
        .fetch_all(conn)
        .await)?;
    let (total, critical, warning) = rows
        .first()
        .map_or((0, 0, 0), |r| (r.total, r.critical, r.warning));
    Ok(OpenAlerts {
        total,
        critical,
        warning,
        info: total - critical - warning,
        latest: rows.into_iter().map(|r| r.alert).collect(),
    })
}

/// Unresolved alerts: how many per severity, and the first few.
#[derive(Clone, Debug, Default)]
pub struct OpenAlerts {
    pub total: i64,
    pub critical: i64,
    pub warning: i64,
    pub info: i64,
    pub latest: Vec<OpenAlertRow>,
}

#[derive(sqlx::FromRow)]
struct OpenAlertCounted {
    #[sqlx(flatten)]
    alert: OpenAlertRow,
    total: i64,
    critical: i64,
    warning: i64,
}

/// An alert as stored.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct AlertRow {
    pub id: AlertId,
    #[sqlx(rename = "type")]
    pub kind: AlertType,
    pub severity: AlertSeverity,
    pub title: String,
    pub description: String,
    pub data: Option<Json<Value>>,
    pub read_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// The columns of a row, in the order its struct reads them.
macro_rules! alert_columns {
    () => {
        "id, type, severity, title, description, data, read_at, resolved_at, created_at"
    };
}

/// An alert about to be stored.
#[derive(Clone, Debug)]
pub struct NewAlertRow<'a> {
    pub id: AlertId,
    pub kind: AlertType,
    pub severity: AlertSeverity,
    pub title: &'a str,
    pub description: &'a str,
    pub data: Option<&'a Value>,
    pub created_at: DateTime<Utc>,
}

/// Stores a new (unread, unresolved) alert and returns it as stored.
pub async fn insert(c: &mut impl AsConn, alert: &NewAlertRow<'_>) -> DbResult<AlertRow> {
    const SQL: &str = concat!(
        "INSERT INTO aim_alerts (id, type, severity, title, description, data, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ",
        alert_columns!()
    );
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(alert.id)
        .bind(alert.kind)
        .bind(alert.severity)
        .bind(alert.title)
        .bind(alert.description)
        .bind(alert.data.map(Json))
        .bind(alert.created_at)
        .fetch_one(conn)
        .await)?)
}

pub async fn find(c: &mut impl AsConn, id: AlertId) -> DbResult<Option<AlertRow>> {
    const SQL: &str = concat!(
        "SELECT ",
        alert_columns!(),
        " FROM aim_alerts WHERE id = $1"
    );
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(id)
        .fetch_optional(conn)
        .await)?)
}

/// Which alerts a listing includes; `None` means either way.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AlertFilter {
    /// `Some(true)`: only unread; `Some(false)`: only read.
    pub unread: Option<bool>,
    /// `Some(true)`: only resolved; `Some(false)`: only open.
    pub resolved: Option<bool>,
    pub kind: Option<AlertType>,
}

/// Alerts newest first (by `created_at`, then id), after a position `(created_at, id)` of an
/// earlier page.
pub async fn list(
    c: &mut impl AsConn,
    filter: AlertFilter,
    after: Option<(DateTime<Utc>, AlertId)>,
    limit: i64,
) -> DbResult<Vec<AlertRow>> {
    const SQL: &str = concat!(
        "SELECT ",
        alert_columns!(),
        " FROM aim_alerts \
         WHERE ($1 IS NULL OR (read_at IS NULL) = $1) \
         AND ($2 IS NULL OR (resolved_at IS NOT NULL) = $2) \
         AND ($3 IS NULL OR type = $3) \
         AND ($4 IS NULL OR created_at < $4 OR (created_at = $4 AND id < $5)) \
         ORDER BY created_at DESC, id DESC LIMIT $6"
    );
    let (after_at, after_id) = after.unzip();
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(filter.unread)
        .bind(filter.resolved)
        .bind(filter.kind)
        .bind(after_at)
        .bind(after_id)
        .bind(limit)
        .fetch_all(conn)
        .await)?)
}

/// How many alerts are neither read nor resolved.
pub async fn unread_count(c: &mut impl AsConn) -> DbResult<i64> {
    const SQL: &str =
        "SELECT COUNT(*) FROM aim_alerts WHERE read_at IS NULL AND resolved_at IS NULL";
    Ok(on_conn!(c, |conn| sqlx::query_scalar(SQL)
        .fetch_one(conn)
        .await)?)
}

/// Marks the alert read at `now` unless it already is: the updated row when this call changed
/// it, `None` when it was already read or does not exist. Of two concurrent calls only one
/// changes the row.
pub async fn mark_read(
    c: &mut impl AsConn,
    id: AlertId,
    now: DateTime<Utc>,
) -> DbResult<Option<AlertRow>> {
    const SQL: &str = concat!(
        "UPDATE aim_alerts SET read_at = $2 WHERE id = $1 AND read_at IS NULL RETURNING ",
        alert_columns!()
    );
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(id)
        .bind(now)
        .fetch_optional(conn)
        .await)?)
}

/// Marks the alert resolved at `now` unless it already is; as [`mark_read`].
pub async fn resolve(
    c: &mut impl AsConn,
    id: AlertId,
    now: DateTime<Utc>,
) -> DbResult<Option<AlertRow>> {
    const SQL: &str = concat!(
        "UPDATE aim_alerts SET resolved_at = $2 WHERE id = $1 AND resolved_at IS NULL RETURNING ",
        alert_columns!()
    );
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(id)
        .bind(now)
        .fetch_optional(conn)
        .await)?)
}

/// Stores a new alert about the issue `key` of its type, unless an unresolved alert about it
/// exists: `None` then. The unique partial index decides, so concurrent generators insert once.
pub async fn insert_keyed(
    c: &mut impl AsConn,
    alert: &NewAlertRow<'_>,
    key: &str,
) -> DbResult<Option<AlertRow>> {
    const SQL: &str = concat!(
        "INSERT INTO aim_alerts (id, type, severity, title, description, data, created_at, dedupe_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
         ON CONFLICT (type, dedupe_key) WHERE resolved_at IS NULL AND dedupe_key IS NOT NULL DO NOTHING \
         RETURNING ",
        alert_columns!()
    );
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(alert.id)
        .bind(alert.kind)
        .bind(alert.severity)
        .bind(alert.title)
        .bind(alert.description)
        .bind(alert.data.map(Json))
        .bind(alert.created_at)
        .bind(key)
        .fetch_optional(conn)
        .await)?)
}

/// An unresolved alert raised by a check, with the key of its issue.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct OpenKeyed {
    pub id: AlertId,
    #[sqlx(rename = "type")]
    pub kind: AlertType,
    pub severity: AlertSeverity,
    pub dedupe_key: String,
    pub data: Option<Json<Value>>,
}

/// Every unresolved alert raised by a check.
pub async fn open_keyed(c: &mut impl AsConn) -> DbResult<Vec<OpenKeyed>> {
    const SQL: &str = "SELECT id, type, severity, dedupe_key, data FROM aim_alerts \
                       WHERE resolved_at IS NULL AND dedupe_key IS NOT NULL";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .fetch_all(conn)
        .await)?)
}

/// Resolves an alert whose issue has cleared, recording `data` (which says so); `None` when
/// it was resolved meanwhile.
pub async fn resolve_cleared(
    c: &mut impl AsConn,
    id: AlertId,
    data: &Value,
    now: DateTime<Utc>,
) -> DbResult<Option<AlertRow>> {
    const SQL: &str = concat!(
        "UPDATE aim_alerts SET resolved_at = $2, data = $3 WHERE id = $1 AND resolved_at IS NULL RETURNING ",
        alert_columns!()
    );
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(id)
        .bind(now)
        .bind(Json(data))
        .fetch_optional(conn)
        .await)?)
}

/// Records a change of an alert (`kind`: created, read, resolved) with the alert as it then
/// stood, and returns its place in the order of events.
pub async fn insert_event(
    c: &mut impl AsConn,
    kind: &str,
    alert_id: AlertId,
    alert: &Value,
    now: DateTime<Utc>,
) -> DbResult<i64> {
    const SQL: &str = "INSERT INTO aim_alert_events (kind, alert_id, alert, created_at) \
                       VALUES ($1, $2, $3, $4) RETURNING seq";
    let (seq,): (i64,) = on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(kind)
        .bind(alert_id)
        .bind(Json(alert))
        .bind(now)
        .fetch_one(conn)
        .await)?;
    Ok(seq)
}

/// A stored event.
#[derive(Clone, Debug, PartialEq, sqlx::FromRow)]
pub struct EventRow {
    pub seq: i64,
    pub kind: String,
    pub alert: Json<Value>,
}

/// Events after `seq`, oldest first.
pub async fn events_after(c: &mut impl AsConn, seq: i64, limit: i64) -> DbResult<Vec<EventRow>> {
    const SQL: &str =
        "SELECT seq, kind, alert FROM aim_alert_events WHERE seq > $1 ORDER BY seq LIMIT $2";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(seq)
        .bind(limit)
        .fetch_all(conn)
        .await)?)
}

/// The place of the newest stored event (0 when there is none).
pub async fn last_event_seq(c: &mut impl AsConn) -> DbResult<i64> {
    const SQL: &str = "SELECT COALESCE(MAX(seq), 0) FROM aim_alert_events";
    let (seq,): (i64,) = on_conn!(c, |conn| sqlx::query_as(SQL).fetch_one(conn).await)?;
    Ok(seq)
}
