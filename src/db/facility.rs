//! Rows of the facility domain: customers, dogs, vaccinations, services, bookings, shifts,
//! breaks, payments and points. Plain inserts here; the services above decide what to write.

use chrono::{DateTime, NaiveDate, Utc};

use super::{AsConn, DbResult, on_conn};
use crate::domain::*;

#[derive(Clone, Debug)]
pub struct NewCustomer {
    pub id: CustomerId,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub notes: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewDog {
    pub id: DogId,
    pub customer_id: CustomerId,
    pub name: String,
    pub breed: Option<String>,
    pub birthdate: Option<NaiveDate>,
    pub notes: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewVaccination {
    pub id: VaccinationId,
    pub dog_id: DogId,
    pub kind: VaccineKind,
    pub administered_on: Option<NaiveDate>,
    pub expires_on: NaiveDate,
}

#[derive(Clone, Debug)]
pub struct NewService {
    pub id: ServiceId,
    pub kind: ServiceKind,
    pub name: String,
    pub price_cents: i64,
}

#[derive(Clone, Debug)]
pub struct NewBooking {
    pub id: BookingId,
    pub customer_id: CustomerId,
    pub service_id: ServiceId,
    pub dog_ids: Vec<DogId>,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub status: BookingStatus,
    pub notes: Option<String>,
    pub created_by: Option<StaffUserId>,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug)]
pub struct NewShift {
    pub id: StaffScheduleId,
    pub staff_user_id: StaffUserId,
    pub date: NaiveDate,
    pub start_time: String,
    pub end_time: String,
    pub role: ShiftRole,
}

#[derive(Clone, Debug)]
pub struct NewBreak {
    pub id: StaffBreakId,
    pub staff_schedule_id: StaffScheduleId,
    pub start_time: String,
    pub end_time: String,
    pub kind: BreakType,
}

#[derive(Clone, Debug)]
pub struct NewPayment {
    pub id: PaymentId,
    pub booking_id: Option<BookingId>,
    pub customer_id: CustomerId,
    pub amount_cents: i64,
    pub method: PaymentMethod,
    pub status: PaymentStatus,
    pub paid_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug)]
