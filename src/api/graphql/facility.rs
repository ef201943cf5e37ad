//! The facility at a glance: the dashboard's status of a day, as typed objects.

use async_graphql::{Context, Enum, ID, Object, Result, SimpleObject};
use chrono::{DateTime, NaiveTime, Utc};

use super::scalars::Date;
use super::{actor, data, gql_error};
use crate::aim::AimError;
use crate::facility::bookings::{CustomerRef, DogRef};
use crate::facility::compliance::{self, VaccinationStatus as VaccinationStatusValue};
use crate::facility::dashboard::{self, Movement};
use crate::facility::staffing::HourStaffing;
use crate::facility::{Facility, clock};

/// The local time of day `facilityStatus` looks at on a day other than today.
const OTHER_DAY_TIME: NaiveTime = NaiveTime::from_hms_opt(12, 0, 0).expect("noon");

/// Facility queries.
#[derive(Default)]
pub struct FacilityQuery;

#[Object]
impl FacilityQuery {
    /// The facility now, or on another day: for a date other than today, the status at noon
    /// (facility time) that day — who is on site and on duty at noon, the day's bookings,
    /// arrivals, departures, compliance flags and staffing gaps.
    async fn facility_status(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The day (facility time zone); today unless given.")] date: Option<Date>,
    ) -> Result<FacilityStatus> {
        actor(ctx)?;
        let facility = data::<Facility>(ctx)?;
        let now = crate::domain::now();
        let at = match date {
            Some(Date(day)) if day != facility.today(now) => {
                clock::local_instant(facility.timezone(), day, OTHER_DAY_TIME)
            }
            _ => now,
        };
        let status = facility
            .facility_status(at)
            .await
            .map_err(|err| gql_error(AimError::from(err)))?;
        Ok(FacilityStatus::of(status, facility.timezone()))
    }
}

/// What a staff member does during a shift.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::ShiftRole")]
pub enum ShiftRole {
    /// Looks after the dogs.
    Handler,
    /// Takes drop-offs, pick-ups and calls.
    FrontDesk,
    /// Grooms.
    Groomer,
    /// Trains.
    Trainer,
    /// Manages the shift.
    Manager,
}

/// A service the facility sells.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::ServiceKind")]
pub enum ServiceKind {
    /// A day stay.
    Daycare,
    /// Overnight stays.
    Boarding,
    /// A grooming appointment.
    Grooming,
    /// A training session.
    Training,
}

/// Where a booking stands.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::BookingStatus")]
pub enum BookingStatus {
    /// Requested, not yet confirmed.
    Pending,
    /// Confirmed.
    Confirmed,
    /// The dogs are here.
    CheckedIn,
    /// The dogs went home.
    CheckedOut,
    /// Called off before check-in.
    Cancelled,
    /// Never arrived.
    NoShow,
}

/// A vaccination the facility tracks.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::VaccineKind")]
pub enum VaccineKind {
    /// Rabies (required).
    Rabies,
    /// Distemper, hepatitis, parvovirus, parainfluenza (required).
    Dhpp,
    /// Kennel cough (required).
    Bordetella,
    /// Leptospirosis.
    Leptospirosis,
    /// Canine influenza.
    CanineInfluenza,
    /// Lyme disease.
    Lyme,
}

/// What is wrong with a dog's vaccination.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::facility::compliance::VaccinationStatus")]
pub enum VaccinationStatus {
    /// Expired before the day.
    Expired,
    /// Never recorded.
    Missing,
    /// Still valid, but lapses within a week.
    ExpiringSoon,
}

/// The facility at one moment of one day.
#[derive(SimpleObject)]
pub struct FacilityStatus {
    /// The day (facility time zone).
    pub date: Date,
    /// The facility's time zone (IANA name, e.g. `America/New_York`): its dates and local
    /// times are in it.
    pub time_zone: String,
    /// The moment the status describes.
    pub at: DateTime<Utc>,
    /// That moment's local time, `HH:MM`.
    pub local_time: String,
    /// Dogs checked in and not yet checked out at that moment.
    pub dogs_on_site: u32,
    /// Dogs booked on the day who have not arrived yet (not checked in, cancelled or a
    /// no-show).
    pub dogs_expected: u32,
    /// Distinct dogs booked on the day.
    pub dogs_booked: u32,
    /// Dogs the facility takes in a day.
    pub capacity: u32,
    /// Capacity minus dogs booked (negative when overbooked).
    pub places_left: i64,
    /// Dogs booked as a percentage of capacity.
    pub occupancy_percent: f64,
    /// Staff in their shift at that moment.
    pub staff_on_duty: Vec<StaffOnDuty>,
    /// Bookings that start on the day.
    pub arrivals: Vec<FacilityMovement>,
    /// Bookings that end on the day.
    pub departures: Vec<FacilityMovement>,
    /// Dogs booked on the day whose required vaccinations are expired, missing, or lapse
    /// within a week.
    pub compliance_flags: Vec<ComplianceFlag>,
    /// Hours of the day over the dog:staff ratio, or with dogs and nobody on duty.
    pub staffing_gaps: Vec<StaffingHour>,
}

