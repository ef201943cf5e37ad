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
    pub dog_id: DogId,
    pub dog_name: String,
    pub breed: Option<String>,
}

/// Bookings (not cancelled) that overlap `[from, to)`, one row per dog, in start order.
pub async fn stays_between(
    c: &mut impl AsConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DbResult<Vec<StayRow>> {
    const SQL: &str = "SELECT b.id AS booking_id, b.customer_id, c.first_name, c.last_name, c.phone, \
                       s.kind AS service, b.start_at, b.end_at, b.status, b.notes, b.created_at, \
                       d.id AS dog_id, d.name AS dog_name, d.breed \
                       FROM bookings b \
                       JOIN customers c ON c.id = b.customer_id \
                       JOIN services s ON s.id = b.service_id \
                       JOIN booking_dogs bd ON bd.booking_id = b.id \
                       JOIN dogs d ON d.id = bd.dog_id \
                       WHERE b.start_at < $2 AND b.end_at > $1 AND b.status <> 'cancelled' \
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
