//! The facility domain over the data layer: what AIM's tools call and what alerts read.
//!
//! [`Facility`] is the one handle: bookings (schedule, create), the dashboard and today's
//! summary, search, staff schedules and ratios, compliance, revenue, and SMS. Dates are the
//! facility's local dates ([`clock`]); money is integer cents. No HTTP or GraphQL here.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::db::{Db, DbError};
use crate::domain::*;

pub mod audit;
pub mod bookings;
pub mod clock;
pub mod compliance;
pub mod customers;
pub mod dashboard;
pub mod demo;
pub mod desk;
pub mod payments;
pub mod revenue;
pub mod search;
pub mod settings;
pub mod shifts;
pub mod sms;
pub mod staff;
pub mod staffing;

pub use audit::Author;
pub use settings::FacilitySettings;
use sms::{SmsError, SmsService};

/// The facility's services, cheap to clone.
#[derive(Clone)]
pub struct Facility {
    db: Db,
    settings: FacilitySettings,
    sms: SmsService,
    /// Told of every committed write that can change what the alert checks find (bookings,
    /// their moves, vaccinations, shifts): the alert generator waits on it.
    changes: std::sync::Arc<tokio::sync::Notify>,
}

impl Facility {
    pub fn new(db: Db, settings: FacilitySettings, sms: SmsService) -> Facility {
        Facility {
            db,
            settings,
            sms,
            changes: Default::default(),
        }
    }

    /// Completes after the next write that can change capacity, staffing or compliance (at
    /// once if one happened since the last wait): writes while nobody waits count as one.
    pub async fn changed(&self) {
        self.changes.notified().await;
    }

    /// Says that a write that can change what the alert checks find has committed.
    pub(crate) fn announce_change(&self) {
        self.changes.notify_one();
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    pub fn settings(&self) -> FacilitySettings {
        self.settings
    }

    pub fn timezone(&self) -> Tz {
        self.settings.timezone
    }

    /// The facility's local date at `now`.
    pub fn today(&self, now: DateTime<Utc>) -> NaiveDate {
        clock::local_date(self.settings.timezone, now)
    }

    /// Outgoing SMS (Twilio, or the dry-run outbox).
    pub fn sms(&self) -> &SmsService {
        &self.sms
    }
}

/// The longest date range a schedule, revenue or compliance query covers.
pub const MAX_RANGE_DAYS: i64 = 366;

/// Why a facility operation did not happen. Each variant names the problem in terms a staff
/// member (and the model) can act on; [`FacilityError::code`] is a stable machine-readable name.
#[derive(Debug, thiserror::Error)]
pub enum FacilityError {
    #[error("{field}: {message}")]
    InvalidInput {
        field: &'static str,
        message: String,
    },
    #[error("{field}: the end date {end} is before the start date {start}")]
    EndBeforeStart {
        field: &'static str,
        start: NaiveDate,
        end: NaiveDate,
    },
    #[error("{field}: the range covers {days} days; at most {max} are allowed")]
    RangeTooLong {
        field: &'static str,
        days: i64,
        max: i64,
    },
    #[error("no customer with id {0}")]
    UnknownCustomer(CustomerId),
    #[error("no dog with id {0}")]
    UnknownDog(DogId),
    #[error("{dog_name} ({dog_id}) belongs to another customer, not {customer_name}")]
    DogNotOwned {
        dog_id: DogId,
        dog_name: String,
        customer_name: String,
    },
    #[error("the {0} service is not offered")]
    ServiceUnavailable(ServiceKind),
    #[error("start_date {start} is in the past (today is {today})")]
    StartInPast { start: NaiveDate, today: NaiveDate },
    #[error(
        "capacity is full on {date}: {booked} of {capacity} places are booked and {requested} more were requested"
    )]
    CapacityFull {
        date: NaiveDate,
        booked: u32,
        requested: u32,
        capacity: u32,
    },
    #[error("{dog_name} is already booked on {date} (booking {booking_id})")]
    DogAlreadyBooked {
        dog_id: DogId,
        dog_name: String,
        date: NaiveDate,
        booking_id: BookingId,
    },
    #[error(
        "{dog_name}'s {vaccine} vaccination expires on {expires_on}, before the stay ends on {last_day}"
    )]
    VaccinationExpired {
        dog_id: DogId,
        dog_name: String,
        vaccine: VaccineKind,
        expires_on: NaiveDate,
        last_day: NaiveDate,
    },
    #[error("{dog_name} has no {vaccine} vaccination on record; it is required")]
    VaccinationMissing {
        dog_id: DogId,
        dog_name: String,
        vaccine: VaccineKind,
    },
    #[error("{what} is visible to managers and admins only; you are signed in as {role}")]
    Forbidden { what: &'static str, role: Role },
    /// The actor's role does not allow the operation.
    #[error("{what} needs the role {needed}; you are signed in as {role}")]
    NotAllowed {
        what: &'static str,
        needed: &'static str,
        role: Role,
    },
    /// The entity an operation names does not exist.
    #[error("no {entity} with id {id}")]
    NotFound {
        entity: &'static str,
        id: String,
        /// The input field that named it, when the entity was referenced from an input.
        field: Option<&'static str>,
    },
    /// Another row already holds a value that must be unique (an email, a phone number).
    #[error("{field}: {message}")]
    AlreadyExists {
        field: &'static str,
        message: String,
    },
    /// The row changed since the caller read it (`expected_updated_at`): nothing was written.
    #[error(
        "the {entity} was changed at {updated_at} (you expected {expected}); read it again and reapply your change"
    )]
    StaleUpdate {
        entity: &'static str,
        expected: DateTime<Utc>,
        updated_at: DateTime<Utc>,
    },
    /// A booking cannot move from its status to the one asked for.
    /// A booking can move only on its days (check-in) or after its start (no-show).
    #[error("the booking is for {first_day}..{last_day} and today is {today}; it cannot be {what}")]
    WrongDay {
        what: &'static str,
        first_day: NaiveDate,
        last_day: NaiveDate,
        today: NaiveDate,
    },
    #[error("the booking is {from}; it cannot be {to}")]
    InvalidTransition {
        from: BookingStatus,
        /// What was asked, as a verb phrase ("checked in").
        to: &'static str,
    },
    #[error(transparent)]
    Sms(#[from] SmsError),
    /// A failure of the system that is not the database's (password hashing).
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Db(DbError),
}

