//! Bookings as the facility services read them: the stays overlapping a span of time with
//! their dogs and owners, and what creating a booking must look up.

use chrono::{DateTime, NaiveDate, Utc};

use super::{AsConn, DbResult, on_conn, placeholders};
use crate::domain::*;

/// One dog of one booking overlapping the queried span (a booking with three dogs is three
/// rows).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct StayRow {
    pub booking_id: BookingId,
    pub customer_id: CustomerId,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub service: ServiceKind,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub status: BookingStatus,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_out_at: Option<DateTime<Utc>>,
    pub dog_id: DogId,
    pub dog_name: String,
    pub breed: Option<String>,
}

/// Bookings that hold their places (not cancelled, not a no-show) and overlap `[from, to)`,
/// one row per dog, in start order.
pub async fn stays_between(
    c: &mut impl AsConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DbResult<Vec<StayRow>> {
    const SQL: &str = "SELECT b.id AS booking_id, b.customer_id, c.first_name, c.last_name, c.phone, \
                       s.kind AS service, b.start_at, b.end_at, b.status, b.notes, b.created_at, \
                       b.checked_in_at, b.checked_out_at, \
                       d.id AS dog_id, d.name AS dog_name, d.breed \
                       FROM bookings b \
                       JOIN customers c ON c.id = b.customer_id \
                       JOIN services s ON s.id = b.service_id \
                       JOIN booking_dogs bd ON bd.booking_id = b.id \
                       JOIN dogs d ON d.id = bd.dog_id \
                       WHERE b.start_at < $2 AND b.end_at > $1 AND b.status NOT IN ('cancelled', 'no_show') \
                       ORDER BY b.start_at, c.last_name, c.first_name, b.id, d.name";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(from)
        .bind(to)
        .fetch_all(conn)
        .await)?)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CustomerRow {
    pub id: CustomerId,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

pub async fn customer(c: &mut impl AsConn, id: CustomerId) -> DbResult<Option<CustomerRow>> {
    const SQL: &str = "SELECT id, first_name, last_name, email, phone FROM customers WHERE id = $1";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(id)
        .fetch_optional(conn)
        .await)?)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DogRow {
    pub id: DogId,
    pub customer_id: CustomerId,
    pub name: String,
    pub breed: Option<String>,
}

/// The dogs among `ids` that exist.
pub async fn dogs(c: &mut impl AsConn, ids: &[DogId]) -> DbResult<Vec<DogRow>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT id, customer_id, name, breed FROM dogs WHERE id IN ({})",
        placeholders(1, ids.len())
    ));
    Ok(on_conn!(c, |conn| {
        let mut query = sqlx::query_as(sql);
        for id in ids {
            query = query.bind(*id);
        }
        query.fetch_all(conn).await
    })?)
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ServiceRow {
    pub id: ServiceId,
    pub kind: ServiceKind,
    pub name: String,
    pub price_cents: i64,
    pub active: bool,
}

pub async fn service(c: &mut impl AsConn, kind: ServiceKind) -> DbResult<Option<ServiceRow>> {
    const SQL: &str = "SELECT id, kind, name, price_cents, active FROM services WHERE kind = $1";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(kind)
        .fetch_optional(conn)
        .await)?)
}

/// Every service, in the order of their kinds.
pub async fn services(c: &mut impl AsConn) -> DbResult<Vec<ServiceRow>> {
    const SQL: &str = "SELECT id, kind, name, price_cents, active FROM services ORDER BY kind";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .fetch_all(conn)
        .await)?)
}

/// The latest expiry of each vaccination kind on record for each of `dogs`.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct VaccinationRow {
    pub dog_id: DogId,
    pub kind: VaccineKind,
    pub expires_on: NaiveDate,
}