pub struct NewPoints {
    pub id: PointsTransactionId,
    pub customer_id: CustomerId,
    pub points: i32,
    pub reason: String,
    pub booking_id: Option<BookingId>,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_customer(
    c: &mut impl AsConn,
    x: &NewCustomer,
    now: DateTime<Utc>,
) -> DbResult<()> {
    const SQL: &str = "INSERT INTO customers (id, first_name, last_name, email, phone, notes, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";
    on_conn!(c, |conn| {
        sqlx::query(SQL)
            .bind(x.id)
            .bind(&x.first_name)
            .bind(&x.last_name)
            .bind(&x.email)
            .bind(&x.phone)
            .bind(&x.notes)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn insert_dog(c: &mut impl AsConn, x: &NewDog, now: DateTime<Utc>) -> DbResult<()> {
    const SQL: &str = "INSERT INTO dogs (id, customer_id, name, breed, birthdate, notes, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";
    on_conn!(c, |conn| {
        sqlx::query(SQL)
            .bind(x.id)
            .bind(x.customer_id)
            .bind(&x.name)
            .bind(&x.breed)
            .bind(x.birthdate)
            .bind(&x.notes)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn insert_vaccination(
    c: &mut impl AsConn,
    x: &NewVaccination,
    now: DateTime<Utc>,
) -> DbResult<()> {
    const SQL: &str = "INSERT INTO vaccinations (id, dog_id, kind, administered_on, expires_on, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6)";
    on_conn!(c, |conn| {
        sqlx::query(SQL)
            .bind(x.id)
            .bind(x.dog_id)
            .bind(x.kind)
            .bind(x.administered_on)
            .bind(x.expires_on)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Writes a service, or the name and price of the one of its kind already there (a new
/// database has the four with list prices); returns the id it is stored under.
pub async fn insert_service(
    c: &mut impl AsConn,
    x: &NewService,
    now: DateTime<Utc>,
) -> DbResult<ServiceId> {
    const SQL: &str = "INSERT INTO services (id, kind, name, price_cents, active, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6) \
                       ON CONFLICT (kind) DO UPDATE SET name = excluded.name, price_cents = excluded.price_cents \
                       RETURNING id";
    Ok(on_conn!(c, |conn| sqlx::query_scalar(SQL)
        .bind(x.id)
        .bind(x.kind)
        .bind(&x.name)
        .bind(x.price_cents)
        .bind(true)
        .bind(now)
        .fetch_one(conn)
        .await)?)
}

/// Inserts a booking and its dogs. Call inside a transaction: it writes several rows. A booking
/// written as checked in (or out) is recorded as in from its start (and out at its end); one
/// written as cancelled or a no-show, as such from its creation.
pub async fn insert_booking(c: &mut impl AsConn, x: &NewBooking) -> DbResult<()> {
    const BOOKING: &str = "INSERT INTO bookings \
                           (id, customer_id, service_id, start_at, end_at, status, notes, created_by, created_at, updated_at, \
                            checked_in_at, checked_out_at, cancelled_at) \
                           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12)";
    let checked_in_at = matches!(
        x.status,
        BookingStatus::CheckedIn | BookingStatus::CheckedOut
    )
    .then_some(x.start_at);
    let checked_out_at = (x.status == BookingStatus::CheckedOut).then_some(x.end_at);
    let cancelled_at = (!x.status.holds_places()).then_some(x.created_at);
    const DOG: &str = "INSERT INTO booking_dogs (booking_id, dog_id) VALUES ($1, $2)";
    on_conn!(c, |conn| {
        sqlx::query(BOOKING)
            .bind(x.id)
            .bind(x.customer_id)
            .bind(x.service_id)
            .bind(x.start_at)
            .bind(x.end_at)
            .bind(x.status)
            .bind(&x.notes)
            .bind(x.created_by)
            .bind(x.created_at)
            .bind(checked_in_at)
            .bind(checked_out_at)
            .bind(cancelled_at)
            .execute(&mut *conn)
            .await?;
        for dog_id in &x.dog_ids {
            sqlx::query(DOG)
                .bind(x.id)
                .bind(*dog_id)
                .execute(&mut *conn)
                .await?;
        }
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(())
}

pub async fn insert_shift(c: &mut impl AsConn, x: &NewShift, now: DateTime<Utc>) -> DbResult<()> {
    const SQL: &str = "INSERT INTO staff_schedules (id, staff_user_id, date, start_time, end_time, role, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $7)";
    on_conn!(c, |conn| {
        sqlx::query(SQL)
            .bind(x.id)
            .bind(x.staff_user_id)
            .bind(x.date)
            .bind(&x.start_time)
            .bind(&x.end_time)
            .bind(x.role)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn insert_break(c: &mut impl AsConn, x: &NewBreak, now: DateTime<Utc>) -> DbResult<()> {
    const SQL: &str = "INSERT INTO staff_breaks (id, staff_schedule_id, start_time, end_time, type, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6)";
    on_conn!(c, |conn| {
        sqlx::query(SQL)
            .bind(x.id)
            .bind(x.staff_schedule_id)
            .bind(&x.start_time)
            .bind(&x.end_time)
            .bind(x.kind)
            .bind(now)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn insert_payment(
    c: &mut impl AsConn,
    x: &NewPayment,
    now: DateTime<Utc>,
) -> DbResult<()> {
    const SQL: &str = "INSERT INTO payments (id, booking_id, customer_id, amount_cents, method, status, paid_at, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_conn!(c, |conn| {
        sqlx::query(SQL)
            .bind(x.id)
            .bind(x.booking_id)
            .bind(x.customer_id)
            .bind(x.amount_cents)
            .bind(x.method)
            .bind(x.status)
            .bind(x.paid_at)
            .bind(x.paid_at.unwrap_or(now))
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

pub async fn insert_points(c: &mut impl AsConn, x: &NewPoints) -> DbResult<()> {
    const SQL: &str = "INSERT INTO points_transactions (id, customer_id, points, reason, booking_id, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6)";
    on_conn!(c, |conn| {
        sqlx::query(SQL)
            .bind(x.id)
            .bind(x.customer_id)
            .bind(x.points)
            .bind(&x.reason)
            .bind(x.booking_id)
            .bind(x.created_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// The tables of the schema, in an order that respects foreign keys (parents first).
pub const TABLES: &[&str] = &[
    "staff_users",
    "customers",
    "dogs",
    "vaccinations",
    "services",
    "bookings",
    "booking_dogs",
    "staff_schedules",
    "staff_breaks",
    "payments",
    "points_transactions",
    "sms_messages",
    "facility_settings",
    "server_secrets",
    "aim_conversations",
    "aim_messages",
    "aim_alerts",
    "aim_actions",
    "aim_chat_requests",
];

/// Row count of every table in [`TABLES`], for diagnostics and the seed's idempotency check.
pub async fn table_counts(c: &mut impl AsConn) -> DbResult<Vec<(&'static str, i64)>> {
    let mut counts = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        // Table names come from the constant list above, never from input.
        let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}"));
        let n: i64 = on_conn!(c, |conn| sqlx::query_scalar(sql).fetch_one(conn).await)?;
        counts.push((*table, n));
    }
    Ok(counts)
}