impl From<DbError> for FacilityError {
    /// A unique value taken by another row is the caller's to fix (`already_exists`, naming the
    /// field), whichever backend said so; every other failure of the database stays one.
    fn from(err: DbError) -> Self {
        if let DbError::UniqueViolation { constraint } = &err {
            let taken = [
                (
                    "email",
                    "email",
                    "another record already has this email address",
                ),
                (
                    "phone",
                    "phone",
                    "another customer already has this phone number",
                ),
                (
                    "shift",
                    "start",
                    "this staff user already has a shift starting then on that day",
                ),
            ];
            if let Some((_, field, message)) =
                taken.iter().find(|(name, _, _)| constraint.contains(name))
            {
                return FacilityError::AlreadyExists {
                    field,
                    message: (*message).to_owned(),
                };
            }
        }
        FacilityError::Db(err)
    }
}

impl FacilityError {
    /// A stable, machine-readable name of the error.
    pub fn code(&self) -> &'static str {
        match self {
            FacilityError::InvalidInput { .. } => "invalid_input",
            FacilityError::EndBeforeStart { .. } => "end_before_start",
            FacilityError::RangeTooLong { .. } => "range_too_long",
            FacilityError::UnknownCustomer(_) => "unknown_customer",
            FacilityError::UnknownDog(_) => "unknown_dog",
            FacilityError::DogNotOwned { .. } => "dog_not_owned",
            FacilityError::ServiceUnavailable(_) => "service_unavailable",
            FacilityError::StartInPast { .. } => "start_in_past",
            FacilityError::CapacityFull { .. } => "capacity_full",
            FacilityError::DogAlreadyBooked { .. } => "dog_already_booked",
            FacilityError::VaccinationExpired { .. } => "vaccination_expired",
            FacilityError::VaccinationMissing { .. } => "vaccination_missing",
            FacilityError::Forbidden { .. } | FacilityError::NotAllowed { .. } => "forbidden",
            FacilityError::NotFound { .. } => "not_found",
            FacilityError::AlreadyExists { .. } => "already_exists",
            FacilityError::StaleUpdate { .. } => "stale_update",
            FacilityError::InvalidTransition { .. } | FacilityError::WrongDay { .. } => {
                "invalid_transition"
            }
            FacilityError::Sms(err) => err.code(),
            FacilityError::Db(_) | FacilityError::Internal(_) => "internal",
        }
    }

    /// The input field at fault, when one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            FacilityError::InvalidInput { field, .. }
            | FacilityError::EndBeforeStart { field, .. }
            | FacilityError::RangeTooLong { field, .. }
            | FacilityError::AlreadyExists { field, .. } => Some(field),
            FacilityError::NotFound { field, .. } => *field,
            FacilityError::VaccinationExpired { .. } | FacilityError::VaccinationMissing { .. } => {
                Some("dog_ids")
            }
            FacilityError::CapacityFull { .. } | FacilityError::DogAlreadyBooked { .. } => {
                Some("start_date")
            }
            FacilityError::UnknownCustomer(_) | FacilityError::DogNotOwned { .. } => {
                Some("customer_id")
            }
            FacilityError::UnknownDog(_) => Some("dog_ids"),
            FacilityError::StartInPast { .. } => Some("start_date"),
            FacilityError::ServiceUnavailable(_) => Some("service"),
            FacilityError::Sms(err) => err.field(),
            _ => None,
        }
    }

    /// The error as every surface reports it — REST, GraphQL and a tool result alike: what
    /// kind of refusal it is, its public code, the input field at fault and the message.
    /// Refusals of the input itself share the code `invalid_input` (the message says which
    /// rule); an unknown customer or dog is `not_found`.
    pub fn refusal(&self) -> Refusal {
        let kind = match self {
            _ if !self.is_user_error() => RefusalKind::Internal,
            FacilityError::Forbidden { .. } | FacilityError::NotAllowed { .. } => {
                RefusalKind::Forbidden
            }
            FacilityError::NotFound { .. }
            | FacilityError::UnknownCustomer(_)
            | FacilityError::UnknownDog(_) => RefusalKind::NotFound,
            FacilityError::CapacityFull { .. }
            | FacilityError::DogAlreadyBooked { .. }
            | FacilityError::AlreadyExists { .. }
            | FacilityError::StaleUpdate { .. }
            | FacilityError::InvalidTransition { .. }
            | FacilityError::WrongDay { .. } => RefusalKind::Conflict,
            FacilityError::InvalidInput { .. }
            | FacilityError::EndBeforeStart { .. }
            | FacilityError::RangeTooLong { .. }
            | FacilityError::DogNotOwned { .. }
            | FacilityError::ServiceUnavailable(_)
            | FacilityError::StartInPast { .. }
            | FacilityError::VaccinationExpired { .. }
            | FacilityError::VaccinationMissing { .. }
            | FacilityError::Sms(_)
            | FacilityError::Db(_)
            | FacilityError::Internal(_) => RefusalKind::Invalid,
        };
        let code = match self.code() {
            "end_before_start"
            | "range_too_long"
            | "start_in_past"
            | "service_unavailable"
            | "dog_not_owned" => "invalid_input",
            "unknown_customer" | "unknown_dog" => "not_found",
            code => code,
        };
        Refusal {
            kind,
            code,
            field: self.field(),
            message: self.to_string(),
        }
    }

    /// Whether the caller can fix it (bad input, a rule of the facility), as opposed to a
    /// failure of the system.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, FacilityError::Db(_) | FacilityError::Internal(_))
            && !matches!(self, FacilityError::Sms(err) if !err.is_user_error())
    }
}

