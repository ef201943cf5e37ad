//! What every part of the schema shares: the signed-in staff user (`me`), staff users, and
//! the `Date` scalar.

use async_graphql::{
    Context, Enum, ID, InputValueError, InputValueResult, Object, Scalar, ScalarType, SimpleObject,
    Value,
};
use chrono::{DateTime, NaiveDate, Utc};

use super::caller;
use crate::db::staff;
use crate::domain::Role;

/// A staff member's role.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::Role")]
pub enum StaffRole {
    /// Runs the floor: chat, bookings, schedules.
    Staff,
    /// Also sees revenue and manages staff.
    Manager,
    /// Everything a manager can, and the facility's settings.
    Admin,
}

/// A staff user of the facility.
#[derive(SimpleObject)]
pub struct StaffUser {
    /// The staff user's id.
    pub id: ID,
    /// Sign-in email, lower-case.
    pub email: String,
    /// Full name, as colleagues see it.
    pub name: String,
    /// What the staff user may do.
    pub role: StaffRole,
    /// Whether the staff user can still sign in.
    pub active: bool,
    /// When the account was created.
    pub created_at: DateTime<Utc>,
}

impl From<staff::StaffUser> for StaffUser {
    fn from(s: staff::StaffUser) -> Self {
        StaffUser {
            id: ID(s.id.to_string()),
            email: s.email,
            name: s.name,
            role: Role::into(s.role),
            active: s.active,
            created_at: s.created_at,
        }
    }
}

/// The queries every staff user has, whatever the feature.
#[derive(Default)]
pub struct CoreQuery;

#[Object]
impl CoreQuery {
    /// The signed-in staff user.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<StaffUser> {
        Ok(caller(ctx)?.staff.clone().into())
    }
}

/// A calendar date of the facility (its time zone), `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

/// A calendar date in the facility's time zone, written `YYYY-MM-DD`.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(text) = &value else {
            return Err(InputValueError::expected_type(value));
        };
        // Four-digit years only: date arithmetic near chrono's limits would overflow.
        match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) if text.len() == 10 => Ok(Date(date)),
            _ => Err(InputValueError::custom(format!(
                "`{text}` is not a date in the form YYYY-MM-DD"
            ))),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

impl From<NaiveDate> for Date {
    fn from(date: NaiveDate) -> Self {
        Date(date)
    }
}
