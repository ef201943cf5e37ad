//! The alert checks: what in the facility deserves an alert right now.
//!
//! Each check is a pure function of a [`Snapshot`] — the facts of the facility at one moment,
//! read once by [`Facility::alert_snapshot`] — and the [`Thresholds`] of SPEC's alert table, so
//! every boundary is testable without a database. A check returns [`Finding`]s; storing them
//! as alerts, once per open issue, is the alert store's job (it dedupes by type and
//! [`Finding::key`]). Weather is not here: it needs a provider, not the facility's data (see
//! [`super::weather`]).

use chrono::{DateTime, Days, NaiveDate, TimeDelta, Utc};
use serde_json::{Value, json};

use crate::db;
use crate::domain::{AlertSeverity, AlertType};
use crate::facility::compliance::{ComplianceFlag, VaccinationStatus};
use crate::facility::staffing::HourStaffing;
use crate::facility::{Facility, FacilityError, FacilityResult, FacilitySettings, MAX_RANGE_DAYS};

/// One issue a check found, ready to become an alert.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub kind: AlertType,
    pub severity: AlertSeverity,
    /// Names the issue within its type, so the same issue found again is recognised:
    /// `2026-11-25T13` (a staffing hour), `2026-11-27` (a capacity day), `<dog_id>/<vaccine>`
    /// (a compliance gap), `2026-11-25` (the day of a booking spike).
    pub key: String,
    pub title: String,
    pub description: String,
    /// The facts behind the finding (dates, counts, ids, thresholds), including `"key"`.
    pub data: Value,
}

/// The limits of the checks, as SPEC's alert table sets them. Capacity and the staff ratio
/// are the facility's own settings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// A day with more dogs booked than this share of capacity is a warning…
    pub capacity_warning_percent: f64,
    /// …and above this share, critical.
    pub capacity_critical_percent: f64,
    /// Capacity is checked for today and this many days after it.
    pub capacity_days_ahead: u32,
    /// Dogs booked from today to this many days ahead are checked for vaccinations.
    pub compliance_days_ahead: u32,
    /// Bookings created in the last 24 h above this multiple of the daily mean are a spike…
    pub spike_factor: f64,
    /// …when they are at least this many.
    pub spike_min_bookings: u32,
    /// The days before the last 24 h whose mean is the baseline of a spike.
    pub spike_baseline_days: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            capacity_warning_percent: 80.0,
            capacity_critical_percent: 95.0,
            capacity_days_ahead: 7,
            compliance_days_ahead: 7,
            spike_factor: 2.0,
            spike_min_bookings: 5,
            spike_baseline_days: 14,
        }
    }
}

impl Thresholds {
    /// The facility's stored limits (SPEC's defaults until someone changes them).
    pub async fn load(db: &crate::db::Db) -> crate::db::DbResult<Thresholds> {
        let row = crate::db::settings::alert_thresholds(&mut db.conn().await?).await?;
        let days = |n: i64| u32::try_from(n).unwrap_or(0);
        Ok(Thresholds {
            capacity_warning_percent: row.capacity_warning_percent,
            capacity_critical_percent: row.capacity_critical_percent,
            capacity_days_ahead: days(row.alert_days_ahead),
            compliance_days_ahead: days(row.alert_days_ahead),
            spike_factor: row.spike_factor,
            spike_min_bookings: days(row.spike_min_bookings),
            spike_baseline_days: days(row.spike_baseline_days),
        })
    }
}

/// What the checks look at: plain data, read at one moment.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// The facility's local date at `now`.
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
    pub settings: FacilitySettings,
    /// Today's staffing, hour by hour.
    pub hours: Vec<HourStaffing>,
    /// Distinct dogs booked on each day from today to `capacity_days_ahead` after it.
    pub days: Vec<(NaiveDate, u32)>,
    /// Vaccination gaps of dogs booked from today to `compliance_days_ahead` after it.
    pub compliance: Vec<ComplianceFlag>,
    /// Bookings created in `[now - 24 h, now)`.
    pub bookings_created_last_24h: u32,
    /// Bookings created in each 24 h before that, most recent first: entry `i` counts
    /// `[now - 24 h × (i + 2), now - 24 h × (i + 1))`.
    pub bookings_created_per_day_before: Vec<u32>,
}

