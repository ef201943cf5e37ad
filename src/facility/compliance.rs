//! Vaccination compliance: dogs whose required vaccinations (rabies, DHPP, bordetella) have
//! expired, expire soon, or were never recorded — dogs with bookings coming up first. The
//! `check_compliance` tool, the dashboard and the compliance alert all read this.

use std::collections::BTreeMap;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::bookings::{BookingView, CustomerRef, group_stays};
use super::clock;
use super::{Facility, FacilityError, FacilityResult};
use crate::db;
use crate::domain::*;

/// How far ahead `check_compliance` looks when not told.
pub const DEFAULT_DAYS_AHEAD: u32 = 30;
pub const MAX_DAYS_AHEAD: u32 = 365;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VaccinationStatus {
    /// Expired before the day of the check (or never given).
    Expired,
    Missing,
    /// Still valid, but not beyond the window of the check.
    ExpiringSoon,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceFlag {
    pub dog_id: DogId,
    pub dog_name: String,
    pub owner: CustomerRef,
    pub vaccine: VaccineKind,
    pub status: VaccinationStatus,
    /// The latest expiry on record; `None` when the vaccination was never recorded.
    pub expires_on: Option<NaiveDate>,
    /// The dog's first booked day within the window, if it is booked.
    pub next_booking: Option<NaiveDate>,
    /// Whether the vaccination is invalid on that booked day (the booking is at risk).
    pub invalid_on_next_booking: bool,
    /// The first booked day within the window on which the vaccination is not valid — a
    /// later day of the same stay, or a later stay, when it lapses after the first — if any.
    pub first_invalid_booking: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComplianceReport {
    pub as_of: NaiveDate,
    pub days_ahead: u32,
    /// Booked dogs first (soonest booking first), then the rest; expired before expiring.
    pub flags: Vec<ComplianceFlag>,
}

/// The facility's rule for a vaccination on a day at the facility: valid through its expiry
/// date, so one that expires on the day of a stay still covers that day; never recorded is
/// never valid. Booking ([`Facility::create_booking`]), the compliance report and the
/// compliance alert all decide with this.
pub fn valid_on(expires_on: Option<NaiveDate>, day: NaiveDate) -> bool {
    expires_on.is_some_and(|expires_on| expires_on >= day)
}

impl ComplianceReport {
    /// Flags of dogs booked within the window.
    pub fn booked(&self) -> impl Iterator<Item = &ComplianceFlag> {
        self.flags.iter().filter(|f| f.next_booking.is_some())
    }
}

impl Facility {
    /// Required vaccinations that are expired, missing, or expire by `as_of + days_ahead`.
    pub async fn compliance(
        &self,
        as_of: NaiveDate,
        days_ahead: u32,
    ) -> FacilityResult<ComplianceReport> {
        Ok(self.compliance_and_stays(as_of, days_ahead).await?.0)
    }

    /// The compliance report and the bookings of its window (`as_of` to `as_of + days_ahead`),
    /// for callers that need both.
    pub(crate) async fn compliance_and_stays(
        &self,
        as_of: NaiveDate,
        days_ahead: u32,
    ) -> FacilityResult<(ComplianceReport, Vec<BookingView>)> {
        if days_ahead > MAX_DAYS_AHEAD {
            return Err(FacilityError::InvalidInput {
                field: "days_ahead",
                message: format!("at most {MAX_DAYS_AHEAD} days"),
            });
        }
        let tz = self.timezone();
        let cutoff = as_of + Days::new(u64::from(days_ahead));
        let mut conn = self.db().conn().await?;
        let gaps = db::compliance::gaps(&mut conn, cutoff).await?;
        let (from, to) = clock::range_bounds(tz, as_of, cutoff);
        let stays = group_stays(tz, db::bookings::stays_between(&mut conn, from, to).await?);
        drop(conn);

        // Each dog's booked days within the window, as (first, last) of each stay.
        let mut booked: BTreeMap<DogId, Vec<(NaiveDate, NaiveDate)>> = BTreeMap::new();
        for stay in &stays {
            let days = (stay.first_day.max(as_of), stay.last_day.min(cutoff));
            for dog in &stay.dogs {
                booked.entry(dog.id).or_default().push(days);
            }
        }
        let mut flags: Vec<ComplianceFlag> = gaps
            .into_iter()
            .map(|gap| {
                let status = match gap.expires_on {
                    None => VaccinationStatus::Missing,
                    Some(d) if d < as_of => VaccinationStatus::Expired,
                    Some(_) => VaccinationStatus::ExpiringSoon,
                };
                let stays = booked.get(&gap.dog_id).map_or(&[][..], Vec::as_slice);
                let next = stays.iter().map(|&(first, _)| first).min();
                let first_invalid = stays
                    .iter()
                    .filter_map(|&(first, last)| {
                        let day = match gap.expires_on {
                            Some(expires_on) => first.max(expires_on.succ_opt()?),
                            None => first,
                        };
                        (day <= last && !valid_on(gap.expires_on, day)).then_some(day)
                    })
                    .min();
                ComplianceFlag {
                    dog_id: gap.dog_id,
                    dog_name: gap.dog_name,
                    owner: CustomerRef {
                        id: gap.customer_id,
                        name: format!("{} {}", gap.first_name, gap.last_name),
                        phone: gap.phone,
                    },
                    vaccine: gap.kind,
                    status,
                    expires_on: gap.expires_on,
                    next_booking: next,
                    invalid_on_next_booking: next.is_some_and(|day| !valid_on(gap.expires_on, day)),
                    first_invalid_booking: first_invalid,
                }
            })
            .collect();
        flags.sort_by(|a, b| {
            (
                a.next_booking.is_none(),
                a.next_booking,
                a.status,
                a.expires_on,
            )
                .cmp(&(
                    b.next_booking.is_none(),
                    b.next_booking,
                    b.status,
                    b.expires_on,
                ))
                .then_with(|| a.dog_name.cmp(&b.dog_name))
        });
        let report = ComplianceReport {
            as_of,
            days_ahead,
            flags,
        };
        Ok((report, stays))
    }
}
