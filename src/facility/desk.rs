//! The front desk's day: a booking confirmed, checked in (its dogs' required vaccinations
//! checked again), checked out, marked a no-show or cancelled, and moved to other days. A
//! booking moves only along pending → confirmed → checked_in → checked_out, or to cancelled /
//! no_show before check-in; every move is one conditional write (two check-ins racing give one
//! check-in and one `invalid_transition`) recorded in the audit log in the same transaction.

use chrono::{DateTime, NaiveDate, Utc};

use super::audit::{self, Author, Changes};
use super::bookings::{DAY_CLOSES, DAY_OPENS, MAX_STAY_DAYS, check_vaccinations};
use super::customers::{changed_since, check_fresh};
use super::{Facility, FacilityError, FacilityResult, check_range, clock};
use crate::db::bookings::BookingRecord;
use crate::db::customers::{CustomerRecord, DogRecord};
use crate::db::{self, Tx, WriteLock};
use crate::domain::*;

const MAX_REASON_CHARS: usize = 500;

/// A move of a booking's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    Confirm,
    CheckIn,
    CheckOut,
    NoShow,
    Cancel,
}

impl Move {
    /// The statuses the move starts from, and where it leads.
    fn rule(self) -> (&'static [BookingStatus], BookingStatus) {
        use BookingStatus::*;
        match self {
            Move::Confirm => (&[Pending], Confirmed),
            Move::CheckIn => (&[Pending, Confirmed], CheckedIn),
            Move::CheckOut => (&[CheckedIn], CheckedOut),
            Move::NoShow => (&[Pending, Confirmed], NoShow),
            Move::Cancel => (&[Pending, Confirmed], Cancelled),
        }
    }

    /// The audit log's name of the move.
    fn action(self) -> &'static str {
        match self {
            Move::Confirm => "booking.confirm",
            Move::CheckIn => "booking.check_in",
            Move::CheckOut => "booking.check_out",
            Move::NoShow => "booking.no_show",
            Move::Cancel => "booking.cancel",
        }
    }

    /// What the booking would become, for errors ("checked in").
    fn done(self) -> &'static str {
        match self {
            Move::Confirm => "confirmed",
            Move::CheckIn => "checked in",
            Move::CheckOut => "checked out",
            Move::NoShow => "marked a no-show",
            Move::Cancel => "cancelled",
        }
    }
}

async fn booking_in(tx: &mut Tx, id: BookingId) -> FacilityResult<BookingRecord> {
    db::bookings::booking(tx, id)
        .await?
        .ok_or_else(|| FacilityError::NotFound {
            entity: "booking",
            id: id.to_string(),
            field: None,
        })
}

/// The dogs of booking `id`.
async fn dogs_of(tx: &mut Tx, id: BookingId) -> FacilityResult<Vec<db::bookings::DogRow>> {
    let ids: Vec<DogId> = db::bookings::dogs_of_bookings(tx, &[id])
        .await?
        .into_iter()
        .map(|(_, dog)| dog)
        .collect();
    Ok(db::bookings::dogs(tx, &ids).await?)
}

/// What to read with each booking of a page.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BookingParts {
    pub customer: bool,
    pub dogs: bool,
}

/// A booking with the parts asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BookingWith {
    pub booking: BookingRecord,
    pub customer: Option<CustomerRecord>,
    pub dogs: Option<Vec<DogRecord>>,
}

/// New dates for a booking not yet arrived.
#[derive(Clone, Debug)]
pub struct RescheduleInput {
    pub start_date: NaiveDate,
    /// Boarding: the check-out day (default the day after); other services: the same day.
    pub end_date: Option<NaiveDate>,
}

impl Facility {
    /// The services the facility sells.
    pub async fn services(&self) -> FacilityResult<Vec<db::bookings::ServiceRow>> {
        Ok(db::bookings::services(&mut self.db().conn().await?).await?)
    }

