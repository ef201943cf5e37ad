//! Staff schedules: the shifts of a day with their breaks, who is on duty, and the dog:staff
//! ratio hour by hour.
//!
//! An hour's ratio is conservative: its dogs are every dog booked at any moment of the hour,
//! its staff the fewest people on duty at any minute of it (a person on a break is not on
//! duty). Hours are those the facility is staffed or open (drop-off to pick-up); boarding
//! dogs kennelled overnight are not counted against the night.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::bookings::{BookingView, DAY_CLOSES, DAY_OPENS, group_stays};
use super::clock::{self, ClockTime};
use super::{Facility, FacilityResult};
use crate::db;
use crate::domain::*;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BreakView {
    pub id: StaffBreakId,
    pub start: ClockTime,
    pub end: ClockTime,
    #[serde(rename = "type")]
    pub kind: BreakType,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ShiftView {
    pub id: StaffScheduleId,
    /// Not in JSON, where the shift is listed under its day; read from JSON, it and
    /// `updated_at` are left at their defaults.
    #[serde(skip)]
    pub date: NaiveDate,
    /// When the shift (or one of its breaks) last changed.
    #[serde(skip)]
    pub updated_at: DateTime<Utc>,
    pub staff_user_id: StaffUserId,
    pub staff_name: String,
    pub role: ShiftRole,
    pub start: ClockTime,
    pub end: ClockTime,
    pub breaks: Vec<BreakView>,
}

impl ShiftView {
    /// Within the shift at this minute of the day, whether on a break or not.
    pub fn in_shift(&self, minute: u32) -> bool {
        self.start.minutes() <= minute && minute < self.end.minutes()
    }

    /// On a break at this minute of the day.
    pub fn on_break(&self, minute: u32) -> bool {
        self.breaks
            .iter()
            .any(|b| b.start.minutes() <= minute && minute < b.end.minutes())
    }

    /// Working (in the shift and not on a break) at this minute of the day.
    pub fn on_duty(&self, minute: u32) -> bool {
        self.in_shift(minute) && !self.on_break(minute)
    }
}

/// Staffing of one hour, `[hour, hour + 1h)`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HourStaffing {
    pub hour: ClockTime,
    /// Dogs booked at any moment of the hour.
    pub dogs: u32,
    /// The fewest staff on duty at any minute of the hour.
    pub staff_on_duty: u32,
    /// Dogs per staff member; `None` when nobody is on duty.
    pub dogs_per_staff: Option<f64>,
    /// More dogs per staff member than the facility's ratio allows.
    pub over_ratio: bool,
    /// Dogs present and nobody on duty.
    pub no_staff: bool,
}

/// A day's staff schedule.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffDay {
    pub date: NaiveDate,
    /// Dogs one staff member may look after.
    pub staff_ratio: u32,
    pub shifts: Vec<ShiftView>,
    pub hours: Vec<HourStaffing>,
}

fn stored_time(text: &str) -> ClockTime {
    text.parse().unwrap_or_else(|err| {
        // The database's CHECK constraints make this unreachable; say so loudly if not.
        tracing::error!(%err, "schedule holds a malformed time");
        ClockTime::MIDNIGHT
    })
}

fn group_shifts(rows: Vec<db::schedules::ShiftRow>) -> Vec<ShiftView> {
    let mut shifts: Vec<ShiftView> = Vec::new();
    for row in rows {
        if shifts.last().is_none_or(|s| s.id != row.shift_id) {
            shifts.push(ShiftView {
                id: row.shift_id,
                date: row.date,
                updated_at: row.updated_at,
                staff_user_id: row.staff_user_id,
                staff_name: row.staff_name,
                role: row.role,
                start: stored_time(&row.start_time),
                end: stored_time(&row.end_time),
                breaks: Vec::new(),
            });
        }
        if let (Some(id), Some(start), Some(end), Some(kind), Some(shift)) = (
            row.break_id,
            row.break_start,
            row.break_end,
            row.break_type,
            shifts.last_mut(),
        ) {
            shift.breaks.push(BreakView {
                id,
                start: stored_time(&start),
                end: stored_time(&end),
                kind,
            });
        }
    }
    shifts
}

