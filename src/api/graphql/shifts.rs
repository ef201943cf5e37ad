//! Shifts and breaks (managers plan them), and payments and refunds (managers take them).

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::connection::{self, Cursor, connection, fetch_limit, page_size};
use super::facility::ShiftRole;
use super::loaders::{CustomerLoader, StaffUserLoader};
use super::records::Customer;
use super::scalars::Date;
use super::staff::StaffUser;
use super::{actor, author, data, gql_error, load_error, loader, parse_id};
use crate::api::error::ApiError;
use crate::db::payments::PaymentRecord;
use crate::domain::{self, PaymentId, StaffScheduleId};
use crate::facility::Facility;
use crate::facility::payments::PaymentInput as NewPayment;
use crate::facility::shifts::{
    BreakInput as NewBreak, ShiftInput as NewShift, ShiftPatch as ShiftChanges,
};
use crate::facility::staffing::ShiftView;

const PAYMENTS: &str = "payment";

/// Kinds of staff break.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::BreakType")]
pub enum BreakType {
    Lunch,
    Short,
    Personal,
}

/// How a payment was made.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::PaymentMethod")]
pub enum PaymentMethod {
    Card,
    Cash,
    Check,
    Points,
    Other,
}

/// A payment's state; a refund is a payment of its own, `REFUNDED`.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::PaymentStatus")]
pub enum PaymentStatus {
    Pending,
    Succeeded,
    Failed,
    Refunded,
}

/// A break of a shift.
#[derive(SimpleObject)]
pub struct ShiftBreak {
    pub id: ID,
    /// Local `HH:MM`.
    pub start: String,
    /// Local `HH:MM`.
    pub end: String,
    #[graphql(name = "type")]
    pub kind: BreakType,
}

/// A staff user's shift on a facility date, with its breaks.
pub struct Shift(pub ShiftView);

#[Object]
impl Shift {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn staff_user(&self, ctx: &Context<'_>) -> Result<StaffUser> {
        loader::<StaffUserLoader>(ctx)?
            .load_one(self.0.staff_user_id)
            .await
            .map_err(load_error)?
            .map(Into::into)
            .ok_or_else(|| gql_error(ApiError::Internal("a shift's staff user is missing".into())))
    }
    async fn date(&self) -> Date {
        Date(self.0.date)
    }
    /// Local `HH:MM`.
    async fn start(&self) -> String {
        self.0.start.to_string()
    }
    /// Local `HH:MM`.
    async fn end(&self) -> String {
        self.0.end.to_string()
    }
    async fn role(&self) -> ShiftRole {
        self.0.role.into()
    }
    /// Its breaks, earliest first.
    async fn breaks(&self) -> Vec<ShiftBreak> {
        self.0
            .breaks
            .iter()
            .map(|b| ShiftBreak {
                id: ID(b.id.to_string()),
                start: b.start.to_string(),
                end: b.end.to_string(),
                kind: b.kind.into(),
            })
            .collect()
    }
    /// When it (or one of its breaks) last changed: pass it as `expectedUpdatedAt`.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

/// A payment received, or a refund of one.
pub struct Payment(pub PaymentRecord);

connection!(
    /// A page of payments.
    PaymentConnection,
    PaymentEdge,
    Payment
);

#[Object]
impl Payment {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    async fn customer(&self, ctx: &Context<'_>) -> Result<Customer> {
        loader::<CustomerLoader>(ctx)?
            .load_one(self.0.customer_id)
            .await
            .map_err(load_error)?
            .map(Customer)
            .ok_or_else(|| gql_error(ApiError::Internal("a payment's customer is missing".into())))
    }
    /// The booking paid for, if any.
    async fn booking_id(&self) -> Option<ID> {
        self.0.booking_id.map(|id| ID(id.to_string()))
    }
    /// Always positive; a refund's amount is what was given back.
    async fn amount_cents(&self) -> i64 {
        self.0.amount_cents
    }
    async fn method(&self) -> PaymentMethod {
        self.0.method.into()
    }
    async fn status(&self) -> PaymentStatus {
        self.0.status.into()
    }
    async fn paid_at(&self) -> Option<DateTime<Utc>> {
        self.0.paid_at
    }
    /// For a refund: the payment it gives back.
    async fn refund_of(&self) -> Option<ID> {
        self.0.refund_of.map(|id| ID(id.to_string()))
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
}

/// A new shift.
#[derive(InputObject)]
pub struct ShiftInput {
    pub staff_user_id: ID,
    pub date: Date,
    /// Local `HH:MM`.
    pub start: String,
    /// Local `HH:MM`, after `start`.
    pub end: String,
    pub role: ShiftRole,
}

/// Changes to a shift: a field left out stays as it is.
#[derive(InputObject)]
pub struct ShiftPatch {
    pub start: Option<String>,
    pub end: Option<String>,
    pub role: Option<ShiftRole>,
}

/// A break inside a shift.
#[derive(InputObject)]
pub struct ShiftBreakInput {
    pub start: String,
    pub end: String,
    #[graphql(name = "type")]
    pub kind: BreakType,
}

/// A payment received at the desk.
#[derive(InputObject)]
pub struct PaymentInput {
    pub customer_id: ID,
    pub booking_id: Option<ID>,
    pub amount_cents: i64,
    pub method: PaymentMethod,
    pub note: Option<String>,
}

/// The shift `id` as it now stands, with its breaks.
async fn shift_view(
    ctx: &Context<'_>,
    date: chrono::NaiveDate,
    id: StaffScheduleId,
) -> Result<Shift> {
    facility(ctx)?
        .shifts_on(date)
        .await
        .map_err(gql_error)?
        .into_iter()
        .find(|s| s.id == id)
        .map(Shift)
        .ok_or_else(|| gql_error(ApiError::Internal("a shift just written is missing".into())))
}

fn facility<'c>(ctx: &Context<'c>) -> Result<&'c Facility> {
    data::<Facility>(ctx)
}

