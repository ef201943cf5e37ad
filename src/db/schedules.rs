//! Staff shifts and their breaks.

use chrono::NaiveDate;

use super::{AsConn, DbResult, on_conn};
use crate::domain::*;

/// One shift with one of its breaks (or none): a shift with two breaks is two rows.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ShiftRow {
    pub shift_id: StaffScheduleId,
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
    const SQL: &str = "SELECT s.id AS shift_id, s.staff_user_id, u.name AS staff_name, s.role, \
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