/// The hour-by-hour ratio of `date` from its shifts and bookings, as seen at `now`: a dog counts
/// in an hour it was on site (checked in, not yet out) or, for hours still to come, is booked
/// and expected (see [`BookingView::presence`]).
pub fn hourly_staffing(
    tz: Tz,
    date: NaiveDate,
    ratio: u32,
    shifts: &[ShiftView],
    bookings: &[BookingView],
    now: DateTime<Utc>,
) -> Vec<HourStaffing> {
    let presence: Vec<_> = bookings
        .iter()
        .filter_map(|b| b.presence(now).map(|span| (span, b)))
        .collect();
    let first = shifts
        .iter()
        .map(|s| s.start.hour())
        .chain([DAY_OPENS.hour()])
        .min()
        .unwrap_or(0);
    let last = shifts
        .iter()
        .map(|s| s.end.minutes().div_ceil(60))
        .chain([DAY_CLOSES.minutes().div_ceil(60)])
        .max()
        .unwrap_or(24)
        .min(24);
    (first..last)
        .map(|hour| {
            let start = clock::local_instant(
                tz,
                date,
                ClockTime::new(hour, 0).expect("hour of day").to_naive(),
            );
            let end = start + TimeDelta::hours(1);
            let dogs: BTreeSet<DogId> = presence
                .iter()
                .filter(|((from, to), _)| *from < end && *to > start)
                .flat_map(|(_, b)| b.dogs.iter().map(|d| d.id))
                .collect();
            let dogs = dogs.len() as u32;
            let staff = (hour * 60..hour * 60 + 60)
                .map(|minute| shifts.iter().filter(|s| s.on_duty(minute)).count() as u32)
                .min()
                .unwrap_or(0);
            HourStaffing {
                hour: ClockTime::new(hour, 0).expect("hour of day"),
                dogs,
                staff_on_duty: staff,
                dogs_per_staff: (staff > 0)
                    .then(|| (f64::from(dogs) * 100.0 / f64::from(staff)).round() / 100.0),
                over_ratio: staff > 0 && dogs > ratio * staff,
                no_staff: staff == 0 && dogs > 0,
            }
        })
        .collect()
}

impl Facility {
    /// The shifts of `date` with their breaks, earliest first.
    pub async fn shifts_on(&self, date: NaiveDate) -> FacilityResult<Vec<ShiftView>> {
        let rows = db::schedules::shifts_on(&mut self.db().conn().await?, date).await?;
        Ok(group_shifts(rows))
    }