impl FacilityStatus {
    fn of(s: dashboard::FacilityStatus, time_zone: chrono_tz::Tz) -> Self {
        FacilityStatus {
            date: s.date.into(),
            time_zone: time_zone.name().to_owned(),
            at: s.at,
            local_time: s.local_time.to_string(),
            dogs_on_site: s.dogs_on_site,
            dogs_expected: s.dogs_expected,
            dogs_booked: s.dogs_booked,
            capacity: s.capacity,
            places_left: s.places_left,
            occupancy_percent: s.occupancy_percent,
            staff_on_duty: s
                .staff_on_duty
                .into_iter()
                .map(|d| StaffOnDuty {
                    staff_user_id: ID(d.staff_user_id.to_string()),
                    name: d.name,
                    role: d.role.into(),
                    start: d.start.to_string(),
                    end: d.end.to_string(),
                    on_break: d.on_break,
                })
                .collect(),
            arrivals: s.arrivals.into_iter().map(Into::into).collect(),
            departures: s.departures.into_iter().map(Into::into).collect(),
            compliance_flags: s.compliance_flags.into_iter().map(Into::into).collect(),
            staffing_gaps: s.staffing_gaps.into_iter().map(Into::into).collect(),
        }
    }
}

/// A staff member in their shift.
#[derive(SimpleObject)]
pub struct StaffOnDuty {
    /// The staff user's id.
    pub staff_user_id: ID,
    /// Their name.
    pub name: String,
    /// What they do this shift.
    pub role: ShiftRole,
    /// Shift start, local `HH:MM`.
    pub start: String,
    /// Shift end, local `HH:MM`.
    pub end: String,
    /// Whether they are on a break at that moment.
    pub on_break: bool,
}

/// A customer, briefly.
#[derive(SimpleObject)]
pub struct CustomerBrief {
    /// The customer's id.
    pub id: ID,
    /// Full name.
    pub name: String,
    /// Phone number, if on record.
    pub phone: Option<String>,
}

impl From<CustomerRef> for CustomerBrief {
    fn from(c: CustomerRef) -> Self {
        CustomerBrief {
            id: ID(c.id.to_string()),
            name: c.name,
            phone: c.phone,
        }
    }
}

/// A dog, briefly.
#[derive(SimpleObject)]
pub struct DogBrief {
    /// The dog's id.
    pub id: ID,
    /// Its name.
    pub name: String,
    /// Its breed, if on record.
    pub breed: Option<String>,
}

impl From<DogRef> for DogBrief {
    fn from(d: DogRef) -> Self {
        DogBrief {
            id: ID(d.id.to_string()),
            name: d.name,
            breed: d.breed,
        }
    }
}

/// A drop-off or pick-up of the day.
#[derive(SimpleObject)]
pub struct FacilityMovement {
    /// The booking.
    pub booking_id: ID,
    /// Local time of the drop-off (arrivals) or pick-up (departures), `HH:MM`.
    pub time: String,
    /// The booked service.
    pub service: ServiceKind,
    /// Where the booking stands.
    pub status: BookingStatus,
    /// Who booked.
    pub customer: CustomerBrief,
    /// The dogs coming or going.
    pub dogs: Vec<DogBrief>,
    /// Not checked in an hour after the booked drop-off (arrivals only).
    pub late: bool,
}

impl From<Movement> for FacilityMovement {
    fn from(m: Movement) -> Self {
        FacilityMovement {
            booking_id: ID(m.booking_id.to_string()),
            time: m.time.to_string(),
            service: m.service.into(),
            status: m.status.into(),
            customer: m.customer.into(),
            dogs: m.dogs.into_iter().map(Into::into).collect(),
            late: m.late,
        }
    }
}

/// A dog whose vaccination needs attention.
#[derive(SimpleObject)]
pub struct ComplianceFlag {
    /// The dog's id.
    pub dog_id: ID,
    /// The dog's name.
    pub dog_name: String,
    /// Its owner.
    pub owner: CustomerBrief,
    /// The vaccination at issue.
    pub vaccine: VaccineKind,
    /// What is wrong with it.
    pub status: VaccinationStatus,
    /// The latest expiry on record; null when never recorded.
    pub expires_on: Option<Date>,
    /// The dog's first booked day in the window, if booked.
    pub next_booking: Option<Date>,
    /// Whether the vaccination is invalid on that booked day (the booking is at risk).
    pub invalid_on_next_booking: bool,
    /// The first booked day in the window on which the vaccination is not valid (a later day
    /// of a stay, or a later stay, when it lapses after the first), if any.
    pub first_invalid_booking: Option<Date>,
}

impl From<compliance::ComplianceFlag> for ComplianceFlag {
    fn from(f: compliance::ComplianceFlag) -> Self {
        ComplianceFlag {
            dog_id: ID(f.dog_id.to_string()),
            dog_name: f.dog_name,
            owner: f.owner.into(),
            vaccine: f.vaccine.into(),
            status: VaccinationStatusValue::into(f.status),
            expires_on: f.expires_on.map(Date),
            next_booking: f.next_booking.map(Date),
            invalid_on_next_booking: f.invalid_on_next_booking,
            first_invalid_booking: f.first_invalid_booking.map(Date),
        }
    }
}

/// Staffing of one hour of the day, `[hour, hour + 1h)`.
#[derive(SimpleObject)]
pub struct StaffingHour {
    /// The hour's start, local `HH:MM`.
    pub hour: String,
    /// Dogs booked at any moment of the hour.
    pub dogs: u32,
    /// The fewest staff on duty at any minute of the hour (breaks excluded).
    pub staff_on_duty: u32,
    /// Dogs per staff member; null when nobody is on duty.
    pub dogs_per_staff: Option<f64>,
    /// More dogs per staff member than the facility's ratio allows.
    pub over_ratio: bool,
    /// Dogs present and nobody on duty.
    pub no_staff: bool,
}

impl From<HourStaffing> for StaffingHour {
    fn from(h: HourStaffing) -> Self {
        StaffingHour {
            hour: h.hour.to_string(),
            dogs: h.dogs,
            staff_on_duty: h.staff_on_duty,
            dogs_per_staff: h.dogs_per_staff,
            over_ratio: h.over_ratio,
            no_staff: h.no_staff,
        }
    }
}
