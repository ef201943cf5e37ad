//! Staff users, and the query every staff user has: who am I (`me`).

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

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
