//! The SMS outbox: every message AIM sends (or records in dry-run mode), with its delivery
//! state, and the counts the rate limits are checked against.
//!
//! Timestamps are compared in SQL. On SQLite they are RFC 3339 text in UTC with a fixed
//! `+00:00` offset and 0, 3, 6 or 9 fractional digits, which sorts in time order as text.

use chrono::{DateTime, Utc};

use super::{AsConn, DbResult, on_conn};
use crate::domain::{CustomerId, SmsMessageId, SmsStatus, StaffUserId};

/// A message in the outbox, as stored and as tools and the API show it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize, sqlx::FromRow)]
#[serde(rename_all = "camelCase")]
pub struct SmsMessage {
    pub id: SmsMessageId,
    /// `None` once the customer has been deleted; the message stays on record.
    pub customer_id: Option<CustomerId>,
    pub to_number: String,
    pub body: String,
    pub status: SmsStatus,
    pub provider_id: Option<String>,
    pub error: Option<String>,
    pub created_by: Option<StaffUserId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A message about to be recorded.
#[derive(Clone, Debug)]
pub struct NewSmsMessage {
    pub id: SmsMessageId,
    pub customer_id: CustomerId,
    pub to_number: String,
    pub body: String,
    pub status: SmsStatus,
    pub created_by: Option<StaffUserId>,
    pub created_at: DateTime<Utc>,
}

/// Who a message goes to: the customer's name (for messages about a missing phone) and the
/// phone number as entered.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct SmsRecipient {
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
}

pub async fn insert(c: &mut impl AsConn, x: &NewSmsMessage) -> DbResult<()> {
    const SQL: &str = "INSERT INTO sms_messages \
                       (id, customer_id, to_number, body, status, provider_id, error, created_by, created_at, updated_at) \
                       VALUES ($1, $2, $3, $4, $5, NULL, NULL, $6, $7, $7)";
    on_conn!(c, |conn| {
        sqlx::query(SQL)
            .bind(x.id)
            .bind(x.customer_id)
            .bind(&x.to_number)
            .bind(&x.body)
            .bind(x.status)
            .bind(x.created_by)
            .bind(x.created_at)
            .execute(conn)
            .await
            .map(|r| r.rows_affected())
    })?;
    Ok(())
}

/// Records the outcome of a send; returns whether the message exists.
pub async fn update_status(
    c: &mut impl AsConn,
    id: SmsMessageId,
    status: SmsStatus,
    provider_id: Option<&str>,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> DbResult<bool> {
    const SQL: &str = "UPDATE sms_messages SET status = $2, provider_id = $3, error = $4, updated_at = $5 \
                       WHERE id = $1";
    let done = on_conn!(c, |conn| sqlx::query(SQL)
        .bind(id)
        .bind(status)
        .bind(provider_id)
        .bind(error)
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(done == 1)
}

pub async fn find_by_id(c: &mut impl AsConn, id: SmsMessageId) -> DbResult<Option<SmsMessage>> {
    const SQL: &str = "SELECT id, customer_id, to_number, body, status, provider_id, error, created_by, \
                       created_at, updated_at FROM sms_messages WHERE id = $1";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(id)
        .fetch_optional(conn)
        .await)?)
}

/// The latest `limit` messages to `customer_id`, newest first.
pub async fn list_to_customer(
    c: &mut impl AsConn,
    customer_id: CustomerId,
    limit: u32,
) -> DbResult<Vec<SmsMessage>> {
    const SQL: &str = "SELECT id, customer_id, to_number, body, status, provider_id, error, created_by, \
                       created_at, updated_at FROM sms_messages WHERE customer_id = $1 \
                       ORDER BY created_at DESC, id DESC LIMIT $2";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(customer_id)
        .bind(i64::from(limit))
        .fetch_all(conn)
        .await)?)
}

/// Messages to `customer_id` created after `since`, whatever became of them: an attempt that
/// failed may still have reached the phone, so every attempt counts against the limit.
pub async fn count_to_customer_since(
    c: &mut impl AsConn,
    customer_id: CustomerId,
    since: DateTime<Utc>,
) -> DbResult<i64> {
    const SQL: &str =
        "SELECT COUNT(*) FROM sms_messages WHERE customer_id = $1 AND created_at > $2";
    Ok(on_conn!(c, |conn| sqlx::query_scalar(SQL)
        .bind(customer_id)
        .bind(since)
        .fetch_one(conn)
        .await)?)
}

/// Messages to anyone created after `since` (the facility-wide limit).
pub async fn count_since(c: &mut impl AsConn, since: DateTime<Utc>) -> DbResult<i64> {
    const SQL: &str = "SELECT COUNT(*) FROM sms_messages WHERE created_at > $1";
    Ok(on_conn!(c, |conn| sqlx::query_scalar(SQL)
        .bind(since)
        .fetch_one(conn)
        .await)?)
}

/// When the `n`-th newest message to `customer_id` after `since` was created (`n` from 1).
/// Once that message is older than the window, fewer than `n` remain in it: this tells a
/// rate-limited caller how long to wait.
pub async fn nth_newest_to_customer_since(
    c: &mut impl AsConn,
    customer_id: CustomerId,
    since: DateTime<Utc>,
    n: u32,
) -> DbResult<Option<DateTime<Utc>>> {
    const SQL: &str = "SELECT created_at FROM sms_messages WHERE customer_id = $1 AND created_at > $2 \
                       ORDER BY created_at DESC LIMIT 1 OFFSET $3";
    let offset = i64::from(n.saturating_sub(1));
    Ok(on_conn!(c, |conn| sqlx::query_scalar(SQL)
        .bind(customer_id)
        .bind(since)
        .bind(offset)
        .fetch_optional(conn)
        .await)?)
}

/// When the `n`-th newest message to anyone after `since` was created (`n` from 1).
pub async fn nth_newest_since(
    c: &mut impl AsConn,
    since: DateTime<Utc>,
    n: u32,
) -> DbResult<Option<DateTime<Utc>>> {
    const SQL: &str = "SELECT created_at FROM sms_messages WHERE created_at > $1 \
                       ORDER BY created_at DESC LIMIT 1 OFFSET $2";
    let offset = i64::from(n.saturating_sub(1));
    Ok(on_conn!(c, |conn| sqlx::query_scalar(SQL)
        .bind(since)
        .bind(offset)
        .fetch_optional(conn)
        .await)?)
}

/// The customer's name and phone, or `None` when there is no such customer.
pub async fn recipient(
    c: &mut impl AsConn,
    customer_id: CustomerId,
) -> DbResult<Option<SmsRecipient>> {
    const SQL: &str = "SELECT first_name, last_name, phone FROM customers WHERE id = $1";
    Ok(on_conn!(c, |conn| sqlx::query_as(SQL)
        .bind(customer_id)
        .fetch_optional(conn)
        .await)?)
}
