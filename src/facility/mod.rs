//! The facility domain over the data layer: settings, the demo facility, and (as they grow)
//! bookings, schedules, search, revenue and SMS. No HTTP or GraphQL here.

pub mod demo;
pub mod settings;
