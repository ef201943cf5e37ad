//! Payments taken at the desk and refunds of them (managers and admins). A refund is a payment
//! row of its own (status `refunded`, naming the payment it gives back), so revenue counts it
//! on the day it was given; the refunds of a payment never add up to more than was paid.

use chrono::{DateTime, NaiveDate, Utc};

use super::audit::{self, Author, Changes};
use super::{Facility, FacilityError, FacilityResult, MAX_RANGE_DAYS, check_range, clock};
use crate::db::payments::PaymentRecord;
use crate::db::{self, WriteLock};
use crate::domain::*;

/// The largest single payment accepted, in cents ($100,000).
pub const MAX_AMOUNT_CENTS: i64 = 10_000_000;
const MAX_NOTE_CHARS: usize = 500;

/// A payment received.
#[derive(Clone, Debug)]
pub struct PaymentInput {
    pub customer_id: CustomerId,
    pub booking_id: Option<BookingId>,
    pub amount_cents: i64,
    pub method: PaymentMethod,
    pub note: Option<String>,
}

fn invalid(field: &'static str, message: impl Into<String>) -> FacilityError {
    FacilityError::InvalidInput {
        field,
        message: message.into(),
    }
}

fn amount(field: &'static str, cents: i64) -> FacilityResult<i64> {
    if !(1..=MAX_AMOUNT_CENTS).contains(&cents) {
        return Err(invalid(
            field,
            format!("must be from 1 to {MAX_AMOUNT_CENTS} cents"),
        ));
    }
    Ok(cents)
}

fn note(text: Option<&str>) -> FacilityResult<Option<String>> {
    match text.map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) if t.contains('\0') || t.chars().count() > MAX_NOTE_CHARS => Err(invalid(
            "note",
            format!("at most {MAX_NOTE_CHARS} characters, without NUL characters"),
        )),
        Some(t) => Ok(Some(t.to_owned())),
    }
}

impl Facility {
    pub async fn record_payment(
        &self,
        author: &Author,
        input: &PaymentInput,
        now: DateTime<Utc>,
    ) -> FacilityResult<PaymentRecord> {
        author.require_manager("recording payments")?;
        let record = PaymentRecord {
            id: PaymentId::new(),
            booking_id: input.booking_id,
            customer_id: input.customer_id,
            amount_cents: amount("amount_cents", input.amount_cents)?,
            method: input.method,
            status: PaymentStatus::Succeeded,
            paid_at: Some(now),
            refund_of: None,
            note: note(input.note.as_deref())?,
            created_at: now,
        };
        let mut tx = self.db().begin().await?;
        if db::customers::customer(&mut tx, input.customer_id)
            .await?
            .is_none()
        {
            return Err(FacilityError::NotFound {
                entity: "customer",
                id: input.customer_id.to_string(),
                field: Some("customer_id"),
            });
        }
        if let Some(booking_id) = input.booking_id {
            match db::bookings::booking(&mut tx, booking_id).await? {
                None => {
                    return Err(FacilityError::NotFound {
                        entity: "booking",
                        id: booking_id.to_string(),
                        field: Some("booking_id"),
                    });
                }
                Some(b) if b.customer_id != input.customer_id => {
                    return Err(invalid("booking_id", "the booking is another customer's"));
                }
                Some(_) => {}
            }
        }
        db::payments::insert(&mut tx, &record).await?;
        audit::record(
            &mut tx,
            author,
            "payment.record",
            "payment",
            record.id.0,
            Changes::created(&record),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(record)
    }

    /// Gives back `amount_cents` of a payment (all of what is left when `None`).
    pub async fn refund_payment(
        &self,
        author: &Author,
        payment_id: PaymentId,
        amount_cents: Option<i64>,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> FacilityResult<PaymentRecord> {
        author.require_manager("refunding payments")?;
        let reason = note(reason)?;
        let mut tx = self.db().begin().await?;
        db::lock(&mut tx, WriteLock::Payments).await?;
        let original = db::payments::payment(&mut tx, payment_id)
            .await?
            .ok_or_else(|| FacilityError::NotFound {
                entity: "payment",
                id: payment_id.to_string(),
                field: None,
            })?;
        if original.refund_of.is_some() || original.status != PaymentStatus::Succeeded {
            return Err(invalid(
                "id",
                format!(
                    "only a succeeded payment can be refunded; this one is {}",
                    if original.refund_of.is_some() {
                        "a refund"
                    } else {
                        original.status.as_str()
                    }
                ),
            ));
        }
        let left = original.amount_cents - db::payments::refunded(&mut tx, payment_id).await?;
        let wanted = match amount_cents {
            Some(cents) => amount("amount_cents", cents)?,
            None => left,
        };
        if wanted > left || left == 0 {
            return Err(invalid(
                "amount_cents",
                format!(
                    "{wanted} cents is more than the {left} cents left of the {} paid",
                    original.amount_cents
                ),
            ));
        }
        let refund = PaymentRecord {
            id: PaymentId::new(),
            booking_id: original.booking_id,
            customer_id: original.customer_id,
            amount_cents: wanted,
            method: original.method,
            status: PaymentStatus::Refunded,
            paid_at: Some(now),
            refund_of: Some(payment_id),
            note: reason,
            created_at: now,
        };
        db::payments::insert(&mut tx, &refund).await?;
        audit::record(
            &mut tx,
            author,
            "payment.refund",
            "payment",
            payment_id.0,
            Changes::default().with("refunded", None::<()>, &refund),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(refund)
    }

    /// Payments and refunds paid on the days `from..=to`, newest first (managers and admins).
    pub async fn payments(
        &self,
        viewer: &Author,
        from: NaiveDate,
        to: NaiveDate,
        after: Option<(DateTime<Utc>, PaymentId)>,
        limit: i64,
    ) -> FacilityResult<Vec<PaymentRecord>> {
        viewer.require_manager("payments")?;
        check_range("to", from, to, MAX_RANGE_DAYS)?;
        let (start, end) = clock::range_bounds(self.timezone(), from, to);
        let mut conn = self.db().conn().await?;
        Ok(db::payments::page(&mut conn, start, end, after, limit).await?)
    }
}