fn finding(
    kind: AlertType,
    severity: AlertSeverity,
    key: String,
    title: String,
    description: String,
    mut data: Value,
) -> Finding {
    if let Some(facts) = data.as_object_mut() {
        facts.insert("key".to_owned(), Value::String(key.clone()));
    }
    Finding {
        kind,
        severity,
        key,
        title,
        description,
        data,
    }
}

/// Hours of today with more dogs per staff member on duty than the facility's ratio (staff on
/// a break are off duty): a warning; dogs present and nobody on duty: critical. Exactly the
/// ratio (8 dogs for 1 person at 8:1) is not a gap.
pub fn staffing_gaps(snap: &Snapshot, _th: &Thresholds) -> Vec<Finding> {
    let ratio = snap.settings.staff_ratio;
    snap.hours
        .iter()
        .filter(|h| h.over_ratio || h.no_staff)
        .map(|h| {
            let hour = h.hour.hour();
            let key = format!("{}T{hour:02}", snap.today);
            let span = format!("{:02}:00–{:02}:00", hour, hour + 1);
            let data = json!({
                "date": snap.today,
                "hour": h.hour.to_string(),
                "dogs": h.dogs,
                "staffOnDuty": h.staff_on_duty,
                "dogsPerStaff": h.dogs_per_staff,
                "staffRatio": ratio,
            });
            if h.no_staff {
                finding(
                    AlertType::StaffingGap,
                    AlertSeverity::Critical,
                    key,
                    format!("No staff on duty {span} with {} dogs on site", h.dogs),
                    format!(
                        "On {} between {span}, {} dogs are booked and nobody is on duty \
                         (breaks included). Move a break or call someone in.",
                        snap.today, h.dogs
                    ),
                    data,
                )
            } else {
                let per_staff = h.dogs_per_staff.unwrap_or_default();
                finding(
                    AlertType::StaffingGap,
                    AlertSeverity::Warning,
                    key,
                    format!("Understaffed {span}: {per_staff} dogs per staff member"),
                    format!(
                        "On {} between {span}, {} dogs are booked for {} staff on duty \
                         ({per_staff} each), over the {ratio}:1 ratio.",
                        snap.today, h.dogs, h.staff_on_duty
                    ),
                    data,
                )
            }
        })
        .collect()
}

/// Days (today and the days ahead in the snapshot) with more dogs booked than
/// `capacity_warning_percent` of capacity: a warning; more than `capacity_critical_percent`:
/// critical. Both are strict, as the original design's `>80%`: 32 of 40 (80 %) raises
/// nothing, 38 of 40 (95 %) a warning.
pub fn capacity(snap: &Snapshot, th: &Thresholds) -> Vec<Finding> {
    let capacity = snap.settings.capacity;
    // Compared as dogs × 100 against percent × capacity: exact for whole numbers, no rounding.
    let over = |dogs: u32, percent: f64| f64::from(dogs) * 100.0 > percent * f64::from(capacity);
    snap.days
        .iter()
        .filter(|(_, dogs)| *dogs > 0 && over(*dogs, th.capacity_warning_percent))
        .map(|&(date, dogs)| {
            let critical = over(dogs, th.capacity_critical_percent);
            let (severity, limit) = if critical {
                (AlertSeverity::Critical, th.capacity_critical_percent)
            } else {
                (AlertSeverity::Warning, th.capacity_warning_percent)
            };
            let occupancy = if capacity == 0 {
                100.0
            } else {
                (f64::from(dogs) * 1000.0 / f64::from(capacity)).round() / 10.0
            };
            finding(
                AlertType::CapacityWarning,
                severity,
                date.to_string(),
                format!("{date}: {dogs} of {capacity} places booked ({occupancy} %)"),
                format!(
                    "{dogs} dogs are booked on {date}, {occupancy} % of the capacity of \
                     {capacity}: above {limit} %. {}",
                    if dogs >= capacity {
                        "No places are left."
                    } else {
                        "Few places are left; check before taking more bookings."
                    }
                ),
                json!({
                    "date": date,
                    "dogsBooked": dogs,
                    "capacity": capacity,
                    "occupancyPercent": occupancy,
                    "warningPercent": th.capacity_warning_percent,
                    "criticalPercent": th.capacity_critical_percent,
                }),
            )
        })
        .collect()
}