pub async fn latest_vaccinations(
    c: &mut impl AsConn,
    dogs: &[DogId],
) -> DbResult<Vec<VaccinationRow>> {
    if dogs.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT dog_id, kind, MAX(expires_on) AS expires_on FROM vaccinations \
         WHERE dog_id IN ({}) GROUP BY dog_id, kind",
        placeholders(1, dogs.len())
    ));
    Ok(on_conn!(c, |conn| {
        let mut query = sqlx::query_as(sql);
        for id in dogs {
            query = query.bind(*id);
        }
        query.fetch_all(conn).await
    })?)
}

/// How many bookings (of any status: a booking later cancelled was still made) were created
/// in each of the spans `[from, to)`, in the order given. One query whatever the number of
/// spans; the SQL is built from the count alone and the instants are bound.
pub async fn created_in(
    c: &mut impl AsConn,
    spans: &[(DateTime<Utc>, DateTime<Utc>)],
) -> DbResult<Vec<i64>> {
    if spans.is_empty() {
        return Ok(Vec::new());
    }
    let windows = (0..spans.len())
        .map(|i| {
            format!(
                "SELECT {i} AS i, ${} AS from_at, ${} AS to_at",
                2 * i + 1,
                2 * i + 2
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(b.id) AS n FROM ({windows}) w \
         LEFT JOIN bookings b ON b.created_at >= w.from_at AND b.created_at < w.to_at \
         GROUP BY w.i ORDER BY w.i"
    ));
    let counts: Vec<(i64,)> = on_conn!(c, |conn| {
        let mut query = sqlx::query_as(sql);
        for (from, to) in spans {
            query = query.bind(*from).bind(*to);
        }
        query.fetch_all(conn).await
    })?;
    Ok(counts.into_iter().map(|(n,)| n).collect())
}

/// A booking as stored, without its dogs.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BookingRecord {
    pub id: BookingId,
    pub customer_id: CustomerId,
    pub service: ServiceKind,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub status: BookingStatus,
    pub notes: Option<String>,
    pub created_by: Option<StaffUserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_out_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
}

const BOOKING: &str = "SELECT b.id, b.customer_id, s.kind AS service, b.start_at, b.end_at, b.status, \
                       b.notes, b.created_by, b.created_at, b.updated_at, b.checked_in_at, \
                       b.checked_out_at, b.cancelled_at, b.cancel_reason \
                       FROM bookings b JOIN services s ON s.id = b.service_id";

pub async fn booking(c: &mut impl AsConn, id: BookingId) -> DbResult<Option<BookingRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{BOOKING} WHERE b.id = $1"));
    Ok(on_conn!(c, |conn| sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(conn)
        .await)?)
}

/// What a list of bookings is filtered by; every filter is optional but the span.
#[derive(Clone, Debug, Default)]
pub struct BookingFilter {
    pub statuses: Vec<BookingStatus>,
    pub customer_id: Option<CustomerId>,
}

/// Runs `$select` (bookings as `b`, their services as `s`) for the bookings overlapping
/// `[from, to)` that pass `filter`, in start order, after the position `after`, at most
/// `limit`. The SQL is built from constants and a count of placeholders; values are bound.
macro_rules! between {
    ($c:expr, $select:expr, $from:expr, $to:expr, $filter:expr, $after:expr, $limit:expr) => {{
        let filter: &BookingFilter = $filter;
        let (after_at, after_id) = $after.unzip();
        let statuses = if filter.statuses.is_empty() {
            String::new()
        } else {
            format!(
                " AND b.status IN ({})",
                placeholders(7, filter.statuses.len())
            )
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "{} WHERE b.start_at < $2 AND b.end_at > $1 \
             AND ($3 IS NULL OR b.customer_id = $3) \
             AND ($4 IS NULL OR b.start_at > $4 OR (b.start_at = $4 AND b.id > $5)){statuses} \
             ORDER BY b.start_at, b.id LIMIT $6",
            $select
        ));
        Ok(on_conn!($c, |conn| {
            let mut query = sqlx::query_as(sql)
                .bind($from)
                .bind($to)
                .bind(filter.customer_id)
                .bind(after_at)
                .bind(after_id)
                .bind($limit);
            for status in &filter.statuses {
                query = query.bind(*status);
            }
            query.fetch_all(conn).await
        })?)
    }};
}

