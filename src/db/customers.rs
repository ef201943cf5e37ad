//! Customers, their dogs and the dogs' vaccinations as whole records: what the facility's
//! records pages read and write (the search tiers live in [`super::search`]).

use chrono::{DateTime, NaiveDate, Utc};

use super::{AsConn, DbResult, on_conn, placeholders};
use crate::domain::*;

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRecord {
    pub id: CustomerId,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DogRecord {
    pub id: DogId,
    pub customer_id: CustomerId,
    pub name: String,
    pub breed: Option<String>,
    pub birthdate: Option<NaiveDate>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VaccinationRecord {
    pub id: VaccinationId,
    pub dog_id: DogId,
    pub kind: VaccineKind,
    pub administered_on: Option<NaiveDate>,
    pub expires_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

const CUSTOMER: &str =
    "SELECT id, first_name, last_name, email, phone, notes, created_at, updated_at FROM customers";
const DOG: &str =
    "SELECT id, customer_id, name, breed, birthdate, notes, created_at, updated_at FROM dogs";

/// Runs `SELECT … WHERE column IN (ids)`: one statement for any number of ids (none: no
/// statement). The SQL is built from constants and a count of placeholders; ids are bound.
macro_rules! by_ids {
    ($c:expr, $select:expr, $column:literal, $ids:expr, $order:literal) => {{
        let ids = $ids;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = sqlx::AssertSqlSafe(format!(
            "{} WHERE {} IN ({}) ORDER BY {}",
            $select,
            $column,
            placeholders(1, ids.len()),
            $order
        ));
        Ok(on_conn!($c, |conn| {
            let mut query = sqlx::query_as(sql);
            for id in ids {
                query = query.bind(*id);
            }
            query.fetch_all(conn).await
        })?)
    }};
}

/// Runs `SELECT …` of rows with `created_at` and `id`, newest first, after the position
/// `after`, at most `limit`.
macro_rules! newest_first {
    ($c:expr, $select:expr, $after:expr, $limit:expr) => {{
        let (at, id) = $after.unzip();
        let sql = sqlx::AssertSqlSafe(format!(
            "{} WHERE ($1 IS NULL OR created_at < $1 OR (created_at = $1 AND id < $2)) \
             ORDER BY created_at DESC, id DESC LIMIT $3",
            $select
        ));
        Ok(on_conn!($c, |conn| sqlx::query_as(sql)
            .bind(at)
            .bind(id)
            .bind($limit)
            .fetch_all(conn)
            .await)?)
    }};
}

pub async fn customers_by_ids(
    c: &mut impl AsConn,
    ids: &[CustomerId],
) -> DbResult<Vec<CustomerRecord>> {
    by_ids!(c, CUSTOMER, "id", ids, "id")
}

pub async fn customer(c: &mut impl AsConn, id: CustomerId) -> DbResult<Option<CustomerRecord>> {
    Ok(customers_by_ids(c, &[id]).await?.pop())
}

/// Customers in the order they were added (newest first), after the position `after`.
pub async fn customers_page(
    c: &mut impl AsConn,
    after: Option<(DateTime<Utc>, CustomerId)>,
    limit: i64,
) -> DbResult<Vec<CustomerRecord>> {
    newest_first!(c, CUSTOMER, after, limit)
}

/// Writes every editable field of a customer, if it still has `updated_at` `expected`;
/// returns whether it did.
pub async fn update_customer(
    c: &mut impl AsConn,
    x: &CustomerRecord,
    expected: DateTime<Utc>,
) -> DbResult<bool> {
    const SQL: &str = "UPDATE customers SET first_name = $2, last_name = $3, email = $4, phone = $5, \
                       notes = $6, updated_at = $7 WHERE id = $1 AND updated_at = $8";
    let n = on_conn!(c, |conn| sqlx::query(SQL)
        .bind(x.id)
        .bind(&x.first_name)
        .bind(&x.last_name)
        .bind(&x.email)
        .bind(&x.phone)
        .bind(&x.notes)
        .bind(x.updated_at)
        .bind(expected)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

pub async fn dogs_by_ids(c: &mut impl AsConn, ids: &[DogId]) -> DbResult<Vec<DogRecord>> {
    by_ids!(c, DOG, "id", ids, "id")
}

pub async fn dog(c: &mut impl AsConn, id: DogId) -> DbResult<Option<DogRecord>> {
    Ok(dogs_by_ids(c, &[id]).await?.pop())
}

/// The dogs of these customers, by name.
pub async fn dogs_of_customers(
    c: &mut impl AsConn,
    owners: &[CustomerId],
) -> DbResult<Vec<DogRecord>> {
    by_ids!(c, DOG, "customer_id", owners, "name, id")
}

/// Dogs in the order they were added (newest first), after the position `after`.
pub async fn dogs_page(
    c: &mut impl AsConn,
    after: Option<(DateTime<Utc>, DogId)>,
    limit: i64,
) -> DbResult<Vec<DogRecord>> {
    newest_first!(c, DOG, after, limit)
}

/// Writes every editable field of a dog, if it still has `updated_at` `expected`; returns
/// whether it did.
pub async fn update_dog(
    c: &mut impl AsConn,
    x: &DogRecord,
    expected: DateTime<Utc>,
) -> DbResult<bool> {
    const SQL: &str = "UPDATE dogs SET customer_id = $2, name = $3, breed = $4, birthdate = $5, \
                       notes = $6, updated_at = $7 WHERE id = $1 AND updated_at = $8";
    let n = on_conn!(c, |conn| sqlx::query(SQL)
        .bind(x.id)
        .bind(x.customer_id)
        .bind(&x.name)
        .bind(&x.breed)
        .bind(x.birthdate)
        .bind(&x.notes)
        .bind(x.updated_at)
        .bind(expected)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n == 1)
}

/// Every vaccination on record for these dogs, newest expiry first.
pub async fn vaccinations_of_dogs(
    c: &mut impl AsConn,
    dogs: &[DogId],
) -> DbResult<Vec<VaccinationRecord>> {
    by_ids!(
        c,
        "SELECT id, dog_id, kind, administered_on, expires_on, created_at FROM vaccinations",
        "dog_id",
        dogs,
        "expires_on DESC, id DESC"
    )
}