    /// The staff schedule of `date`: shifts with breaks and the dog:staff ratio by hour, as
    /// seen at `now`.
    pub async fn staff_schedule(
        &self,
        date: NaiveDate,
        now: DateTime<Utc>,
    ) -> FacilityResult<StaffDay> {
        let tz = self.timezone();
        let shifts = self.shifts_on(date).await?;
        let (from, to) = clock::day_bounds(tz, date);
        let rows = db::bookings::stays_between(&mut self.db().conn().await?, from, to).await?;
        let bookings = group_stays(tz, rows);
        let ratio = self.settings().staff_ratio;
        Ok(StaffDay {
            date,
            staff_ratio: ratio,
            hours: hourly_staffing(tz, date, ratio, &shifts, &bookings, now),
            shifts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facility::bookings::{CustomerRef, DogRef};
    use chrono_tz::America::New_York;

    fn t(s: &str) -> ClockTime {
        s.parse().unwrap()
    }

    fn shift(start: &str, end: &str, breaks: &[(&str, &str)]) -> ShiftView {
        ShiftView {
            id: StaffScheduleId::new(),
            date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
            updated_at: Utc::now(),
            staff_user_id: StaffUserId::new(),
            staff_name: "Sam".into(),
            role: ShiftRole::Handler,
            start: t(start),
            end: t(end),
            breaks: breaks
                .iter()
                .map(|(s, e)| BreakView {
                    id: StaffBreakId::new(),
                    start: t(s),
                    end: t(e),
                    kind: BreakType::Short,
                })
                .collect(),
        }
    }

    fn daycare(date: NaiveDate, dogs: usize) -> BookingView {
        let at = |h| clock::local_instant(New_York, date, t(h).to_naive());
        BookingView {
            id: BookingId::new(),
            customer: CustomerRef {
                id: CustomerId::new(),
                name: "Pat Doe".into(),
                phone: None,
            },
            service: ServiceKind::Daycare,
            status: BookingStatus::Confirmed,
            start_at: at("08:00"),
            end_at: at("18:00"),
            first_day: date,
            last_day: date,
            dogs: (0..dogs)
                .map(|i| DogRef {
                    id: DogId::new(),
                    name: format!("Dog {i}"),
                    breed: None,
                })
                .collect(),
            notes: None,
            created_at: at("08:00"),
            checked_in_at: None,
            checked_out_at: None,
        }
    }

    /// The start of `date`: every booking of the day still to come.
    fn before(date: NaiveDate) -> DateTime<Utc> {
        clock::day_bounds(New_York, date).0
    }

    fn hour(hours: &[HourStaffing], h: &str) -> HourStaffing {
        hours.iter().find(|x| x.hour == t(h)).unwrap().clone()
    }

    #[test]
    fn breaks_take_staff_off_duty_for_the_ratio() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let bookings = [daycare(date, 17)];
        let shifts = [
            shift("08:00", "18:00", &[("12:00", "13:00")]),
            shift("08:00", "18:00", &[]),
        ];
        let hours = hourly_staffing(New_York, date, 8, &shifts, &bookings, before(date));
        // 17 dogs, two people: 8.5 each, over 8:1; during the lunch one person has all 17.
        let eleven = hour(&hours, "11:00");
        assert_eq!((eleven.dogs, eleven.staff_on_duty), (17, 2));
        assert!(eleven.over_ratio);
        assert_eq!(hour(&hours, "12:00").staff_on_duty, 1);
        let bookings = [daycare(date, 16)];
        let hours = hourly_staffing(New_York, date, 8, &shifts, &bookings, before(date));
        assert!(
            !hour(&hours, "11:00").over_ratio,
            "16 dogs, 2 staff is exactly 8:1"
        );
        assert!(
            hour(&hours, "12:00").over_ratio,
            "16 dogs, 1 staff on lunch"
        );
        let without_break = [shift("08:00", "18:00", &[]), shift("08:00", "18:00", &[])];
        let hours = hourly_staffing(New_York, date, 8, &without_break, &bookings, before(date));
        assert!(!hour(&hours, "12:00").over_ratio);
    }

    #[test]
    fn a_short_break_counts_for_its_whole_hour_and_dogs_alone_are_flagged() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let bookings = [daycare(date, 3)];
        let shifts = [shift("09:00", "17:00", &[("10:15", "10:30")])];
        let hours = hourly_staffing(New_York, date, 8, &shifts, &bookings, before(date));
        let ten = hour(&hours, "10:00");
        assert_eq!(ten.staff_on_duty, 0);
        assert!(ten.no_staff && !ten.over_ratio);
        assert_eq!(ten.dogs_per_staff, None);
        assert!(
            hour(&hours, "08:00").no_staff,
            "dogs arrive before the shift starts"
        );
        assert_eq!(hour(&hours, "09:00").dogs_per_staff, Some(3.0));
        assert_eq!(hours.first().unwrap().hour, t("08:00"));
        assert_eq!(hours.last().unwrap().hour, t("17:00"));
    }
}
