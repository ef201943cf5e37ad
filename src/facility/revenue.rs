//! Revenue for a range of days: payments by service and by method, refunds, and loyalty
//! points. Managers and admins only — the rule is enforced here, not left to the prompt.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::clock;
use super::{Facility, FacilityError, FacilityResult, MAX_RANGE_DAYS, check_range};
use crate::db::{self, revenue::PaymentGroup};
use crate::domain::*;

/// A count of payments and their sum in cents.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Tally {
    pub count: i64,
    pub amount_cents: i64,
}

impl Tally {
    fn add(&mut self, group: &PaymentGroup) {
        self.count += group.count;
        self.amount_cents += group.amount_cents;
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceTally {
    /// `None` for payments not tied to a booking.
    pub service: Option<ServiceKind>,
    #[serde(flatten)]
    pub tally: Tally,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MethodTally {
    pub method: PaymentMethod,
    #[serde(flatten)]
    pub tally: Tally,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PointsSummary {
    pub issued: i64,
    pub redeemed: i64,
    pub transactions: i64,
}

/// Revenue from `start_date` to `end_date` inclusive (facility dates), in cents.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevenueSummary {
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    /// Payments that succeeded (refunded ones excluded).
    pub total: Tally,
    pub by_service: Vec<ServiceTally>,
    pub by_method: Vec<MethodTally>,
    /// Payments refunded to the customer.
    pub refunds: Tally,
    /// Payments not yet settled.
    pub pending: Tally,
    pub failed: Tally,
    pub points: PointsSummary,
}

fn require_manager(actor: &Actor) -> FacilityResult<()> {
    if actor.role.is_manager() {
        Ok(())
    } else {
        Err(FacilityError::Forbidden {
            what: "revenue",
            role: actor.role,
        })
    }
}

impl Facility {
    /// Revenue of a range of days, for managers and admins.
    /// What succeeded payments brought in on `day`: [`Facility::revenue`]'s `total`, in one
    /// statement. Managers and admins only.
    pub async fn revenue_total(&self, actor: &Actor, day: NaiveDate) -> FacilityResult<i64> {
        require_manager(actor)?;
        let (from, to) = clock::range_bounds(self.timezone(), day, day);
        let mut conn = self.db().conn().await?;
        Ok(db::revenue::succeeded_total_between(&mut conn, from, to).await?)
    }

    pub async fn revenue(
        &self,
        actor: &Actor,
        start: NaiveDate,
        end: NaiveDate,
    ) -> FacilityResult<RevenueSummary> {
        require_manager(actor)?;
        check_range("end_date", start, end, MAX_RANGE_DAYS)?;
        let (from, to) = clock::range_bounds(self.timezone(), start, end);
        let mut conn = self.db().conn().await?;
        let groups = db::revenue::payments_between(&mut conn, from, to).await?;
        let points = db::revenue::points_between(&mut conn, from, to).await?;

        let mut summary = RevenueSummary {
            start_date: start,
            end_date: end,
            total: Tally::default(),
            by_service: Vec::new(),
            by_method: Vec::new(),
            refunds: Tally::default(),
            pending: Tally::default(),
            failed: Tally::default(),
            points: PointsSummary {
                issued: points.issued,
                redeemed: points.redeemed,
                transactions: points.transactions,
            },
        };
        let mut by_service: BTreeMap<Option<&str>, ServiceTally> = BTreeMap::new();
        let mut by_method: BTreeMap<&str, MethodTally> = BTreeMap::new();
        for group in &groups {
            match group.status {
                PaymentStatus::Succeeded => {
                    summary.total.add(group);
                    by_service
                        .entry(group.service.map(ServiceKind::as_str))
                        .or_insert_with(|| ServiceTally {
                            service: group.service,
                            tally: Tally::default(),
                        })
                        .tally
                        .add(group);
                    by_method
                        .entry(group.method.as_str())
                        .or_insert_with(|| MethodTally {
                            method: group.method,
                            tally: Tally::default(),
                        })
                        .tally
                        .add(group);
                }
                PaymentStatus::Refunded => summary.refunds.add(group),
                PaymentStatus::Pending => summary.pending.add(group),
                PaymentStatus::Failed => summary.failed.add(group),
            }
        }
        summary.by_service = by_service.into_values().collect();
        summary.by_method = by_method.into_values().collect();
        // Largest first: what a manager reads first.
        summary
            .by_service
            .sort_by_key(|s| std::cmp::Reverse(s.tally.amount_cents));
        summary
            .by_method
            .sort_by_key(|m| std::cmp::Reverse(m.tally.amount_cents));
        Ok(summary)
    }
}
