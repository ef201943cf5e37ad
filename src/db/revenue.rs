//! Payments and loyalty points, aggregated over a span of time.

use chrono::{DateTime, Utc};

use super::{AsConn, DbResult, on_conn};
use crate::domain::*;

/// Payments of one status, method and service (via their booking; `None` without one).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct PaymentGroup {
    pub status: PaymentStatus,
    pub method: PaymentMethod,
    pub service: Option<ServiceKind>,
    pub count: i64,
    pub amount_cents: i64,
}

/// Payments paid in `[from, to)`, grouped.
pub async fn payments_between(
    c: &mut impl AsConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DbResult<Vec<PaymentGroup>> {
    const SQL: &str = "SELECT p.status, p.method, s.kind AS service, COUNT(*) AS count, \
                       CAST(SUM(p.amount_cents) AS BIGINT) AS amount_cents \
                       FROM payments p \
                       LEFT JOIN bookings b ON b.id = p.booking_id \
                       LEFT JOIN services s ON s.id = b.service_id \
                       WHERE p.paid_at >= $1 AND p.paid_at < $2 \
                       GROUP BY p.status, p.method, s.kind";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(from)
        .bind(to)
        .fetch_all(conn)
        .await)?)
}

/// The sum of succeeded payments in a span, in cents.
pub async fn succeeded_total_between(
    c: &mut impl AsConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DbResult<i64> {
    const SQL: &str = "SELECT CAST(COALESCE(SUM(amount_cents), 0) AS BIGINT) FROM payments \
                       WHERE status = 'succeeded' AND paid_at >= $1 AND paid_at < $2";
    let (total,): (i64,) = on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(from)
        .bind(to)
        .fetch_one(conn)
        .await)?;
    Ok(total)
}

/// Loyalty points issued (positive transactions) and redeemed (negative) in a span.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct PointsTotals {
    pub issued: i64,
    pub redeemed: i64,
    pub transactions: i64,
}

pub async fn points_between(
    c: &mut impl AsConn,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> DbResult<PointsTotals> {
    const SQL: &str = "SELECT \
                       COALESCE(CAST(SUM(CASE WHEN points > 0 THEN points ELSE 0 END) AS BIGINT), 0) AS issued, \
                       COALESCE(CAST(SUM(CASE WHEN points < 0 THEN -points ELSE 0 END) AS BIGINT), 0) AS redeemed, \
                       COUNT(*) AS transactions \
                       FROM points_transactions WHERE created_at >= $1 AND created_at < $2";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(from)
        .bind(to)
        .fetch_one(conn)
        .await)?)
}
