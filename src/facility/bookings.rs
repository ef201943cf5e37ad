//! Bookings: the schedule for a range of days, and creating a booking with every check the
//! facility applies — ownership, dates, vaccinations, double bookings and capacity — atomically
//! and safely under concurrency.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::audit::{self, Author, Changes};
use super::clock::{self, ClockTime};
use super::{Facility, FacilityError, FacilityResult, MAX_RANGE_DAYS, check_range};
use crate::db::{self, AsConn, WriteLock, bookings::StayRow, facility::NewBooking};
use crate::domain::*;

/// When a booked day starts and ends: drop-off from 08:00, pick-up by 18:00 (local time).
pub const DAY_OPENS: ClockTime = match ClockTime::new(8, 0) {
    Some(t) => t,
    None => unreachable!(),
};
pub const DAY_CLOSES: ClockTime = match ClockTime::new(18, 0) {
    Some(t) => t,
    None => unreachable!(),
};

/// The longest stay one booking request may cover.
pub const MAX_STAY_DAYS: i64 = 60;
/// The most dogs one booking may hold.
pub const MAX_DOGS_PER_BOOKING: usize = 10;
const MAX_NOTES_CHARS: usize = 2_000;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRef {
    pub id: CustomerId,
    pub name: String,
    pub phone: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DogRef {
    pub id: DogId,
    pub name: String,
    pub breed: Option<String>,
}

/// A booking with its customer and dogs.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingView {
    pub id: BookingId,
    pub customer: CustomerRef,
    pub service: ServiceKind,
    pub status: BookingStatus,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    /// First and last facility days the booking occupies.
    pub first_day: NaiveDate,
    pub last_day: NaiveDate,
    pub dogs: Vec<DogRef>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_in_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_out_at: Option<DateTime<Utc>>,
}

impl BookingView {
    pub fn occupies(&self, date: NaiveDate) -> bool {
        self.first_day <= date && date <= self.last_day
    }

    /// Whether the dogs are on site at `at`: checked in by then and not yet checked out.
    pub fn on_site_at(&self, at: DateTime<Utc>) -> bool {
        self.checked_in_at.is_some_and(|t| t <= at) && self.checked_out_at.is_none_or(|t| at < t)
    }

    /// When the dogs are (or are expected to be) here, as seen at `now`: from check-in to
    /// check-out for a booking checked in; for one not yet arrived, its booked span from
    /// `now` on (a booked time already past without a check-in is not counted). `None` when
    /// nobody is or will be here.
    pub fn presence(&self, now: DateTime<Utc>) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        match self.status {
            BookingStatus::CheckedIn | BookingStatus::CheckedOut => {
                let start = self.checked_in_at?;
                // Still here: expected to stay until the booking ends (or now, if later).
                let end = self.checked_out_at.unwrap_or(self.end_at.max(now));
                (start < end).then_some((start, end))
            }
            BookingStatus::Pending | BookingStatus::Confirmed => {
                let start = self.start_at.max(now);
                (start < self.end_at).then_some((start, self.end_at))
            }
            BookingStatus::Cancelled | BookingStatus::NoShow => None,
        }
    }

    /// Not arrived an hour after its start (`now`), and not yet marked a no-show.
    pub fn is_late(&self, now: DateTime<Utc>) -> bool {
        is_late(self.status, self.start_at, self.end_at, now)
    }
}

