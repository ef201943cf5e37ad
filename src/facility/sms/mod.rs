//! Outgoing SMS to customers: the outbox and its rate limits, and the provider that sends what
//! the outbox records, Twilio (`twilio`) or a dry run that sends nothing when Twilio is not
//! configured.
//!
//! Every message is written to the outbox (`sms_messages`) before anything goes over the
//! network, so what AIM texted, to whom and on whose behalf is on record even when the send
//! fails or the process dies mid-way. Rate limits (per customer and facility-wide, over a
//! rolling hour) are checked in the same write transaction as that insert, under
//! [`WriteLock::Sms`], so concurrent sends cannot both slip under a limit. The network call
//! happens after the commit: a slow provider never holds a database lock.

mod twilio;

pub use twilio::{MAX_RETRY_DELAY, TwilioConfig};

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use futures::future::BoxFuture;

use crate::config::Config;
use crate::db::sms::NewSmsMessage;
pub use crate::db::sms::SmsMessage;
use crate::db::{self, Db, DbError, Tx, WriteLock};
use crate::domain::{Actor, CustomerId, SmsMessageId, SmsStatus, StaffUserId, now};

/// The longest message accepted, in characters: Twilio refuses bodies over 1,600 characters
/// (about ten concatenated SMS segments).
pub const MAX_SMS_CHARS: usize = 1600;

/// The window the rate limits count messages over.
const RATE_WINDOW: TimeDelta = TimeDelta::hours(1);

/// How many messages may be sent in any rolling hour. The per-customer limit keeps one
/// customer from being flooded (by a staff member or by a model stuck in a loop); the
/// facility-wide limit keeps anyone from texting the whole customer list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SmsLimits {
    pub per_customer_per_hour: u32,
    pub per_facility_per_hour: u32,
}

impl Default for SmsLimits {
    fn default() -> Self {
        SmsLimits {
            per_customer_per_hour: 3,
            per_facility_per_hour: 60,
        }
    }
}

/// Which rate limit refused a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateLimitScope {
    /// Messages to one customer.
    Customer,
    /// Messages from the whole facility.
    Facility,
}

impl RateLimitScope {
    pub const fn as_str(self) -> &'static str {
        match self {
            RateLimitScope::Customer => "customer",
            RateLimitScope::Facility => "facility",
        }
    }
}

impl fmt::Display for RateLimitScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an SMS was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("the message is empty; write the text to send")]
    EmptyMessage,
    #[error("the message is {chars} characters long; at most {max} can be sent in one text")]
    MessageTooLong { chars: usize, max: usize },
    #[error("no customer with id {0}")]
    UnknownCustomer(CustomerId),
    #[error("{customer_name} has no phone number on file")]
    NoPhone { customer_name: String },
    #[error(
        "`{phone}` is not a phone number that can receive texts: enter 10 digits (US or Canada) or + and the country code"
    )]
    InvalidPhone { phone: String },
    #[error("{}", rate_limit_text(*.scope, *.limit, *.retry_after_secs))]
    RateLimited {
        scope: RateLimitScope,
        limit: u32,
        /// Seconds until the oldest message counted leaves the window.
        retry_after_secs: Option<u64>,
    },
    #[error("the text message could not be sent: {reason}")]
    SendFailed {
        /// The outbox row, recorded as `failed` with the reason.
        message_id: SmsMessageId,
        reason: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

fn rate_limit_text(scope: RateLimitScope, limit: u32, retry_after_secs: Option<u64>) -> String {
    let plural = if limit == 1 { "" } else { "s" };
    let who = match scope {
        RateLimitScope::Customer => {
            format!("this customer has already been sent {limit} text message{plural}")
        }
        RateLimitScope::Facility => {
            format!("the facility has already sent {limit} text message{plural}")
        }
    };
    let when = match retry_after_secs {
        Some(secs) if secs < 60 => format!("try again in {secs} seconds"),
        Some(secs) => {
            let minutes = secs.div_ceil(60);
            format!(
                "try again in {minutes} minute{}",
                if minutes == 1 { "" } else { "s" }
            )
        }
        None => "try again later".to_owned(),
    };
    format!("{who} in the last hour, the most allowed; {when}")
}

impl SmsError {
    /// A stable, machine-readable name of the error.
    pub fn code(&self) -> &'static str {
        match self {
            SmsError::EmptyMessage => "empty_message",
            SmsError::MessageTooLong { .. } => "message_too_long",
            SmsError::UnknownCustomer(_) => "unknown_customer",
            SmsError::NoPhone { .. } => "no_phone",
            SmsError::InvalidPhone { .. } => "invalid_phone",
            SmsError::RateLimited { .. } => "rate_limited",
            SmsError::SendFailed { .. } => "send_failed",
            SmsError::Db(_) => "internal",
        }
    }

    /// The input field at fault, when one is. A missing or unusable phone number is the
    /// customer's record, so it points at `customer_id`.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            SmsError::EmptyMessage | SmsError::MessageTooLong { .. } => Some("message"),
            SmsError::UnknownCustomer(_)
            | SmsError::NoPhone { .. }
            | SmsError::InvalidPhone { .. } => Some("customer_id"),
            _ => None,
        }
    }

    /// Whether the caller can act on it; a failed send or a database failure is the system's.
    pub fn is_user_error(&self) -> bool {
        !matches!(self, SmsError::SendFailed { .. } | SmsError::Db(_))
    }
}