/// Booked dogs whose required vaccination will not be valid on a booked day within the window
/// (expired, never recorded, or lapsing before a later day of the stay or a later stay):
/// critical, naming the first such day; valid on every booked day but lapsing within the
/// window: a warning. "Valid on the day" is the facility's own rule
/// ([`crate::facility::compliance::valid_on`], already applied in
/// [`ComplianceFlag::first_invalid_booking`]): a vaccination that expires on the last day of
/// the stay still covers it, so it is a warning. One finding per dog and vaccine.
pub fn compliance(snap: &Snapshot, th: &Thresholds) -> Vec<Finding> {
    snap.compliance
        .iter()
        .filter_map(|flag| {
            let next = flag.next_booking?;
            // The day the stay is at risk when there is one, else the next booked day.
            let day = flag.first_invalid_booking.unwrap_or(next);
            let key = format!("{}/{}", flag.dog_id, flag.vaccine);
            let (dog, vaccine, owner) = (&flag.dog_name, flag.vaccine, &flag.owner.name);
            let lapse = match (flag.status, flag.expires_on) {
                (VaccinationStatus::Missing, _) | (_, None) => "is not on record".to_owned(),
                (VaccinationStatus::Expired, Some(on)) => format!("expired on {on}"),
                (VaccinationStatus::ExpiringSoon, Some(on)) => format!("expires on {on}"),
            };
            let (severity, title, advice) = if flag.first_invalid_booking.is_some() {
                (
                    AlertSeverity::Critical,
                    format!("{dog}'s {vaccine} vaccination will not be valid on {day}"),
                    "The dog may not stay until it is renewed",
                )
            } else {
                (
                    AlertSeverity::Warning,
                    format!("{dog}'s {vaccine} vaccination is expiring"),
                    "Ask the owner to renew it before it lapses",
                )
            };
            Some(finding(
                AlertType::Compliance,
                severity,
                key,
                title,
                format!("{dog} (owner {owner}) is booked on {day}; the {vaccine} vaccination {lapse}. {advice}."),
                json!({
                    "dogId": flag.dog_id,
                    "dogName": dog,
                    "customerId": flag.owner.id,
                    "vaccine": vaccine,
                    "status": flag.status,
                    "expiresOn": flag.expires_on,
                    "bookedOn": day,
                    "validOnBookedDay": flag.first_invalid_booking.is_none(),
                    "daysAhead": th.compliance_days_ahead,
                }),
            ))
        })
        .collect()
}

/// More bookings created in the last 24 h than `spike_factor` × the daily mean of the days
/// before (strictly more: 10 against a mean of 5 is no spike at 2×), and at least
/// `spike_min_bookings`: a warning. Critical at twice the threshold or more, the threshold
/// being the larger of `spike_factor` × mean and `spike_min_bookings` (so a quiet history with
/// a mean of 0 turns critical at 10 bookings, not at the first 5).
pub fn booking_spike(snap: &Snapshot, th: &Thresholds) -> Vec<Finding> {
    let recent = snap.bookings_created_last_24h;
    let before = &snap.bookings_created_per_day_before;
    let mean = if before.is_empty() {
        0.0
    } else {
        before.iter().map(|&n| f64::from(n)).sum::<f64>() / before.len() as f64
    };
    let threshold = th.spike_factor * mean;
    if f64::from(recent) <= threshold || recent < th.spike_min_bookings {
        return Vec::new();
    }
    let critical_at = 2.0 * threshold.max(f64::from(th.spike_min_bookings));
    let severity = if f64::from(recent) >= critical_at {
        AlertSeverity::Critical
    } else {
        AlertSeverity::Warning
    };
    let mean = (mean * 10.0).round() / 10.0;
    vec![finding(
        AlertType::BookingSpike,
        severity,
        snap.today.to_string(),
        format!("Booking spike: {recent} bookings in the last 24 hours"),
        format!(
            "{recent} bookings were created in the last 24 hours, against {mean} a day over \
             the {} days before. Check capacity and staffing for the days they cover.",
            before.len()
        ),
        json!({
            "date": snap.today,
            "bookingsLast24h": recent,
            "dailyMean": mean,
            "baselineDays": before.len(),
            "spikeFactor": th.spike_factor,
            "minBookings": th.spike_min_bookings,
        }),
    )]
}