/// Whether a booking with this status and span is late at `now`: not arrived an hour after its
/// start, and not over yet.
pub fn is_late(
    status: BookingStatus,
    start_at: DateTime<Utc>,
    end_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> bool {
    status.is_expected() && now >= start_at + LATE_AFTER && now < end_at
}

/// How long after its start a booking not checked in is late.
pub const LATE_AFTER: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// Groups per-dog rows (in booking order) into bookings.
pub(crate) fn group_stays(tz: Tz, rows: Vec<StayRow>) -> Vec<BookingView> {
    let mut bookings: Vec<BookingView> = Vec::new();
    let mut index: HashMap<BookingId, usize> = HashMap::new();
    for row in rows {
        let dog = DogRef {
            id: row.dog_id,
            name: row.dog_name,
            breed: row.breed,
        };
        if let Some(&i) = index.get(&row.booking_id) {
            bookings[i].dogs.push(dog);
            continue;
        }
        let (first_day, last_day) = clock::span_days(tz, row.start_at, row.end_at);
        index.insert(row.booking_id, bookings.len());
        bookings.push(BookingView {
            id: row.booking_id,
            customer: CustomerRef {
                id: row.customer_id,
                name: format!("{} {}", row.first_name, row.last_name),
                phone: row.phone,
            },
            service: row.service,
            status: row.status,
            start_at: row.start_at,
            end_at: row.end_at,
            first_day,
            last_day,
            dogs: vec![dog],
            notes: row.notes,
            created_at: row.created_at,
            checked_in_at: row.checked_in_at,
            checked_out_at: row.checked_out_at,
        });
    }
    bookings
}

/// The distinct dogs booked on each day of `from..=to` (a dog with daycare and grooming on
/// one day takes one place).
pub(crate) fn dogs_per_day(
    bookings: &[BookingView],
    from: NaiveDate,
    to: NaiveDate,
) -> BTreeMap<NaiveDate, BTreeSet<DogId>> {
    let mut days: BTreeMap<NaiveDate, BTreeSet<DogId>> = clock::dates(from, to)
        .map(|d| (d, BTreeSet::new()))
        .collect();
    for booking in bookings {
        for date in clock::dates(booking.first_day.max(from), booking.last_day.min(to)) {
            if let Some(dogs) = days.get_mut(&date) {
                dogs.extend(booking.dogs.iter().map(|d| d.id));
            }
        }
    }
    days
}

/// Occupancy as a percentage of capacity, to one decimal.
pub(crate) fn percent(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (f64::from(part) * 1000.0 / f64::from(whole)).round() / 10.0
}

/// One day of the schedule.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleDay {
    pub date: NaiveDate,
    /// Distinct dogs booked that day, every service counted.
    pub dogs_booked: u32,
    pub capacity: u32,
    /// Places still free (negative when overbooked).
    pub places_left: i64,
    pub occupancy_percent: f64,
    /// The day's bookings (of the requested service, when one was given).
    pub bookings: Vec<BookingView>,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub service: Option<ServiceKind>,
    pub days: Vec<ScheduleDay>,
}

/// What staff ask for when booking: dates, not times.
#[derive(Clone, Debug)]
pub struct BookingRequest {
    pub customer_id: CustomerId,
    pub dog_ids: Vec<DogId>,
    pub service: ServiceKind,
    pub start_date: NaiveDate,
    /// Last day (daycare, grooming, training: default `start_date`) or check-out day
    /// (boarding: default the day after `start_date`).
    pub end_date: Option<NaiveDate>,
    pub notes: Option<String>,
}

/// The bookings written for one request: one per day for daycare, grooming and training, one
/// for a whole boarding stay.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreatedBookings {
    pub bookings: Vec<BookingView>,
    /// List price of what was booked, in cents (per dog per day; boarding per night).
    pub price_cents: i64,
}

/// Whether a booking is written or only checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Write {
    Commit,
    RollBack,
}

/// The validated shape of a request: which spans to write.
struct Plan {
    spans: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    first_day: NaiveDate,
    last_day: NaiveDate,
    units: i64,
}