/// The message body as it will be sent: trimmed, not empty, at most [`MAX_SMS_CHARS`]
/// characters (characters, not bytes: "é" is one).
pub fn validate_body(body: &str) -> Result<&str, SmsError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(SmsError::EmptyMessage);
    }
    let chars = body.chars().count();
    if chars > MAX_SMS_CHARS {
        return Err(SmsError::MessageTooLong {
            chars,
            max: MAX_SMS_CHARS,
        });
    }
    Ok(body)
}

/// The number in E.164 (`+15550142387`), as Twilio requires. Spaces, dashes, dots and
/// parentheses are ignored; `+` and 8–15 digits is kept as it is; 10 digits, or 11 starting
/// with 1, are North American (the facility's own country).
pub fn normalize_phone(raw: &str) -> Result<String, SmsError> {
    let invalid = || SmsError::InvalidPhone {
        phone: raw.trim().to_owned(),
    };
    let compact: String = raw
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '.' | '(' | ')')))
        .collect();
    let (plus, digits) = match compact.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, compact.as_str()),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    match (plus, digits.len()) {
        // Country codes never start with 0.
        (true, 8..=15) if !digits.starts_with('0') => Ok(format!("+{digits}")),
        (false, 10) => Ok(format!("+1{digits}")),
        (false, 11) if digits.starts_with('1') => Ok(format!("+{digits}")),
        _ => Err(invalid()),
    }
}

/// The number with all but its last four digits hidden, for logs.
fn masked(number: &str) -> String {
    let keep = number.len().saturating_sub(4);
    number
        .char_indices()
        .map(|(i, c)| {
            if i < keep && c.is_ascii_digit() {
                '*'
            } else {
                c
            }
        })
        .collect()
}

/// A message that passed [`SmsService::check`]: who it goes to and what it says.
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SmsPreview {
    pub customer_id: CustomerId,
    pub customer_name: String,
    /// E.164.
    pub to_number: String,
    /// The message, trimmed.
    pub body: String,
}

/// Sends SMS to customers and records every message in the outbox.
#[derive(Clone)]
pub struct SmsService {
    db: Db,
    provider: Arc<dyn SmsProvider>,
    limits: SmsLimits,
}

impl SmsService {
    /// `twilio: None` records messages as `dry_run` without sending them.
    pub fn new(db: Db, twilio: Option<TwilioConfig>, limits: SmsLimits) -> SmsService {
        let provider: Arc<dyn SmsProvider> = match twilio {
            Some(config) => Arc::new(twilio::Twilio::new(config)),
            None => Arc::new(DryRun),
        };
        SmsService {
            db,
            provider,
            limits,
        }
    }