/// Reading shifts and payments.
#[derive(Default)]
pub struct ShiftsQuery;

#[Object]
impl ShiftsQuery {
    /// The shifts of a facility date, earliest first, with their breaks.
    async fn shifts(&self, ctx: &Context<'_>, date: Date) -> Result<Vec<Shift>> {
        actor(ctx)?;
        Ok(facility(ctx)?
            .shifts_on(date.0)
            .await
            .map_err(gql_error)?
            .into_iter()
            .map(Shift)
            .collect())
    }

    /// Payments and refunds paid on the days `from` to `to`, newest first (managers and
    /// admins).
    async fn payments(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        #[graphql(desc = "Payments on the page: 20 unless given, at most 100.")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page; none for the first page.")]
        after: Option<String>,
    ) -> Result<PaymentConnection> {
        let author = author(ctx)?;
        let size = page_size(first).map_err(gql_error)?;
        let after = Cursor::after(after.as_deref(), PAYMENTS)
            .map_err(gql_error)?
            .map(|(at, id)| (at, PaymentId(id)));
        let rows = facility(ctx)?
            .payments(&author, from.0, to.0, after, fetch_limit(size))
            .await
            .map_err(gql_error)?;
        Ok(connection::page(
            rows,
            size,
            |p| Cursor::new(PAYMENTS, p.paid_at.unwrap_or(p.created_at), p.id.0),
            Payment,
        ))
    }
}

/// Planning shifts and taking payments (managers and admins).
#[derive(Default)]
pub struct ShiftsMutation;

#[Object]
impl ShiftsMutation {
    async fn create_shift(&self, ctx: &Context<'_>, input: ShiftInput) -> Result<Shift> {
        let new = NewShift {
            staff_user_id: parse_id("staffUserId", &input.staff_user_id).map_err(gql_error)?,
            date: input.date.0,
            start: input.start,
            end: input.end,
            role: input.role.into(),
        };
        let created = facility(ctx)?
            .create_shift(&author(ctx)?, &new, domain::now())
            .await
            .map_err(gql_error)?;
        shift_view(ctx, created.date, created.id).await
    }

    /// Changes a shift's times or role. With `expectedUpdatedAt`, nothing is written when it
    /// changed since (`stale_update`).
    async fn update_shift(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ShiftPatch,
        expected_updated_at: Option<DateTime<Utc>>,
    ) -> Result<Shift> {
        let id: StaffScheduleId = parse_id("id", &id).map_err(gql_error)?;
        let patch = ShiftChanges {
            start: input.start,
            end: input.end,
            role: input.role.map(Into::into),
        };
        let updated = facility(ctx)?
            .update_shift(
                &author(ctx)?,
                id,
                &patch,
                expected_updated_at,
                domain::now(),
            )
            .await
            .map_err(gql_error)?;
        shift_view(ctx, updated.date, id).await
    }

    /// Deletes a shift with its breaks; answers its id.
    async fn delete_shift(&self, ctx: &Context<'_>, id: ID) -> Result<ID> {
        let shift: StaffScheduleId = parse_id("id", &id).map_err(gql_error)?;
        facility(ctx)?
            .delete_shift(&author(ctx)?, shift, domain::now())
            .await
            .map_err(gql_error)?;
        Ok(id)
    }

    async fn add_shift_break(
        &self,
        ctx: &Context<'_>,
        shift_id: ID,
        input: ShiftBreakInput,
    ) -> Result<Shift> {
        let id: StaffScheduleId = parse_id("shiftId", &shift_id).map_err(gql_error)?;
        let new = NewBreak {
            start: input.start,
            end: input.end,
            kind: input.kind.into(),
        };
        let facility = facility(ctx)?;
        facility
            .add_shift_break(&author(ctx)?, id, &new, domain::now())
            .await
            .map_err(gql_error)?;
        let date = facility
            .shift(id)
            .await
            .map_err(gql_error)?
            .map(|s| s.date)
            .unwrap_or_default();
        shift_view(ctx, date, id).await
    }

    async fn remove_shift_break(&self, ctx: &Context<'_>, id: ID) -> Result<Shift> {
        let id = parse_id("id", &id).map_err(gql_error)?;
        let shift = facility(ctx)?
            .remove_shift_break(&author(ctx)?, id, domain::now())
            .await
            .map_err(gql_error)?;
        shift_view(ctx, shift.date, shift.id).await
    }

    async fn record_payment(&self, ctx: &Context<'_>, input: PaymentInput) -> Result<Payment> {
        let new = NewPayment {
            customer_id: parse_id("customerId", &input.customer_id).map_err(gql_error)?,
            booking_id: input
                .booking_id
                .map(|id| parse_id("bookingId", &id))
                .transpose()
                .map_err(gql_error)?,
            amount_cents: input.amount_cents,
            method: input.method.into(),
            note: input.note,
        };
        let recorded = facility(ctx)?
            .record_payment(&author(ctx)?, &new, domain::now())
            .await
            .map_err(gql_error)?;
        Ok(Payment(recorded))
    }

    /// Gives back part or all (without `amountCents`: what is left) of a payment; never more
    /// than was paid.
    async fn refund_payment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        amount_cents: Option<i64>,
        reason: Option<String>,
    ) -> Result<Payment> {
        let id: PaymentId = parse_id("id", &id).map_err(gql_error)?;
        let refund = facility(ctx)?
            .refund_payment(
                &author(ctx)?,
                id,
                amount_cents,
                reason.as_deref(),
                domain::now(),
            )
            .await
            .map_err(gql_error)?;
        Ok(Payment(refund))
    }
}