fn plan(tz: Tz, req: &BookingRequest, today: NaiveDate) -> FacilityResult<Plan> {
    if req.dog_ids.is_empty() {
        return Err(invalid("dog_ids", "name at least one dog"));
    }
    if req.dog_ids.len() > MAX_DOGS_PER_BOOKING {
        return Err(invalid(
            "dog_ids",
            format!("at most {MAX_DOGS_PER_BOOKING} dogs per booking"),
        ));
    }
    let distinct: BTreeSet<_> = req.dog_ids.iter().collect();
    if distinct.len() != req.dog_ids.len() {
        return Err(invalid("dog_ids", "a dog is listed twice"));
    }
    if let Some(notes) = &req.notes
        && notes.chars().count() > MAX_NOTES_CHARS
    {
        return Err(invalid(
            "notes",
            format!("at most {MAX_NOTES_CHARS} characters"),
        ));
    }
    if req.start_date < today {
        return Err(FacilityError::StartInPast {
            start: req.start_date,
            today,
        });
    }
    let boarding = req.service == ServiceKind::Boarding;
    let default_end = if boarding {
        clock::next_day(req.start_date)
    } else {
        req.start_date
    };
    let end_date = req.end_date.unwrap_or(default_end);
    let days = check_range("end_date", req.start_date, end_date, MAX_STAY_DAYS)?;
    let at = |date, time: ClockTime| clock::local_instant(tz, date, time.to_naive());
    if boarding {
        if end_date == req.start_date {
            return Err(invalid(
                "end_date",
                "boarding needs at least one night: end_date is the check-out day, after start_date",
            ));
        }
        Ok(Plan {
            spans: vec![(at(req.start_date, DAY_OPENS), at(end_date, DAY_CLOSES))],
            first_day: req.start_date,
            last_day: end_date,
            units: days - 1,
        })
    } else {
        Ok(Plan {
            spans: clock::dates(req.start_date, end_date)
                .map(|d| (at(d, DAY_OPENS), at(d, DAY_CLOSES)))
                .collect(),
            first_day: req.start_date,
            last_day: end_date,
            units: days,
        })
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> FacilityError {
    FacilityError::InvalidInput {
        field,
        message: message.into(),
    }
}

impl Facility {
    /// Bookings per day from `start` to `end` (inclusive), with each day's count against
    /// capacity. With `service`, only that service's bookings are listed; counts still cover
    /// every dog on site.
    pub async fn schedule(
        &self,
        start: NaiveDate,
        end: NaiveDate,
        service: Option<ServiceKind>,
    ) -> FacilityResult<Schedule> {
        check_range("end_date", start, end, MAX_RANGE_DAYS)?;
        let tz = self.timezone();
        let (from, to) = clock::range_bounds(tz, start, end);
        let rows = db::bookings::stays_between(&mut self.db().conn().await?, from, to).await?;
        let bookings = group_stays(tz, rows);
        let capacity = self.settings().capacity;
        let days = dogs_per_day(&bookings, start, end)
            .into_iter()
            .map(|(date, dogs)| {
                let booked = dogs.len() as u32;
                ScheduleDay {
                    date,
                    dogs_booked: booked,
                    capacity,
                    places_left: i64::from(capacity) - i64::from(booked),
                    occupancy_percent: percent(booked, capacity),
                    bookings: bookings
                        .iter()
                        .filter(|b| b.occupies(date) && service.is_none_or(|s| b.service == s))
                        .cloned()
                        .collect(),
                }
            })
            .collect();
        Ok(Schedule {
            start_date: start,
            end_date: end,
            service,
            days,
        })
    }

    /// Books `req` for `actor` as confirmed, or says why not. Checks run inside one write
    /// transaction that holds the bookings lock, so two requests racing for the last place
    /// cannot both succeed.
    pub async fn create_booking(
        &self,
        author: &Author,
        req: &BookingRequest,
        now: DateTime<Utc>,
    ) -> FacilityResult<CreatedBookings> {
        self.book(author, req, now, Write::Commit).await
    }

    /// Runs every check of [`Facility::create_booking`] and returns what it would book,
    /// writing nothing: how AIM validates a booking it proposes for staff to confirm.
    pub async fn check_booking(
        &self,
        author: &Author,
        req: &BookingRequest,
        now: DateTime<Utc>,
    ) -> FacilityResult<CreatedBookings> {
        self.book(author, req, now, Write::RollBack).await
    }

    async fn book(
        &self,
        author: &Author,
        req: &BookingRequest,
        now: DateTime<Utc>,
        write: Write,
    ) -> FacilityResult<CreatedBookings> {
        let tz = self.timezone();
        let plan = plan(tz, req, self.today(now))?;

        let mut tx = self.db().begin().await?;
        db::lock(&mut tx, WriteLock::Bookings).await?;

        let customer = db::bookings::customer(&mut tx, req.customer_id)
            .await?
            .ok_or(FacilityError::UnknownCustomer(req.customer_id))?;
        let customer_name = format!("{} {}", customer.first_name, customer.last_name);
        let found = db::bookings::dogs(&mut tx, &req.dog_ids).await?;
        let mut dogs = Vec::with_capacity(req.dog_ids.len());
        for id in &req.dog_ids {
            let dog = found
                .iter()
                .find(|d| d.id == *id)
                .ok_or(FacilityError::UnknownDog(*id))?;
            if dog.customer_id != customer.id {
                return Err(FacilityError::DogNotOwned {
                    dog_id: dog.id,
                    dog_name: dog.name.clone(),
                    customer_name,
                });
            }
            dogs.push(dog.clone());
        }
        let service = db::bookings::service(&mut tx, req.service)
            .await?
            .filter(|s| s.active)
            .ok_or(FacilityError::ServiceUnavailable(req.service))?;

        check_vaccinations(&mut tx, &dogs, plan.last_day).await?;
        self.check_places(
            &mut tx,
            req.service,
            &req.dog_ids,
            plan.first_day,
            plan.last_day,
            None,
        )
        .await?;

        let mut created = Vec::with_capacity(plan.spans.len());
        for (start_at, end_at) in &plan.spans {
            let booking = NewBooking {
                id: BookingId::new(),
                customer_id: customer.id,
                service_id: service.id,
                dog_ids: req.dog_ids.clone(),
                start_at: *start_at,
                end_at: *end_at,
                status: BookingStatus::Confirmed,
                notes: req.notes.clone().filter(|n| !n.trim().is_empty()),
                created_by: author.staff_user_id(),
                created_at: now,
            };
            db::facility::insert_booking(&mut tx, &booking).await?;
            let changes = Changes::default()
                .with("customerId", None::<()>, booking.customer_id)
                .with("service", None::<()>, req.service)
                .with("dogIds", None::<()>, &booking.dog_ids)
                .with("startAt", None::<()>, booking.start_at)
                .with("endAt", None::<()>, booking.end_at)
                .with("status", None::<()>, booking.status)
                .with("notes", None::<()>, &booking.notes);
            audit::record(
                &mut tx,
                author,
                "booking.create",
                "booking",
                booking.id.0,
                changes,
                now,
            )
            .await?;
            let (first_day, last_day) = clock::span_days(tz, booking.start_at, booking.end_at);
            created.push(BookingView {
                id: booking.id,
                customer: CustomerRef {
                    id: customer.id,
                    name: customer_name.clone(),
                    phone: customer.phone.clone(),
                },
                service: req.service,
                status: booking.status,
                start_at: booking.start_at,
                end_at: booking.end_at,
                first_day,
                last_day,
                dogs: dogs
                    .iter()
                    .map(|d| DogRef {
                        id: d.id,
                        name: d.name.clone(),
                        breed: d.breed.clone(),
                    })
                    .collect(),
                notes: booking.notes,
                created_at: now,
                checked_in_at: None,
                checked_out_at: None,
            });
        }
        let price_cents = service.price_cents * plan.units * req.dog_ids.len() as i64;
        if write == Write::RollBack {
            // Dropping the transaction rolls the inserts back.
            drop(tx);
            return Ok(CreatedBookings {
                bookings: created,
                price_cents,
            });
        }
        tx.commit().await?;
        self.announce_change();
        tracing::info!(
            customer = %customer.id,
            service = %req.service,
            first_day = %plan.first_day,
            last_day = %plan.last_day,
            dogs = req.dog_ids.len(),
            bookings = created.len(),
            "booking created"
        );
        Ok(CreatedBookings {
            bookings: created,
            price_cents,
        })
    }
}

impl Facility {
    /// No dog of `dog_ids` may already have a clashing booking on a day of
    /// `first_day..=last_day`, and each day must have a place for the dogs not yet there;
    /// `except` is a booking being moved, which counts for neither.
    pub(crate) async fn check_places(
        &self,
        tx: &mut db::Tx,
        service: ServiceKind,
        dog_ids: &[DogId],
        first_day: NaiveDate,
        last_day: NaiveDate,
        except: Option<BookingId>,
    ) -> FacilityResult<()> {
        let tz = self.timezone();
        let (from, to) = clock::range_bounds(tz, first_day, last_day);
        let mut existing = group_stays(tz, db::bookings::stays_between(tx, from, to).await?);
        existing.retain(|b| Some(b.id) != except);
        for booking in &existing {
            if !booking.service.clashes_with(service) {
                continue;
            }
            for dog in booking.dogs.iter().filter(|d| dog_ids.contains(&d.id)) {
                let date = booking.first_day.max(first_day);
                if date <= booking.last_day.min(last_day) {
                    return Err(FacilityError::DogAlreadyBooked {
                        dog_id: dog.id,
                        dog_name: dog.name.clone(),
                        date,
                        booking_id: booking.id,
                    });
                }
            }
        }
        let capacity = self.settings().capacity;
        for (date, on_site) in dogs_per_day(&existing, first_day, last_day) {
            let requested = dog_ids.iter().filter(|d| !on_site.contains(d)).count() as u32;
            let booked = on_site.len() as u32;
            if booked + requested > capacity {
                return Err(FacilityError::CapacityFull {
                    date,
                    booked,
                    requested,
                    capacity,
                });
            }
        }
        Ok(())
    }
}

/// Every dog must have each required vaccination valid through the last day of the stay.
pub(crate) async fn check_vaccinations(
    c: &mut impl AsConn,
    dogs: &[db::bookings::DogRow],
    last_day: NaiveDate,
) -> FacilityResult<()> {
    let ids: Vec<DogId> = dogs.iter().map(|d| d.id).collect();
    let records = db::bookings::latest_vaccinations(c, &ids).await?;
    for dog in dogs {
        for &vaccine in VaccineKind::REQUIRED {
            let expires_on = records
                .iter()
                .find(|r| r.dog_id == dog.id && r.kind == vaccine)
                .map(|r| r.expires_on);
            match expires_on {
                None => {
                    return Err(FacilityError::VaccinationMissing {
                        dog_id: dog.id,
                        dog_name: dog.name.clone(),
                        vaccine,
                    });
                }
                Some(expires_on) if !super::compliance::valid_on(Some(expires_on), last_day) => {
                    return Err(FacilityError::VaccinationExpired {
                        dog_id: dog.id,
                        dog_name: dog.name.clone(),
                        vaccine,
                        expires_on,
                        last_day,
                    });
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}
