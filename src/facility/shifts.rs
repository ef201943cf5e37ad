//! Managers plan the day's shifts and breaks: a shift is a staff user's local `HH:MM` span on a
//! facility date, never overlapping another of theirs; a break lies inside its shift and never
//! overlaps another. Each write is checked, guarded against lost updates where it edits, and
//! recorded in the audit log in the same transaction.

use chrono::{DateTime, NaiveDate, Utc};

use super::audit::{self, Author, Changes};
use super::clock::ClockTime;
use super::customers::{changed_since, check_fresh};
use super::{Facility, FacilityError, FacilityResult};
use crate::db::schedules::{BreakRecord, ShiftRecord};
use crate::db::{self, AsConn};
use crate::domain::*;

/// A new shift.
#[derive(Clone, Debug)]
pub struct ShiftInput {
    pub staff_user_id: StaffUserId,
    pub date: NaiveDate,
    pub start: String,
    pub end: String,
    pub role: ShiftRole,
}

/// Changes to a shift: `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct ShiftPatch {
    pub start: Option<String>,
    pub end: Option<String>,
    pub role: Option<ShiftRole>,
}

/// A new break of a shift.
#[derive(Clone, Debug)]
pub struct BreakInput {
    pub start: String,
    pub end: String,
    pub kind: BreakType,
}

fn invalid(field: &'static str, message: impl Into<String>) -> FacilityError {
    FacilityError::InvalidInput {
        field,
        message: message.into(),
    }
}

fn clock_time(field: &'static str, text: &str) -> FacilityResult<ClockTime> {
    text.trim().parse().map_err(|_| {
        invalid(
            field,
            format!("`{text}` is not a time of day HH:MM (00:00–23:59)"),
        )
    })
}

/// A span of the day, start before end.
fn span(start: &str, end: &str) -> FacilityResult<(ClockTime, ClockTime)> {
    let (start, end) = (clock_time("start", start)?, clock_time("end", end)?);
    if end <= start {
        return Err(invalid(
            "end",
            format!("{end} is not after the start {start}"),
        ));
    }
    Ok((start, end))
}

fn stored(text: &str) -> ClockTime {
    text.parse().unwrap_or(ClockTime::MIDNIGHT)
}

