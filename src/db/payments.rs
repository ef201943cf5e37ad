//! Payments one by one (the revenue figures aggregate them in [`super::revenue`]).

use chrono::{DateTime, Utc};

use super::{AsConn, DbResult, on_conn};
use crate::domain::*;

/// A payment, or a refund of one (`refund_of`, status `refunded`), as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRecord {
    pub id: PaymentId,
    pub booking_id: Option<BookingId>,
    pub customer_id: CustomerId,
    pub amount_cents: i64,
    pub method: PaymentMethod,
    pub status: PaymentStatus,
    pub paid_at: Option<DateTime<Utc>>,
    pub refund_of: Option<PaymentId>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

const PAYMENT: &str = "SELECT id, booking_id, customer_id, amount_cents, method, status, paid_at, \
                       refund_of, note, created_at FROM payments";

pub async fn insert(c: &mut impl AsConn, x: &PaymentRecord) -> DbResult<()> {
    const SQL: &str = "INSERT INTO payments (id, booking_id, customer_id, amount_cents, method, status, paid_at, refund_of, note, created_at) \
                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
    on_conn!(c, |conn| sqlx::query(SQL)
        .bind(x.id)
        .bind(x.booking_id)
        .bind(x.customer_id)
        .bind(x.amount_cents)
        .bind(x.method)
        .bind(x.status)
        .bind(x.paid_at)
        .bind(x.refund_of)
        .bind(&x.note)
        .bind(x.created_at)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn payment(c: &mut impl AsConn, id: PaymentId) -> DbResult<Option<PaymentRecord>> {
    let sql = sqlx::AssertSqlSafe(format!("{PAYMENT} WHERE id = $1"));
    Ok(on_conn!(c, |conn| sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(conn)
        .await)?)
}

/// How much of a payment has been refunded so far, in cents.
pub async fn refunded(c: &mut impl AsConn, id: PaymentId) -> DbResult<i64> {
    const SQL: &str =
        "SELECT COALESCE(CAST(SUM(amount_cents) AS BIGINT), 0) FROM payments WHERE refund_of = $1";
    Ok(on_conn!(c, |conn| sqlx::query_scalar(SQL)
        .bind(id)
        .fetch_one(conn)
        .await)?)
}

/// Payments paid in `[from, to)`, newest first, after the position `after` (paid at, id).
pub async fn page(
    c: &mut impl AsConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    after: Option<(DateTime<Utc>, PaymentId)>,
    limit: i64,
) -> DbResult<Vec<PaymentRecord>> {
    let (at, id) = after.unzip();
    let sql = sqlx::AssertSqlSafe(format!(
        "{PAYMENT} WHERE paid_at >= $1 AND paid_at < $2 \
         AND ($3 IS NULL OR paid_at < $3 OR (paid_at = $3 AND id < $4)) \
         ORDER BY paid_at DESC, id DESC LIMIT $5"
    ));
    Ok(on_conn!(c, |conn| sqlx::query_as(sql)
        .bind(from)
        .bind(to)
        .bind(at)
        .bind(id)
        .bind(limit)
        .fetch_all(conn)
        .await)?)
}