/// Bookings overlapping `[from, to)` in start order, after the position `after` (start, id).
pub async fn bookings_between(
    c: &mut impl AsConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    filter: &BookingFilter,
    after: Option<(DateTime<Utc>, BookingId)>,
    limit: i64,
) -> DbResult<Vec<BookingRecord>> {
    between!(c, BOOKING, from, to, filter, after, limit)
}

/// The bookings of customers, newest start first, at most `per_customer` each.
pub async fn bookings_of_customers(
    c: &mut impl AsConn,
    customers: &[CustomerId],
    per_customer: i64,
) -> DbResult<Vec<BookingRecord>> {
    if customers.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT * FROM (SELECT x.*, ROW_NUMBER() OVER (PARTITION BY x.customer_id ORDER BY x.start_at DESC, x.id DESC) AS n \
         FROM ({BOOKING} WHERE b.customer_id IN ({})) x) y WHERE n <= $1 ORDER BY customer_id, start_at DESC, id DESC",
        placeholders(2, customers.len())
    ));
    Ok(on_conn!(c, |conn| {
        let mut query = sqlx::query_as(sql).bind(per_customer);
        for id in customers {
            query = query.bind(*id);
        }
        query.fetch_all(conn).await
    })?)
}

/// The dogs of bookings, as (booking, dog) pairs.
pub async fn dogs_of_bookings(
    c: &mut impl AsConn,
    bookings: &[BookingId],
) -> DbResult<Vec<(BookingId, DogId)>> {
    if bookings.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT bd.booking_id, bd.dog_id FROM booking_dogs bd JOIN dogs d ON d.id = bd.dog_id \
         WHERE bd.booking_id IN ({}) ORDER BY bd.booking_id, d.name, d.id",
        placeholders(1, bookings.len())
    ));
    Ok(on_conn!(c, |conn| {
        let mut query = sqlx::query_as(sql);
        for id in bookings {
            query = query.bind(*id);
        }
        query.fetch_all(conn).await
    })?)
}