    /// Twilio from the `TWILIO_*` settings (dry run unless all are set), default limits.
    pub fn from_config(db: Db, config: &Config) -> SmsService {
        SmsService::new(db, TwilioConfig::from_config(config), SmsLimits::default())
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Whether messages are only recorded, not sent.
    pub fn is_dry_run(&self) -> bool {
        self.provider.is_dry_run()
    }

    pub fn limits(&self) -> SmsLimits {
        self.limits
    }

    /// A message from the outbox.
    pub async fn get(&self, id: SmsMessageId) -> Result<Option<SmsMessage>, SmsError> {
        Ok(db::sms::find_by_id(&mut self.db.conn().await?, id).await?)
    }

    /// Checks that `body` can be texted to the customer (a valid message, a known customer
    /// with a usable phone) and says where it would go, sending and recording nothing.
    pub async fn check(&self, customer_id: CustomerId, body: &str) -> Result<SmsPreview, SmsError> {
        let body = validate_body(body)?;
        let recipient = db::sms::recipient(&mut self.db.conn().await?, customer_id)
            .await?
            .ok_or(SmsError::UnknownCustomer(customer_id))?;
        let customer_name = format!("{} {}", recipient.first_name, recipient.last_name);
        let phone = recipient
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .ok_or_else(|| SmsError::NoPhone {
                customer_name: customer_name.clone(),
            })?;
        Ok(SmsPreview {
            customer_id,
            customer_name,
            to_number: normalize_phone(phone)?,
            body: body.to_owned(),
        })
    }

    /// Texts `body` to the customer's phone on behalf of `actor`, within the rate limits.
    ///
    /// The message is recorded first (`queued`, or `dry_run` without Twilio), then sent; the
    /// outcome is recorded on the same row. A send Twilio refuses or that cannot reach Twilio
    /// returns [`SmsError::SendFailed`] and leaves the row `failed` with the reason. A refused
    /// message (invalid, unknown customer, no phone, rate limit) writes nothing. Once the row
    /// is written, the send and its record finish even if the caller stops waiting.
    pub async fn send_to_customer(
        &self,
        actor: &Actor,
        customer_id: CustomerId,
        body: &str,
    ) -> Result<SmsMessage, SmsError> {
        let SmsPreview {
            to_number, body, ..
        } = self.check(customer_id, body).await?;
        let body = body.as_str();

        let status = if self.is_dry_run() {
            SmsStatus::DryRun
        } else {
            SmsStatus::Queued
        };
        let mut tx = self.db.begin().await?;
        db::lock(&mut tx, WriteLock::Sms).await?;
        // Read the clock only once the lock is held, so rows are created in lock order.
        let created_at = now();
        self.check_limits(&mut tx, customer_id, created_at).await?;
        let new = NewSmsMessage {
            id: SmsMessageId::new(),
            customer_id,
            to_number,
            body: body.to_owned(),
            status,
            created_by: Some(actor.staff_user_id),
            created_at,
        };
        db::sms::insert(&mut tx, &new).await?;
        tx.commit().await?;

        let message = SmsMessage {
            id: new.id,
            customer_id: Some(customer_id),
            to_number: new.to_number,
            body: new.body,
            status,
            provider_id: None,
            error: None,
            created_by: new.created_by,
            created_at,
            updated_at: created_at,
        };

        // The send runs as a task of its own: a caller who stops waiting (a closed connection,
        // a timed-out request) must not leave the row `queued` with the outcome unknown.
        let message_id = message.id;
        let delivery = tokio::spawn(deliver(
            self.db.clone(),
            Arc::clone(&self.provider),
            message,
            actor.staff_user_id,
        ));
        let message = match delivery.await {
            Ok(delivered) => delivered?,
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(_) => {
                return Err(SmsError::SendFailed {
                    message_id,
                    reason: "the server shut down before Twilio answered".to_owned(),
                });
            }
        };
        match &message.error {
            None => Ok(message),
            Some(reason) => Err(SmsError::SendFailed {
                message_id,
                reason: reason.clone(),
            }),
        }
    }

    /// Refuses when the customer or the facility has had its fill of messages in the hour
    /// before `now`. Run under [`WriteLock::Sms`] so the count cannot go stale before the insert.
    async fn check_limits(
        &self,
        tx: &mut Tx,
        customer_id: CustomerId,
        now: DateTime<Utc>,
    ) -> Result<(), SmsError> {
        let since = now - RATE_WINDOW;
        let limit = self.limits.per_customer_per_hour;
        let sent = db::sms::count_to_customer_since(tx, customer_id, since).await?;
        if sent >= i64::from(limit) {
            let nth = db::sms::nth_newest_to_customer_since(tx, customer_id, since, limit).await?;
            return Err(SmsError::RateLimited {
                scope: RateLimitScope::Customer,
                limit,
                retry_after_secs: retry_after(nth, now),
            });
        }
        let limit = self.limits.per_facility_per_hour;
        let sent = db::sms::count_since(tx, since).await?;
        if sent >= i64::from(limit) {
            let nth = db::sms::nth_newest_since(tx, since, limit).await?;
            return Err(SmsError::RateLimited {
                scope: RateLimitScope::Facility,
                limit,
                retry_after_secs: retry_after(nth, now),
            });
        }
        Ok(())
    }
}

/// Hands a recorded message to the provider and records the outcome on its row.
async fn deliver(
    db: Db,
    provider: Arc<dyn SmsProvider>,
    mut message: SmsMessage,
    staff_user_id: StaffUserId,
) -> Result<SmsMessage, DbError> {
    let Some(outcome) = provider.send(&message.to_number, &message.body).await else {
        tracing::info!(
            message_id = %message.id,
            customer_id = ?message.customer_id,
            to = %masked(&message.to_number),
            %staff_user_id,
            "SMS recorded without sending (dry run: Twilio is not configured)"
        );
        return Ok(message);
    };
    let updated_at = now();
    db::sms::update_status(
        &mut db.conn().await?,
        message.id,
        outcome.status,
        outcome.sid.as_deref(),
        outcome.error.as_deref(),
        updated_at,
    )
    .await?;
    message.status = outcome.status;
    message.provider_id = outcome.sid;
    message.error = outcome.error;
    message.updated_at = updated_at;
    let provider_id = message.provider_id.as_deref().unwrap_or("");
    match &message.error {
        None => tracing::info!(
            message_id = %message.id,
            customer_id = ?message.customer_id,
            to = %masked(&message.to_number),
            %staff_user_id,
            provider_id,
            status = %message.status,
            attempts = outcome.attempts,
            "SMS sent"
        ),
        Some(reason) => tracing::warn!(
            message_id = %message.id,
            customer_id = ?message.customer_id,
            to = %masked(&message.to_number),
            %staff_user_id,
            provider_id,
            attempts = outcome.attempts,
            %reason,
            "SMS not sent"
        ),
    }
    Ok(message)
}

/// Seconds from `now` until a message created at `nth_newest` leaves the window (at least 1);
/// `None` when there is no such message (a limit of zero never frees up).
fn retry_after(nth_newest: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<u64> {
    let frees_at = nth_newest? + RATE_WINDOW;
    let wait = (frees_at - now).num_milliseconds().max(0) as u64;
    Some(wait.div_ceil(1000).max(1))
}

/// What sends the messages the outbox records: Twilio, or [`DryRun`], which sends nothing.
trait SmsProvider: Send + Sync {
    /// Whether messages are only recorded (`dry_run`), never sent; they are recorded `queued`
    /// for a provider that sends them.
    fn is_dry_run(&self) -> bool;

    /// Sends one message to `to` (E.164), with the provider's own retries. `None` when nothing
    /// was sent and the recorded row stands as it is.
    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> BoxFuture<'a, Option<Outcome>>;
}

/// The provider without Twilio: the outbox row is the whole record of the message.
struct DryRun;

impl SmsProvider for DryRun {
    fn is_dry_run(&self) -> bool {
        true
    }

    fn send<'a>(&'a self, _to: &'a str, _body: &'a str) -> BoxFuture<'a, Option<Outcome>> {
        Box::pin(std::future::ready(None))
    }
}