pub type FacilityResult<T> = Result<T, FacilityError>;

/// A [`FacilityError`] as the caller reads it, whichever surface it reaches them through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub kind: RefusalKind,
    pub code: &'static str,
    /// The input field at fault, as the service names it (`customer_id`).
    pub field: Option<&'static str>,
    /// For people; an internal error's is for the log only.
    pub message: String,
}

/// What kind of refusal: each surface says it its own way (an HTTP status, say).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefusalKind {
    /// The input breaks a rule (422).
    Invalid,
    /// The caller may not do this (403).
    Forbidden,
    /// What the input names does not exist (404).
    NotFound,
    /// The current state refuses it: a place, a value or a version taken, a move not possible
    /// (409).
    Conflict,
    /// A failure of the system, not the caller's to fix (500).
    Internal,
}

/// Checks a date range given as `start`/`end` (inclusive) of at most `max` days and returns
/// its length in days.
pub(crate) fn check_range(
    field: &'static str,
    start: NaiveDate,
    end: NaiveDate,
    max: i64,
) -> FacilityResult<i64> {
    if end < start {
        return Err(FacilityError::EndBeforeStart { field, start, end });
    }
    let days = clock::days_between(start, end) + 1;
    if days > max {
        return Err(FacilityError::RangeTooLong { field, days, max });
    }
    Ok(days)
}