/// Moves a booking to `to` at `at` if its status is one of `from`; returns whether it did.
/// The status is compared in the statement itself, so of two moves racing only one happens.
pub async fn transition(
    c: &mut impl AsConn,
    id: BookingId,
    from: &[BookingStatus],
    to: BookingStatus,
    at: DateTime<Utc>,
    reason: Option<&str>,
) -> DbResult<bool> {
    let sql = sqlx::AssertSqlSafe(format!(
        "UPDATE bookings SET status = $2, updated_at = $3, \
         checked_in_at = CASE WHEN $2 = 'checked_in' THEN $3 ELSE checked_in_at END, \
         checked_out_at = CASE WHEN $2 = 'checked_out' THEN $3 ELSE checked_out_at END, \
         cancelled_at = CASE WHEN $2 IN ('cancelled', 'no_show') THEN $3 ELSE cancelled_at END, \
         cancel_reason = COALESCE($4, cancel_reason) \
         WHERE id = $1 AND status IN ({})",
        placeholders(5, from.len())
    ));
    let n = on_conn!(c, |conn| {
        let mut query = sqlx::query(sql).bind(id).bind(to).bind(at).bind(reason);
        for status in from {
            query = query.bind(*status);
        }
        query.execute(conn).await.map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Moves a booking to another span; returns whether it still had `updated_at` `expected`.
pub async fn reschedule(
    c: &mut impl AsConn,
    id: BookingId,
    start_at: DateTime<Utc>,
    end_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    expected: DateTime<Utc>,
) -> DbResult<bool> {
    const SQL: &str = "UPDATE bookings SET start_at = $2, end_at = $3, updated_at = $4 \
                       WHERE id = $1 AND updated_at = $5";
    let n = on_conn!(c, |conn| sqlx::query(SQL)
        .bind(id)
        .bind(start_at)
        .bind(end_at)
        .bind(updated_at)
        .bind(expected)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// A customer's bookings, newest start first, after the position `after` (start, id).
pub async fn customer_bookings_page(
    c: &mut impl AsConn,
    customer: CustomerId,
    after: Option<(DateTime<Utc>, BookingId)>,
    limit: i64,
) -> DbResult<Vec<BookingRecord>> {
    let (at, id) = after.unzip();
    let sql = sqlx::AssertSqlSafe(format!(
        "{BOOKING} WHERE b.customer_id = $1 \
         AND ($2 IS NULL OR b.start_at < $2 OR (b.start_at = $2 AND b.id < $3)) \
         ORDER BY b.start_at DESC, b.id DESC LIMIT $4"
    ));
    Ok(on_conn!(c, |conn| sqlx::query_as(sql)
        .bind(customer)
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(conn)
        .await)?)
}

/// A dog of a booking, whole.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct BookedDogRow {
    pub booking_id: BookingId,
    #[sqlx(flatten)]
    pub dog: super::customers::DogRecord,
}

/// The dogs of bookings, whole, by name: one statement for a page of bookings.
pub async fn booked_dogs(
    c: &mut impl AsConn,
    bookings: &[BookingId],
) -> DbResult<Vec<BookedDogRow>> {
    if bookings.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT bd.booking_id, d.id, d.customer_id, d.name, d.breed, d.birthdate, d.notes, \
         d.created_at, d.updated_at \
         FROM booking_dogs bd JOIN dogs d ON d.id = bd.dog_id \
         WHERE bd.booking_id IN ({}) ORDER BY bd.booking_id, d.name, d.id",
        placeholders(1, bookings.len())
    ));
    Ok(on_conn!(c, |conn| {
        let mut query = sqlx::query_as(sql);
        for id in bookings {
            query = query.bind(*id);
        }
        query.fetch_all(conn).await
    })?)
}

/// A booking with its customer, from one row.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct BookingAndCustomerRow {
    #[sqlx(flatten)]
    pub booking: BookingRecord,
    pub c_first_name: String,
    pub c_last_name: String,
    pub c_email: Option<String>,
    pub c_phone: Option<String>,
    pub c_notes: Option<String>,
    pub c_created_at: DateTime<Utc>,
    pub c_updated_at: DateTime<Utc>,
}

impl BookingAndCustomerRow {
    pub fn split(self) -> (BookingRecord, super::customers::CustomerRecord) {
        let customer = super::customers::CustomerRecord {
            id: self.booking.customer_id,
            first_name: self.c_first_name,
            last_name: self.c_last_name,
            email: self.c_email,
            phone: self.c_phone,
            notes: self.c_notes,
            created_at: self.c_created_at,
            updated_at: self.c_updated_at,
        };
        (self.booking, customer)
    }
}

/// [`bookings_between`] with each booking's customer read in the same statement.
pub async fn bookings_with_customers_between(
    c: &mut impl AsConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    filter: &BookingFilter,
    after: Option<(DateTime<Utc>, BookingId)>,
    limit: i64,
) -> DbResult<Vec<BookingAndCustomerRow>> {
    const SELECT: &str = "SELECT b.id, b.customer_id, s.kind AS service, b.start_at, b.end_at, \
         b.status, b.notes, b.created_by, b.created_at, b.updated_at, b.checked_in_at, \
         b.checked_out_at, b.cancelled_at, b.cancel_reason, \
         c.first_name AS c_first_name, c.last_name AS c_last_name, c.email AS c_email, \
         c.phone AS c_phone, c.notes AS c_notes, c.created_at AS c_created_at, \
         c.updated_at AS c_updated_at \
         FROM bookings b JOIN services s ON s.id = b.service_id \
         JOIN customers c ON c.id = b.customer_id";
    between!(c, SELECT, from, to, filter, after, limit)
}
