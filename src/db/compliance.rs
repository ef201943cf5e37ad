//! Vaccination compliance: dogs whose required vaccinations lapse by a date.

use chrono::NaiveDate;

use super::{AsConn, DbResult, on_conn};
use crate::domain::*;

/// A dog lacking a vaccination valid after the cutoff: its latest expiry of that kind, if any.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct GapRow {
    pub dog_id: DogId,
    pub dog_name: String,
    pub customer_id: CustomerId,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub kind: VaccineKind,
    pub expires_on: Option<NaiveDate>,
}

/// Every dog and required vaccination with no record valid after `cutoff` (expired, expiring
/// on or before it, or never given).
pub async fn gaps(c: &mut impl AsConn, cutoff: NaiveDate) -> DbResult<Vec<GapRow>> {
    const SQL: &str = "SELECT d.id AS dog_id, d.name AS dog_name, c.id AS customer_id, \
                       c.first_name, c.last_name, c.phone, k.kind, \
                       (SELECT MAX(v.expires_on) FROM vaccinations v \
                         WHERE v.dog_id = d.id AND v.kind = k.kind) AS expires_on \
                       FROM dogs d \
                       JOIN customers c ON c.id = d.customer_id \
                       CROSS JOIN (SELECT $2 AS kind UNION ALL SELECT $3 UNION ALL SELECT $4) k \
                       WHERE NOT EXISTS (SELECT 1 FROM vaccinations v \
                         WHERE v.dog_id = d.id AND v.kind = k.kind AND v.expires_on > $1) \
                       ORDER BY d.name, d.id, k.kind";
    let [a, b, k] = [
        VaccineKind::Rabies,
        VaccineKind::Dhpp,
        VaccineKind::Bordetella,
    ];
    debug_assert_eq!(VaccineKind::REQUIRED, &[a, b, k]);
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(cutoff)
        .bind(a)
        .bind(b)
        .bind(k)
        .fetch_all(conn)
        .await)?)
}
