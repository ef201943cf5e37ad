//! The dashboard: the facility at a moment (dogs on site, capacity, staff on duty, arrivals and
//! departures, compliance flags), and the today summary AIM's `get_today_summary` tool and the
//! chat context read.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::bookings::{BookingView, CustomerRef, DogRef, dogs_per_day, percent};
use super::clock::{self, ClockTime};
use super::compliance::ComplianceFlag;
use super::staffing::{HourStaffing, hourly_staffing};
use super::{Facility, FacilityResult};
use crate::db;
use crate::domain::*;

/// How many days ahead the dashboard warns of lapsing vaccinations of dogs booked today.
pub const COMPLIANCE_WARNING_DAYS: u32 = 7;
/// How many open alerts the summary lists (all are counted).
const OPEN_ALERTS_LISTED: i64 = 5;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StaffOnDuty {
    pub staff_user_id: StaffUserId,
    pub name: String,
    pub role: ShiftRole,
    pub start: ClockTime,
    pub end: ClockTime,
    pub on_break: bool,
}

/// A drop-off or pick-up of the day.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Movement {
    pub booking_id: BookingId,
    /// Local time of the drop-off (arrivals) or pick-up (departures).
    pub time: ClockTime,
    pub service: ServiceKind,
    pub status: BookingStatus,
    pub customer: CustomerRef,
    pub dogs: Vec<DogRef>,
    /// Not checked in an hour after its start (arrivals only).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub late: bool,
}

/// The facility at one moment of one day.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FacilityStatus {
    pub date: NaiveDate,
    pub at: DateTime<Utc>,
    pub local_time: ClockTime,
    /// Dogs checked in and not yet checked out at this moment.
    pub dogs_on_site: u32,
    /// Dogs booked on the day who have not arrived yet (not checked in, not cancelled, not a
    /// no-show).
    pub dogs_expected: u32,
    /// Distinct dogs booked on the day.
    pub dogs_booked: u32,
    pub capacity: u32,
    pub places_left: i64,
    /// Dogs booked on the day as a percentage of capacity.
    pub occupancy_percent: f64,
    pub staff_on_duty: Vec<StaffOnDuty>,
    pub arrivals: Vec<Movement>,
    pub departures: Vec<Movement>,
    /// Dogs booked on the day whose required vaccinations are expired, missing, or lapse within
    /// a week.
    pub compliance_flags: Vec<ComplianceFlag>,
    /// Hours of the day over the dog:staff ratio, or with dogs and nobody on duty.
    pub staffing_gaps: Vec<HourStaffing>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertBrief {
    pub id: AlertId,
    #[serde(rename = "type")]
    pub kind: AlertType,
    pub severity: AlertSeverity,
    pub title: String,
    pub read: bool,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenAlerts {
    pub total: i64,
    pub critical: i64,
    pub warning: i64,
    pub info: i64,
    /// The most severe and newest few.
    pub latest: Vec<AlertBrief>,
}

/// What `get_today_summary` returns.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TodaySummary {
    #[serde(flatten)]
    pub status: FacilityStatus,
    /// Payments received today, in cents; `None` unless the viewer is a manager or admin.
    pub revenue_today_cents: Option<i64>,
    pub open_alerts: OpenAlerts,
}

fn movement(booking: &BookingView, time: DateTime<Utc>, tz: chrono_tz::Tz) -> Movement {
    Movement {
        late: false,
        booking_id: booking.id,
        time: ClockTime::of(time.with_timezone(&tz).time()),
        service: booking.service,
        status: booking.status,
        customer: booking.customer.clone(),
        dogs: booking.dogs.clone(),
    }
}

impl Facility {
    /// The facility at `at`, on the local day that contains it.
    pub async fn facility_status(&self, at: DateTime<Utc>) -> FacilityResult<FacilityStatus> {
        let tz = self.timezone();
        let date = clock::local_date(tz, at);
        let local_time = ClockTime::of(at.with_timezone(&tz).time());
        // The compliance window starts today: its bookings include the day's.
        let (compliance, week) = self
            .compliance_and_stays(date, COMPLIANCE_WARNING_DAYS)
            .await?;
        let bookings: Vec<BookingView> = week.into_iter().filter(|b| b.occupies(date)).collect();
        let shifts = self.shifts_on(date).await?;

        let booked = dogs_per_day(&bookings, date, date)
            .remove(&date)
            .unwrap_or_default();
        let on_site: BTreeSet<DogId> = bookings
            .iter()
            .filter(|b| b.on_site_at(at))
            .flat_map(|b| b.dogs.iter().map(|d| d.id))
            .collect();
        let expected: BTreeSet<DogId> = bookings
            .iter()
            .filter(|b| b.status.is_expected())
            .flat_map(|b| b.dogs.iter().map(|d| d.id))
            .filter(|d| !on_site.contains(d))
            .collect();
        let minute = local_time.minutes();
        let capacity = self.settings().capacity;
        let dogs_booked = booked.len() as u32;
        Ok(FacilityStatus {
            date,
            at,
            local_time,
            dogs_on_site: on_site.len() as u32,
            dogs_expected: expected.len() as u32,
            dogs_booked,
            capacity,
            places_left: i64::from(capacity) - i64::from(dogs_booked),
            occupancy_percent: percent(dogs_booked, capacity),
            staff_on_duty: shifts
                .iter()
                .filter(|s| s.in_shift(minute))
                .map(|s| StaffOnDuty {
                    staff_user_id: s.staff_user_id,
                    name: s.staff_name.clone(),
                    role: s.role,
                    start: s.start,
                    end: s.end,
                    on_break: s.on_break(minute),
                })
                .collect(),
            arrivals: bookings
                .iter()
                .filter(|b| b.first_day == date)
                .map(|b| Movement {
                    late: b.is_late(at),
                    ..movement(b, b.start_at, tz)
                })
                .collect(),
            departures: bookings
                .iter()
                .filter(|b| b.last_day == date)
                .map(|b| movement(b, b.end_at, tz))
                .collect(),
            compliance_flags: compliance
                .flags
                .into_iter()
                .filter(|f| f.next_booking == Some(date))
                .collect(),
            staffing_gaps: hourly_staffing(
                tz,
                date,
                self.settings().staff_ratio,
                &shifts,
                &bookings,
                at,
            )
            .into_iter()
            .filter(|h| h.over_ratio || h.no_staff)
            .collect(),
        })
    }

    /// Today's summary as `viewer` may see it: revenue only for managers and admins.
    pub async fn today_summary(
        &self,
        viewer: &Actor,
        now: DateTime<Utc>,
    ) -> FacilityResult<TodaySummary> {
        let status = self.facility_status(now).await?;
        let revenue_today_cents = if viewer.role.is_manager() {
            Some(self.revenue_total(viewer, status.date).await?)
        } else {
            None
        };
        let mut conn = self.db().conn().await?;
        let open = db::alerts::open(&mut conn, OPEN_ALERTS_LISTED).await?;
        let open_alerts = OpenAlerts {
            total: open.total,
            critical: open.critical,
            warning: open.warning,
            info: open.info,
            latest: open
                .latest
                .into_iter()
                .map(|a| AlertBrief {
                    id: a.id,
                    kind: a.kind,
                    severity: a.severity,
                    title: a.title,
                    read: a.read_at.is_some(),
                    created_at: a.created_at,
                })
                .collect(),
        };
        Ok(TodaySummary {
            status,
            revenue_today_cents,
            open_alerts,
        })
    }
}
