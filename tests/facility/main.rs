//! The facility services: bookings, the dashboard, search, staff schedules, compliance,
//! revenue and SMS. Each test runs on SQLite and PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod sms;