    /// Bookings on the days `from..=to` (at most a year), in start order, filtered, each with
    /// what `with` asks for read in the same round: its customer (in the same statement) and
    /// its dogs (one more statement for the page).
    pub async fn bookings_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        filter: &db::bookings::BookingFilter,
        after: Option<(DateTime<Utc>, BookingId)>,
        limit: i64,
        with: BookingParts,
    ) -> FacilityResult<Vec<BookingWith>> {
        check_range("to", from, to, super::MAX_RANGE_DAYS)?;
        let (start, end) = clock::range_bounds(self.timezone(), from, to);
        let mut conn = self.db().conn().await?;
        let mut page: Vec<BookingWith> = if with.customer {
            db::bookings::bookings_with_customers_between(
                &mut conn, start, end, filter, after, limit,
            )
            .await?
            .into_iter()
            .map(|row| {
                let (booking, customer) = row.split();
                BookingWith {
                    booking,
                    customer: Some(customer),
                    dogs: None,
                }
            })
            .collect()
        } else {
            db::bookings::bookings_between(&mut conn, start, end, filter, after, limit)
                .await?
                .into_iter()
                .map(|booking| BookingWith {
                    booking,
                    customer: None,
                    dogs: None,
                })
                .collect()
        };
        if with.dogs {
            let ids: Vec<BookingId> = page.iter().map(|b| b.booking.id).collect();
            let mut by_booking: std::collections::HashMap<BookingId, Vec<DogRecord>> =
                std::collections::HashMap::with_capacity(page.len());
            for row in db::bookings::booked_dogs(&mut conn, &ids).await? {
                by_booking.entry(row.booking_id).or_default().push(row.dog);
            }
            for item in &mut page {
                item.dogs = Some(by_booking.remove(&item.booking.id).unwrap_or_default());
            }
        }
        Ok(page)
    }

    pub async fn booking(&self, id: BookingId) -> FacilityResult<Option<BookingRecord>> {
        Ok(db::bookings::booking(&mut self.db().conn().await?, id).await?)
    }

    /// Moves booking `id` by `step` at `now`, or says why it cannot: `invalid_transition`
    /// (from where it stands, or on the wrong day), a lapsed vaccination at check-in.
    pub async fn move_booking(
        &self,
        author: &Author,
        id: BookingId,
        step: Move,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> FacilityResult<BookingRecord> {
        let reason = match reason.map(str::trim) {
            None | Some("") => None,
            Some(text) if step != Move::Cancel && step != Move::NoShow => {
                return Err(FacilityError::InvalidInput {
                    field: "reason",
                    message: format!("a reason is recorded for a cancellation, not `{text}`"),
                });
            }
            Some(text) if text.contains('\0') || text.chars().count() > MAX_REASON_CHARS => {
                return Err(FacilityError::InvalidInput {
                    field: "reason",
                    message: format!(
                        "at most {MAX_REASON_CHARS} characters, without NUL characters"
                    ),
                });
            }
            Some(text) => Some(text.to_owned()),
        };
        let (from, to) = step.rule();
        let tz = self.timezone();
        let today = self.today(now);
        let mut tx = self.db().begin().await?;
        let before = booking_in(&mut tx, id).await?;
        let refused = FacilityError::InvalidTransition {
            from: before.status,
            to: step.done(),
        };
        if !from.contains(&before.status) {
            return Err(refused);
        }
        let (first_day, last_day) = clock::span_days(tz, before.start_at, before.end_at);
        match step {
            Move::CheckIn => {
                if today < first_day || today > last_day {
                    return Err(FacilityError::WrongDay {
                        what: "checked in",
                        first_day,
                        last_day,
                        today,
                    });
                }
                let dogs = dogs_of(&mut tx, id).await?;
                check_vaccinations(&mut tx, &dogs, last_day).await?;
            }
            Move::NoShow if now < before.start_at => {
                return Err(FacilityError::WrongDay {
                    what: "marked a no-show before it starts",
                    first_day,
                    last_day,
                    today,
                });
            }
            _ => {}
        }
        if !db::bookings::transition(&mut tx, id, from, to, now, reason.as_deref()).await? {
            // Another move got there first (another request, another replica).
            let current = booking_in(&mut tx, id).await?;
            return Err(FacilityError::InvalidTransition {
                from: current.status,
                to: step.done(),
            });
        }
        let after = booking_in(&mut tx, id).await?;
        audit::record(
            &mut tx,
            author,
            step.action(),
            "booking",
            id.0,
            Changes::diff(&before, &after),
            now,
        )
        .await?;
        tx.commit().await?;
        self.announce_change();
        tracing::info!(booking = %id, from = %before.status, to = %after.status, "booking moved");
        Ok(after)
    }

    /// Moves a booking not yet arrived to other days, checking capacity, clashes and
    /// vaccinations for the new days as a new booking would be (the booking itself aside).
    pub async fn reschedule_booking(
        &self,
        author: &Author,
        id: BookingId,
        input: &RescheduleInput,
        expected_updated_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> FacilityResult<BookingRecord> {
        let tz = self.timezone();
        let today = self.today(now);
        let mut tx = self.db().begin().await?;
        db::lock(&mut tx, WriteLock::Bookings).await?;
        let before = booking_in(&mut tx, id).await?;
        check_fresh("booking", expected_updated_at, before.updated_at)?;
        if !before.status.is_expected() {
            return Err(FacilityError::InvalidTransition {
                from: before.status,
                to: "rescheduled",
            });
        }
        if input.start_date < today {
            return Err(FacilityError::StartInPast {
                start: input.start_date,
                today,
            });
        }
        let boarding = before.service == ServiceKind::Boarding;
        let end_date = match (boarding, input.end_date) {
            (true, None) => clock::next_day(input.start_date),
            (true, Some(end)) if end <= input.start_date => {
                return Err(FacilityError::InvalidInput {
                    field: "end_date",
                    message: "boarding ends on the check-out day, after start_date".into(),
                });
            }
            (false, Some(end)) if end != input.start_date => {
                return Err(FacilityError::InvalidInput {
                    field: "end_date",
                    message: format!(
                        "a {} booking covers one day; book other days separately",
                        before.service
                    ),
                });
            }
            (_, end) => end.unwrap_or(input.start_date),
        };
        check_range("end_date", input.start_date, end_date, MAX_STAY_DAYS)?;
        let at = |date, time: clock::ClockTime| clock::local_instant(tz, date, time.to_naive());
        let start_at = at(input.start_date, DAY_OPENS);
        let end_at = at(end_date, DAY_CLOSES);
        let dogs = dogs_of(&mut tx, id).await?;
        check_vaccinations(&mut tx, &dogs, end_date).await?;
        let dog_ids: Vec<DogId> = dogs.iter().map(|d| d.id).collect();
        self.check_places(
            &mut tx,
            before.service,
            &dog_ids,
            input.start_date,
            end_date,
            Some(id),
        )
        .await?;
        let updated_at = now.max(before.updated_at + chrono::TimeDelta::microseconds(1));
        if !db::bookings::reschedule(&mut tx, id, start_at, end_at, updated_at, before.updated_at)
            .await?
        {
            let current = booking_in(&mut tx, id).await?;
            return Err(changed_since(
                "booking",
                before.updated_at,
                current.updated_at,
            ));
        }
        let after = booking_in(&mut tx, id).await?;
        audit::record(
            &mut tx,
            author,
            "booking.reschedule",
            "booking",
            id.0,
            Changes::diff(&before, &after),
            now,
        )
        .await?;
        tx.commit().await?;
        self.announce_change();
        Ok(after)
    }
}
