//! Outgoing SMS to customers: Twilio, or the dry-run outbox when Twilio is not configured.

use crate::db::Db;

/// Sends SMS to customers and records every message in the outbox.
#[derive(Clone)]
pub struct SmsService {
    db: Db,
}

impl SmsService {
    pub fn new(db: Db) -> SmsService {
        SmsService { db }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}

/// Why an SMS was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("message: {0}")]
    InvalidMessage(String),
}

impl SmsError {
    pub fn code(&self) -> &'static str {
        "invalid_message"
    }

    pub fn field(&self) -> Option<&'static str> {
        Some("message")
    }

    pub fn is_user_error(&self) -> bool {
        true
    }
}
