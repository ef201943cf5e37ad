//! Staff shifts and their breaks.

use chrono::{DateTime, NaiveDate, Utc};

use super::{AsConn, DbResult, on_conn};
use crate::domain::*;

/// One shift with one of its breaks (or none): a shift with two breaks is two rows.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ShiftRow {
    pub shift_id: StaffScheduleId,
    pub date: NaiveDate,
    pub updated_at: DateTime<Utc>,
    pub staff_user_id: StaffUserId,
    pub staff_name: String,
    pub role: ShiftRole,
    pub start_time: String,
    pub end_time: String,
    pub break_id: Option<StaffBreakId>,
    pub break_start: Option<String>,
    pub break_end: Option<String>,
    pub break_type: Option<BreakType>,
}

/// The shifts of a facility date with their breaks, earliest first.
pub async fn shifts_on(c: &mut impl AsConn, date: NaiveDate) -> DbResult<Vec<ShiftRow>> {
    const SQL: &str = "SELECT s.id AS shift_id, s.date, s.updated_at, s.staff_user_id, u.name AS staff_name, s.role, \
                       s.start_time, s.end_time, b.id AS break_id, b.start_time AS break_start, \
                       b.end_time AS break_end, b.type AS break_type \
                       FROM staff_schedules s \
                       JOIN staff_users u ON u.id = s.staff_user_id \
                       LEFT JOIN staff_breaks b ON b.staff_schedule_id = s.id \
                       WHERE s.date = $1 \
                       ORDER BY s.start_time, u.name, s.id, b.start_time";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(date)
        .fetch_all(conn)
        .await)?)
}

/// A shift as stored, without its breaks.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShiftRecord {
    pub id: StaffScheduleId,
    pub staff_user_id: StaffUserId,
    pub date: NaiveDate,
    pub start_time: String,
    pub end_time: String,
    pub role: ShiftRole,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A break as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BreakRecord {
    pub id: StaffBreakId,
    pub staff_schedule_id: StaffScheduleId,
    pub start_time: String,
    pub end_time: String,
    #[sqlx(rename = "type")]
    #[serde(rename = "type")]
    pub kind: BreakType,
}

pub async fn shift(c: &mut impl AsConn, id: StaffScheduleId) -> DbResult<Option<ShiftRecord>> {
    const SQL: &str = "SELECT id, staff_user_id, date, start_time, end_time, role, created_at, updated_at \
                       FROM staff_schedules WHERE id = $1";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(id)
        .fetch_optional(conn)
        .await)?)
}

/// The shifts of one staff user on a date.
pub async fn shifts_of(
    c: &mut impl AsConn,
    staff_user_id: StaffUserId,
    date: NaiveDate,
) -> DbResult<Vec<ShiftRecord>> {
    const SQL: &str = "SELECT id, staff_user_id, date, start_time, end_time, role, created_at, updated_at \
                       FROM staff_schedules WHERE staff_user_id = $1 AND date = $2 ORDER BY start_time";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(staff_user_id)
        .bind(date)
        .fetch_all(conn)
        .await)?)
}

/// Writes a shift's times and role if it still has `updated_at` `expected`.
pub async fn update_shift(
    c: &mut impl AsConn,
    x: &ShiftRecord,
    expected: DateTime<Utc>,
) -> DbResult<bool> {
    const SQL: &str = "UPDATE staff_schedules SET start_time = $2, end_time = $3, role = $4, updated_at = $5 \
                       WHERE id = $1 AND updated_at = $6";
    let n = on_conn!(c, |conn| sqlx::query(SQL)
        .bind(x.id)
        .bind(&x.start_time)
        .bind(&x.end_time)
        .bind(x.role)
        .bind(x.updated_at)
        .bind(expected)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Marks a shift changed (a break added or removed).
pub async fn touch_shift(
    c: &mut impl AsConn,
    id: StaffScheduleId,
    at: DateTime<Utc>,
) -> DbResult<()> {
    const SQL: &str = "UPDATE staff_schedules SET updated_at = $2 WHERE id = $1";
    on_conn!(c, |conn| sqlx::query(SQL)
        .bind(id)
        .bind(at)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Deletes a shift and its breaks.
pub async fn delete_shift(c: &mut impl AsConn, id: StaffScheduleId) -> DbResult<bool> {
    const SQL: &str = "DELETE FROM staff_schedules WHERE id = $1";
    let n = on_conn!(c, |conn| sqlx::query(SQL)
        .bind(id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn breaks_of(c: &mut impl AsConn, shift: StaffScheduleId) -> DbResult<Vec<BreakRecord>> {
    const SQL: &str = "SELECT id, staff_schedule_id, start_time, end_time, type FROM staff_breaks \
                       WHERE staff_schedule_id = $1 ORDER BY start_time";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(shift)
        .fetch_all(conn)
        .await)?)
}

pub async fn break_by_id(c: &mut impl AsConn, id: StaffBreakId) -> DbResult<Option<BreakRecord>> {
    const SQL: &str =
        "SELECT id, staff_schedule_id, start_time, end_time, type FROM staff_breaks WHERE id = $1";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(id)
        .fetch_optional(conn)
        .await)?)
}

pub async fn delete_break(c: &mut impl AsConn, id: StaffBreakId) -> DbResult<bool> {
    const SQL: &str = "DELETE FROM staff_breaks WHERE id = $1";
    let n = on_conn!(c, |conn| sqlx::query(SQL)
        .bind(id)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}
