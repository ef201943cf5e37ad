//! The facility's settings (one row) and secrets the server keeps for itself.

use chrono::{DateTime, Utc};

use super::{AsConn, DbResult, on_conn};

/// The facility settings row.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct FacilitySettingsRow {
    pub capacity: i32,
    pub staff_ratio: i32,
    pub timezone: String,
    pub updated_at: DateTime<Utc>,
}

pub async fn get(c: &mut impl AsConn) -> DbResult<FacilitySettingsRow> {
    const SQL: &str =
        "SELECT capacity, staff_ratio, timezone, updated_at FROM facility_settings WHERE id = 1";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .fetch_one(conn)
        .await)?)
}

/// Overwrites whichever of the settings are given.
pub async fn update(
    c: &mut impl AsConn,
    capacity: Option<i32>,
    staff_ratio: Option<i32>,
    timezone: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<()> {
    const SQL: &str = "UPDATE facility_settings SET capacity = COALESCE($1, capacity), \
                       staff_ratio = COALESCE($2, staff_ratio), timezone = COALESCE($3, timezone), \
                       updated_at = $4 WHERE id = 1";
    on_conn!(c, |conn| {
        sqlx::query(SQL)
            .bind(capacity)
            .bind(staff_ratio)
            .bind(timezone)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The stored secret `name`, or `value` stored under that name if there was none. Concurrent
/// callers all get the one value that won.
pub async fn secret_or_insert(
    c: &mut impl AsConn,
    name: &str,
    value: &str,
    now: DateTime<Utc>,
) -> DbResult<String> {
    const INSERT: &str = "INSERT INTO server_secrets (name, value, created_at) VALUES ($1, $2, $3) \
                          ON CONFLICT (name) DO NOTHING";
    const SELECT: &str = "SELECT value FROM server_secrets WHERE name = $1";
    on_conn!(c, |conn| {
        sqlx::query(INSERT)
            .bind(name)
            .bind(value)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        sqlx::query_scalar(SELECT).bind(name).fetch_one(conn).await
    })
    .map_err(Into::into)
}

/// The stored secret `name`, if any.
pub async fn secret(c: &mut impl AsConn, name: &str) -> DbResult<Option<String>> {
    const SQL: &str = "SELECT value FROM server_secrets WHERE name = $1";
    Ok(on_conn!(c, |conn| sqlx::query_scalar(SQL)
        .bind(name)
        .fetch_optional(conn)
        .await)?)
}

/// The limits of the alert checks, as stored.
#[derive(Clone, Copy, Debug, PartialEq, sqlx::FromRow)]
pub struct AlertThresholdsRow {
    pub capacity_warning_percent: f64,
    pub capacity_critical_percent: f64,
    pub alert_days_ahead: i64,
    pub spike_factor: f64,
    pub spike_min_bookings: i64,
    pub spike_baseline_days: i64,
}

pub async fn alert_thresholds(c: &mut impl AsConn) -> DbResult<AlertThresholdsRow> {
    const SQL: &str = "SELECT capacity_warning_percent, capacity_critical_percent, \
                       CAST(alert_days_ahead AS BIGINT) AS alert_days_ahead, spike_factor, \
                       CAST(spike_min_bookings AS BIGINT) AS spike_min_bookings, \
                       CAST(spike_baseline_days AS BIGINT) AS spike_baseline_days \
                       FROM facility_settings WHERE id = 1";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .fetch_one(conn)
        .await)?)
}
