//! AIM's alerts, as the facility's dashboard reads them: what is still open.

use chrono::{DateTime, Utc};

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

/// Unresolved alerts, most severe and then newest first.
pub async fn open(c: &mut impl AsConn, limit: i64) -> DbResult<Vec<OpenAlertRow>> {
    const SQL: &str = "SELECT id, type, severity, title, read_at, created_at FROM aim_alerts \
                       WHERE resolved_at IS NULL \
                       ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, \
                       created_at DESC, id DESC LIMIT $1";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(limit)
        .fetch_all(conn)
        .await)?)
}

/// How many alerts are unresolved, per severity.
pub async fn open_counts(c: &mut impl AsConn) -> DbResult<Vec<(AlertSeverity, i64)>> {
    const SQL: &str = "SELECT severity, COUNT(*) FROM aim_alerts WHERE resolved_at IS NULL \
                       GROUP BY severity";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .fetch_all(conn)
        .await)?)
}