/// What became of one send: the row's new state. `error` is set exactly when it failed.
struct Outcome {
    status: SmsStatus,
    sid: Option<String>,
    error: Option<String>,
    attempts: u32,
}

impl Outcome {
    fn failed(reason: String, attempts: u32) -> Outcome {
        Outcome {
            status: SmsStatus::Failed,
            sid: None,
            error: Some(reason),
            attempts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn north_american_numbers_get_the_plus_one() {
        assert_eq!(normalize_phone("(555) 014-2387").unwrap(), "+15550142387");
        assert_eq!(normalize_phone("555.014.2387").unwrap(), "+15550142387");
        assert_eq!(normalize_phone("1-555-014-2387").unwrap(), "+15550142387");
        assert_eq!(normalize_phone(" 15550142387 ").unwrap(), "+15550142387");
    }

    #[test]
    fn international_numbers_are_kept() {
        assert_eq!(
            normalize_phone("+44 20 7946 0958").unwrap(),
            "+442079460958"
        );
        assert_eq!(
            normalize_phone("+1 (555) 014-2387").unwrap(),
            "+15550142387"
        );
        assert_eq!(normalize_phone("+12345678").unwrap(), "+12345678");
        assert_eq!(
            normalize_phone("+123456789012345").unwrap(),
            "+123456789012345"
        );
    }

    #[test]
    fn other_shapes_are_refused_naming_the_number() {
        for raw in [
            "",
            "555-0142",
            "25550142387",
            "+1234567",
            "+1234567890123456",
            "+0442079460958",
            "555-014-2387 x12",
            "++15550142387",
            "1+5550142387",
            "call me",
        ] {
            match normalize_phone(raw) {
                Err(SmsError::InvalidPhone { phone }) => assert_eq!(phone, raw.trim()),
                other => panic!("{raw:?} gave {other:?}"),
            }
        }
        let err = normalize_phone("555-0142").unwrap_err();
        assert!(err.to_string().contains("`555-0142`"), "{err}");
        assert_eq!(err.code(), "invalid_phone");
    }

    #[test]
    fn bodies_are_trimmed_and_counted_in_characters() {
        assert_eq!(validate_body("  See you at 5!\n").unwrap(), "See you at 5!");
        assert!(matches!(
            validate_body(" \n\t"),
            Err(SmsError::EmptyMessage)
        ));
        let accented = "é".repeat(MAX_SMS_CHARS);
        assert_eq!(validate_body(&accented).unwrap().len(), 2 * MAX_SMS_CHARS);
        match validate_body(&format!("{accented}é")) {
            Err(SmsError::MessageTooLong { chars, max }) => {
                assert_eq!((chars, max), (MAX_SMS_CHARS + 1, MAX_SMS_CHARS));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rate_limit_messages_say_which_limit_and_how_long() {
        let err = SmsError::RateLimited {
            scope: RateLimitScope::Customer,
            limit: 3,
            retry_after_secs: Some(601),
        };
        assert_eq!(
            err.to_string(),
            "this customer has already been sent 3 text messages in the last hour, the most allowed; try again in 11 minutes"
        );
        let err = SmsError::RateLimited {
            scope: RateLimitScope::Facility,
            limit: 60,
            retry_after_secs: Some(5),
        };
        assert_eq!(
            err.to_string(),
            "the facility has already sent 60 text messages in the last hour, the most allowed; try again in 5 seconds"
        );
        assert!(err.is_user_error());
        assert_eq!(err.field(), None);
    }

    #[test]
    fn logged_numbers_keep_only_the_last_four_digits() {
        assert_eq!(masked("+15550142387"), "+*******2387");
    }
}
