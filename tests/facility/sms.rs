//! SMS to customers: Twilio (against an in-process fake) and the dry-run outbox.