fn overlaps(a: (ClockTime, ClockTime), b: (ClockTime, ClockTime)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

async fn shift_in(
    c: &mut impl AsConn,
    id: StaffScheduleId,
    field: Option<&'static str>,
) -> FacilityResult<ShiftRecord> {
    db::schedules::shift(c, id)
        .await?
        .ok_or_else(|| FacilityError::NotFound {
            entity: "shift",
            id: id.to_string(),
            field,
        })
}

/// No other shift of the same staff user that day may overlap `times`.
async fn check_no_overlap(
    c: &mut impl AsConn,
    staff_user_id: StaffUserId,
    date: NaiveDate,
    times: (ClockTime, ClockTime),
    except: Option<StaffScheduleId>,
) -> FacilityResult<()> {
    for other in db::schedules::shifts_of(c, staff_user_id, date).await? {
        let theirs = (stored(&other.start_time), stored(&other.end_time));
        if Some(other.id) != except && overlaps(times, theirs) {
            return Err(invalid(
                "start",
                format!("overlaps their shift {}–{} on {date}", theirs.0, theirs.1),
            ));
        }
    }
    Ok(())
}

impl Facility {
    pub async fn shift(&self, id: StaffScheduleId) -> FacilityResult<Option<ShiftRecord>> {
        Ok(db::schedules::shift(&mut self.db().conn().await?, id).await?)
    }

    pub async fn create_shift(
        &self,
        author: &Author,
        input: &ShiftInput,
        now: DateTime<Utc>,
    ) -> FacilityResult<ShiftRecord> {
        author.require_manager("planning shifts")?;
        let times = span(&input.start, &input.end)?;
        let mut tx = self.db().begin().await?;
        let staff = db::staff::find_by_id(&mut tx, input.staff_user_id).await?;
        if !staff.is_some_and(|s| s.active) {
            return Err(FacilityError::NotFound {
                entity: "active staff user",
                id: input.staff_user_id.to_string(),
                field: Some("staff_user_id"),
            });
        }
        check_no_overlap(&mut tx, input.staff_user_id, input.date, times, None).await?;
        let record = ShiftRecord {
            id: StaffScheduleId::new(),
            staff_user_id: input.staff_user_id,
            date: input.date,
            start_time: times.0.to_string(),
            end_time: times.1.to_string(),
            role: input.role,
            created_at: now,
            updated_at: now,
        };
        db::facility::insert_shift(
            &mut tx,
            &db::facility::NewShift {
                id: record.id,
                staff_user_id: record.staff_user_id,
                date: record.date,
                start_time: record.start_time.clone(),
                end_time: record.end_time.clone(),
                role: record.role,
            },
            now,
        )
        .await?;
        audit::record(
            &mut tx,
            author,
            "shift.create",
            "shift",
            record.id.0,
            Changes::created(&record),
            now,
        )
        .await?;
        tx.commit().await?;
        self.announce_change();
        Ok(record)
    }

    pub async fn update_shift(
        &self,
        author: &Author,
        id: StaffScheduleId,
        patch: &ShiftPatch,
        expected_updated_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> FacilityResult<ShiftRecord> {
        author.require_manager("planning shifts")?;
        let mut tx = self.db().begin().await?;
        let before = shift_in(&mut tx, id, None).await?;
        check_fresh("shift", expected_updated_at, before.updated_at)?;
        let start = patch.start.as_deref().unwrap_or(&before.start_time);
        let end = patch.end.as_deref().unwrap_or(&before.end_time);
        let times = span(start, end)?;
        check_no_overlap(&mut tx, before.staff_user_id, before.date, times, Some(id)).await?;
        for b in db::schedules::breaks_of(&mut tx, id).await? {
            let (bs, be) = (stored(&b.start_time), stored(&b.end_time));
            if bs < times.0 || be > times.1 {
                return Err(invalid(
                    if bs < times.0 { "start" } else { "end" },
                    format!("the break {bs}–{be} would fall outside the shift; remove it first"),
                ));
            }
        }
        let mut after = before.clone();
        after.start_time = times.0.to_string();
        after.end_time = times.1.to_string();
        after.role = patch.role.unwrap_or(before.role);
        let changes = Changes::diff(&before, &after);
        if changes.is_empty() {
            return Ok(before);
        }
        after.updated_at = now.max(before.updated_at + chrono::TimeDelta::microseconds(1));
        if !db::schedules::update_shift(&mut tx, &after, before.updated_at).await? {
            let current = shift_in(&mut tx, id, None).await?;
            return Err(changed_since(
                "shift",
                before.updated_at,
                current.updated_at,
            ));
        }
        audit::record(&mut tx, author, "shift.update", "shift", id.0, changes, now).await?;
        tx.commit().await?;
        self.announce_change();
        Ok(after)
    }

    /// Deletes a shift with its breaks; returns what it was.
    pub async fn delete_shift(
        &self,
        author: &Author,
        id: StaffScheduleId,
        now: DateTime<Utc>,
    ) -> FacilityResult<ShiftRecord> {
        author.require_manager("planning shifts")?;
        let mut tx = self.db().begin().await?;
        let before = shift_in(&mut tx, id, None).await?;
        db::schedules::delete_shift(&mut tx, id).await?;
        audit::record(
            &mut tx,
            author,
            "shift.delete",
            "shift",
            id.0,
            Changes::diff(&before, &serde_json::Value::Null),
            now,
        )
        .await?;
        tx.commit().await?;
        self.announce_change();
        Ok(before)
    }

    pub async fn add_shift_break(
        &self,
        author: &Author,
        shift_id: StaffScheduleId,
        input: &BreakInput,
        now: DateTime<Utc>,
    ) -> FacilityResult<BreakRecord> {
        author.require_manager("planning shifts")?;
        let times = span(&input.start, &input.end)?;
        let mut tx = self.db().begin().await?;
        let shift = shift_in(&mut tx, shift_id, Some("shift_id")).await?;
        let (ss, se) = (stored(&shift.start_time), stored(&shift.end_time));
        if times.0 < ss || times.1 > se {
            return Err(invalid(
                if times.0 < ss { "start" } else { "end" },
                format!("a break lies inside its shift {ss}–{se}"),
            ));
        }
        for other in db::schedules::breaks_of(&mut tx, shift_id).await? {
            let theirs = (stored(&other.start_time), stored(&other.end_time));
            if overlaps(times, theirs) {
                return Err(invalid(
                    "start",
                    format!("overlaps the break {}–{}", theirs.0, theirs.1),
                ));
            }
        }
        let record = BreakRecord {
            id: StaffBreakId::new(),
            staff_schedule_id: shift_id,
            start_time: times.0.to_string(),
            end_time: times.1.to_string(),
            kind: input.kind,
        };
        db::facility::insert_break(
            &mut tx,
            &db::facility::NewBreak {
                id: record.id,
                staff_schedule_id: shift_id,
                start_time: record.start_time.clone(),
                end_time: record.end_time.clone(),
                kind: record.kind,
            },
            now,
        )
        .await?;
        db::schedules::touch_shift(
            &mut tx,
            shift_id,
            now.max(shift.updated_at + chrono::TimeDelta::microseconds(1)),
        )
        .await?;
        audit::record(
            &mut tx,
            author,
            "shift.add_break",
            "shift",
            shift_id.0,
            Changes::default().with("break", None::<()>, &record),
            now,
        )
        .await?;
        tx.commit().await?;
        self.announce_change();
        Ok(record)
    }

    pub async fn remove_shift_break(
        &self,
        author: &Author,
        id: StaffBreakId,
        now: DateTime<Utc>,
    ) -> FacilityResult<ShiftRecord> {
        author.require_manager("planning shifts")?;
        let mut tx = self.db().begin().await?;
        let record = db::schedules::break_by_id(&mut tx, id)
            .await?
            .ok_or_else(|| FacilityError::NotFound {
                entity: "break",
                id: id.to_string(),
                field: None,
            })?;
        db::schedules::delete_break(&mut tx, id).await?;
        let shift = shift_in(&mut tx, record.staff_schedule_id, None).await?;
        let updated_at = now.max(shift.updated_at + chrono::TimeDelta::microseconds(1));
        db::schedules::touch_shift(&mut tx, shift.id, updated_at).await?;
        audit::record(
            &mut tx,
            author,
            "shift.remove_break",
            "shift",
            shift.id.0,
            Changes::default().with("break", &record, None::<()>),
            now,
        )
        .await?;
        tx.commit().await?;
        self.announce_change();
        Ok(ShiftRecord {
            updated_at,
            ..shift
        })
    }
}