/// Every check: staffing, capacity, compliance, booking spike, in that order.
pub fn all(snap: &Snapshot, th: &Thresholds) -> Vec<Finding> {
    [staffing_gaps, capacity, compliance, booking_spike]
        .iter()
        .flat_map(|check| check(snap, th))
        .collect()
}

impl Facility {
    /// Reads what the checks look at, as of `now`: today's hourly staffing, dogs booked per
    /// day, vaccination gaps of booked dogs, and bookings created per 24 h counted back from
    /// `now`.
    pub async fn alert_snapshot(
        &self,
        now: DateTime<Utc>,
        th: &Thresholds,
    ) -> FacilityResult<Snapshot> {
        let today = self.today(now);
        let hours = self.staff_schedule(today, now).await?.hours;
        let last_day = today + Days::new(u64::from(th.capacity_days_ahead));
        let days = self
            .schedule(today, last_day, None)
            .await?
            .days
            .into_iter()
            .map(|d| (d.date, d.dogs_booked))
            .collect();
        let compliance = self
            .compliance(today, th.compliance_days_ahead)
            .await?
            .booked()
            .cloned()
            .collect();
        if i64::from(th.spike_baseline_days) > MAX_RANGE_DAYS {
            return Err(FacilityError::InvalidInput {
                field: "spike_baseline_days",
                message: format!("at most {MAX_RANGE_DAYS} days"),
            });
        }
        let day = TimeDelta::hours(24);
        let spans: Vec<_> = (0..=th.spike_baseline_days as i32)
            .map(|i| (now - day * (i + 1), now - day * i))
            .collect();
        let counts = db::bookings::created_in(&mut self.db().conn().await?, &spans).await?;
        let mut counts = counts
            .into_iter()
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
        Ok(Snapshot {
            today,
            now,
            settings: self.settings(),
            hours,
            days,
            compliance,
            bookings_created_last_24h: counts.next().unwrap_or(0),
            bookings_created_per_day_before: counts.collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;
    use crate::facility::bookings::{BookingView, CustomerRef, DogRef};
    use crate::facility::clock::{self, ClockTime};
    use crate::facility::compliance::valid_on;
    use crate::facility::staffing::{BreakView, ShiftView, hourly_staffing};
    use chrono_tz::America::New_York;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn day(offset: u64) -> NaiveDate {
        today() + Days::new(offset)
    }

    fn t(s: &str) -> ClockTime {
        s.parse().unwrap()
    }

    fn snapshot() -> Snapshot {
        Snapshot {
            today: today(),
            now: clock::local_instant(New_York, today(), t("07:00").to_naive()),
            settings: FacilitySettings {
                capacity: 40,
                staff_ratio: 8,
                timezone: New_York,
            },
            hours: Vec::new(),
            days: Vec::new(),
            compliance: Vec::new(),
            bookings_created_last_24h: 0,
            bookings_created_per_day_before: vec![0; 14],
        }
    }

    fn shift(start: &str, end: &str, breaks: &[(&str, &str)]) -> ShiftView {
        ShiftView {
            id: StaffScheduleId::new(),
            date: today(),
            updated_at: Utc::now(),
            staff_user_id: StaffUserId::new(),
            staff_name: "Sam Rivera".into(),
            role: ShiftRole::Handler,
            start: t(start),
            end: t(end),
            breaks: breaks
                .iter()
                .map(|(s, e)| BreakView {
                    id: StaffBreakId::new(),
                    start: t(s),
                    end: t(e),
                    kind: BreakType::Lunch,
                })
                .collect(),
        }
    }

    /// Daycare 08:00–18:00 today for `dogs` dogs.
    fn daycare(dogs: usize) -> BookingView {
        let at = |h| clock::local_instant(New_York, today(), t(h).to_naive());
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
            first_day: today(),
            last_day: today(),
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

    /// Today's hours, staffed by `shifts`, with `dogs` dogs in daycare — through the
    /// facility's own `hourly_staffing`.
    fn staffed(dogs: usize, shifts: &[ShiftView]) -> Snapshot {
        Snapshot {
            hours: hourly_staffing(
                New_York,
                today(),
                8,
                shifts,
                &[daycare(dogs)],
                clock::day_bounds(New_York, today()).0,
            ),
            ..snapshot()
        }
    }

    fn with_days(days: &[u32]) -> Snapshot {
        Snapshot {
            days: days
                .iter()
                .enumerate()
                .map(|(i, &dogs)| (day(i as u64), dogs))
                .collect(),
            ..snapshot()
        }
    }

    /// A gap of a dog booked on `booked` (one day) whose vaccination expires on `expires_on`,
    /// flagged as the facility's compliance report flags it.
    fn gap(
        vaccine: VaccineKind,
        expires_on: Option<NaiveDate>,
        booked: NaiveDate,
    ) -> ComplianceFlag {
        let status = match expires_on {
            None => VaccinationStatus::Missing,
            Some(on) if on < today() => VaccinationStatus::Expired,
            Some(_) => VaccinationStatus::ExpiringSoon,
        };
        ComplianceFlag {
            dog_id: DogId::new(),
            dog_name: "Biscuit".into(),
            owner: CustomerRef {
                id: CustomerId::new(),
                name: "Mark Huggins".into(),
                phone: None,
            },
            vaccine,
            status,
            expires_on,
            next_booking: Some(booked),
            invalid_on_next_booking: !valid_on(expires_on, booked),
            first_invalid_booking: (!valid_on(expires_on, booked)).then_some(booked),
        }
    }

    fn with_gaps(flags: Vec<ComplianceFlag>) -> Snapshot {
        Snapshot {
            compliance: flags,
            ..snapshot()
        }
    }

    fn with_bookings(last_24h: u32, before: Vec<u32>) -> Snapshot {
        Snapshot {
            bookings_created_last_24h: last_24h,
            bookings_created_per_day_before: before,
            ..snapshot()
        }
    }

    fn severities(findings: &[Finding]) -> Vec<AlertSeverity> {
        findings.iter().map(|f| f.severity).collect()
    }

    #[test]
    fn exactly_the_staff_ratio_is_no_gap_and_one_dog_more_is() {
        let th = Thresholds::default();
        let one = [shift("07:00", "19:00", &[])];
        assert!(
            staffing_gaps(&staffed(8, &one), &th).is_empty(),
            "8 dogs, 1 staff is 8:1"
        );

        let found = staffing_gaps(&staffed(9, &one), &th);
        assert_eq!(found.len(), 10, "every hour of the day, 08:00 to 17:00");
        assert!(
            found
                .iter()
                .all(|f| f.kind == AlertType::StaffingGap && f.severity == AlertSeverity::Warning)
        );
        let ten = found.iter().find(|f| f.key == "2026-11-25T10").unwrap();
        assert_eq!(ten.data["key"], "2026-11-25T10");
        assert_eq!(ten.data["hour"], "10:00");
        assert_eq!(ten.data["dogs"], 9);
        assert_eq!(ten.data["staffOnDuty"], 1);
        assert_eq!(ten.data["dogsPerStaff"], 9.0);
        assert_eq!(ten.data["staffRatio"], 8);
        assert!(ten.title.contains("10:00–11:00"), "{}", ten.title);
    }

    #[test]
    fn a_break_that_takes_the_only_staff_member_off_duty_is_critical() {
        let th = Thresholds::default();
        let alone = [shift("07:00", "19:00", &[("12:00", "13:00")])];
        let found = staffing_gaps(&staffed(5, &alone), &th);
        assert_eq!(severities(&found), [AlertSeverity::Critical]);
        assert_eq!(found[0].key, "2026-11-25T12");
        assert_eq!(found[0].data["staffOnDuty"], 0);
        assert_eq!(found[0].data["dogsPerStaff"], Value::Null);

        let covered = [
            shift("07:00", "19:00", &[("12:00", "13:00")]),
            shift("11:00", "15:00", &[]),
        ];
        assert!(staffing_gaps(&staffed(5, &covered), &th).is_empty());
        assert!(
            staffing_gaps(&staffed(0, &alone), &th).is_empty(),
            "nobody on duty and no dogs is no gap"
        );
    }

    #[test]
    fn capacity_warns_above_80_percent_and_is_critical_above_95() {
        let th = Thresholds::default();
        // 40 places: 32 is exactly 80 %, 33 above; 38 is exactly 95 %, 39 above.
        let found = capacity(&with_days(&[32, 33, 38, 39, 40, 0, 12, 41]), &th);
        let got: Vec<(&str, AlertSeverity)> =
            found.iter().map(|f| (f.key.as_str(), f.severity)).collect();
        assert_eq!(
            got,
            [
                ("2026-11-26", AlertSeverity::Warning),
                ("2026-11-27", AlertSeverity::Warning),
                ("2026-11-28", AlertSeverity::Critical),
                ("2026-11-29", AlertSeverity::Critical),
                ("2026-12-02", AlertSeverity::Critical),
            ]
        );
        let first = &found[0];
        assert_eq!(first.kind, AlertType::CapacityWarning);
        assert_eq!(first.data["key"], "2026-11-26");
        assert_eq!(first.data["date"], "2026-11-26");
        assert_eq!(first.data["dogsBooked"], 33);
        assert_eq!(first.data["capacity"], 40);
        assert_eq!(first.data["occupancyPercent"], 82.5);
        assert_eq!(first.data["warningPercent"], 80.0);
    }

    #[test]
    fn a_vaccination_expiring_on_the_day_of_the_stay_still_covers_it() {
        let th = Thresholds::default();
        let on_the_day = gap(VaccineKind::Bordetella, Some(day(2)), day(2));
        let found = compliance(&with_gaps(vec![on_the_day.clone()]), &th);
        assert_eq!(severities(&found), [AlertSeverity::Warning]);
        assert_eq!(found[0].key, format!("{}/bordetella", on_the_day.dog_id));
        assert_eq!(found[0].data["key"], found[0].key.as_str());
        assert_eq!(found[0].data["validOnBookedDay"], true);

        let day_before = gap(VaccineKind::Bordetella, Some(day(1)), day(2));
        let found = compliance(&with_gaps(vec![day_before]), &th);
        assert_eq!(severities(&found), [AlertSeverity::Critical]);
        assert!(
            found[0].title.contains("will not be valid on 2026-11-27"),
            "{}",
            found[0].title
        );
    }

    #[test]
    fn a_vaccination_lapsing_during_a_stay_puts_the_later_day_at_risk() {
        let th = Thresholds::default();
        // Valid on the first booked day, lapsed by a later one.
        let mut lapsing = gap(VaccineKind::Rabies, Some(day(2)), day(1));
        lapsing.first_invalid_booking = Some(day(3));
        let found = compliance(&with_gaps(vec![lapsing]), &th);
        assert_eq!(severities(&found), [AlertSeverity::Critical]);
        assert!(
            found[0].title.contains("will not be valid on 2026-11-28"),
            "{}",
            found[0].title
        );
        assert_eq!(found[0].data["bookedOn"], "2026-11-28");
        assert_eq!(found[0].data["validOnBookedDay"], false);
    }

    #[test]
    fn expired_or_missing_vaccinations_are_critical_and_expiring_ones_warnings() {
        let th = Thresholds::default();
        let expired = gap(VaccineKind::Rabies, Some(day(0) - Days::new(1)), day(0));
        let missing = gap(VaccineKind::Dhpp, None, day(3));
        let expiring = gap(VaccineKind::Bordetella, Some(day(5)), day(0));
        let mut unbooked = gap(VaccineKind::Rabies, Some(day(0) - Days::new(30)), day(0));
        unbooked.next_booking = None;
        unbooked.invalid_on_next_booking = false;
        unbooked.first_invalid_booking = None;
        let found = compliance(&with_gaps(vec![expired, missing, expiring, unbooked]), &th);
        assert_eq!(
            severities(&found),
            [
                AlertSeverity::Critical,
                AlertSeverity::Critical,
                AlertSeverity::Warning
            ],
            "one finding per booked dog and vaccine"
        );
        assert!(
            found[0].description.contains("expired on 2026-11-24"),
            "{}",
            found[0].description
        );
        assert!(
            found[1].description.contains("not on record"),
            "{}",
            found[1].description
        );
        assert!(
            found[2].description.contains("expires on 2026-11-30"),
            "{}",
            found[2].description
        );
        assert_eq!(found[2].data["vaccine"], "bordetella");
        assert_eq!(found[2].data["status"], "expiring_soon");
        assert_eq!(found[2].data["bookedOn"], "2026-11-25");
    }

    #[test]
    fn a_spike_is_more_than_twice_the_daily_mean_and_at_least_five() {
        let th = Thresholds::default();
        let mean_5 = vec![5; 14];
        assert!(
            booking_spike(&with_bookings(10, mean_5.clone()), &th).is_empty(),
            "exactly 2×"
        );
        let found = booking_spike(&with_bookings(11, mean_5.clone()), &th);
        assert_eq!(severities(&found), [AlertSeverity::Warning]);
        assert_eq!(found[0].kind, AlertType::BookingSpike);
        assert_eq!(found[0].key, "2026-11-25");
        assert_eq!(found[0].data["key"], "2026-11-25");
        assert_eq!(found[0].data["bookingsLast24h"], 11);
        assert_eq!(found[0].data["dailyMean"], 5.0);
        assert_eq!(found[0].data["baselineDays"], 14);
        assert_eq!(
            severities(&booking_spike(&with_bookings(19, mean_5.clone()), &th)),
            [AlertSeverity::Warning]
        );
        assert_eq!(
            severities(&booking_spike(&with_bookings(20, mean_5), &th)),
            [AlertSeverity::Critical],
            "twice the threshold of 10"
        );

        assert!(
            booking_spike(&with_bookings(4, vec![1; 14]), &th).is_empty(),
            "4 is over 2× a mean of 1 but below the minimum of 5"
        );
        assert_eq!(
            severities(&booking_spike(&with_bookings(5, vec![1; 14]), &th)),
            [AlertSeverity::Warning]
        );
        // No history: the minimum is the threshold, critical at twice it.
        assert_eq!(
            severities(&booking_spike(&with_bookings(9, vec![0; 14]), &th)),
            [AlertSeverity::Warning]
        );
        assert_eq!(
            severities(&booking_spike(&with_bookings(10, Vec::new()), &th)),
            [AlertSeverity::Critical]
        );
    }

    #[test]
    fn all_runs_every_check() {
        let th = Thresholds::default();
        let snap = Snapshot {
            days: vec![(today(), 39)],
            compliance: vec![gap(VaccineKind::Rabies, None, today())],
            bookings_created_last_24h: 30,
            ..staffed(9, &[shift("07:00", "19:00", &[])])
        };
        let mut kinds: Vec<AlertType> = all(&snap, &th).iter().map(|f| f.kind).collect();
        kinds.dedup();
        assert_eq!(
            kinds,
            [
                AlertType::StaffingGap,
                AlertType::CapacityWarning,
                AlertType::Compliance,
                AlertType::BookingSpike
            ]
        );
        assert!(
            all(&snapshot(), &th).is_empty(),
            "a quiet day raises nothing"
        );
    }
}
