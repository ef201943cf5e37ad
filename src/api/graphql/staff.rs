//! Staff users, and the query every staff user has: who am I (`me`).

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{author, caller};
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

/// A new staff account.
#[derive(async_graphql::InputObject)]
pub struct StaffUserInput {
    pub email: String,
    pub name: String,
    pub role: StaffRole,
    /// At least 12 characters.
    pub password: String,
}

/// Staff accounts: listed by managers, managed by admins.
#[derive(Default)]
pub struct StaffQuery;

#[Object]
impl StaffQuery {
    /// Every staff user, by name (managers and admins).
    async fn staff_users(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<StaffUser>> {
        let facility = super::data::<crate::facility::Facility>(ctx)?;
        Ok(facility
            .staff_users(&author(ctx)?)
            .await
            .map_err(super::gql_error)?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

/// Changes to staff accounts.
#[derive(Default)]
pub struct StaffMutation;

#[Object]
impl StaffMutation {
    /// Adds a staff account (admins).
    async fn create_staff_user(
        &self,
        ctx: &Context<'_>,
        input: StaffUserInput,
    ) -> async_graphql::Result<StaffUser> {
        let facility = super::data::<crate::facility::Facility>(ctx)?;
        let new = crate::facility::staff::NewStaff {
            email: input.email,
            name: input.name,
            role: input.role.into(),
            password: input.password,
        };
        Ok(facility
            .add_staff(&author(ctx)?, &new, crate::domain::now())
            .await
            .map_err(super::gql_error)?
            .into())
    }

    /// Changes a staff user's role, or whether they can sign in (admins). The last active
    /// admin stays one.
    async fn update_staff_user(
        &self,
        ctx: &Context<'_>,
        id: ID,
        role: Option<StaffRole>,
        active: Option<bool>,
    ) -> async_graphql::Result<StaffUser> {
        let facility = super::data::<crate::facility::Facility>(ctx)?;
        let id = super::parse_id("id", &id).map_err(super::gql_error)?;
        Ok(facility
            .update_staff(
                &author(ctx)?,
                id,
                role.map(Into::into),
                active,
                crate::domain::now(),
            )
            .await
            .map_err(super::gql_error)?
            .into())
    }

    /// Changes the signed-in staff user's own password.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current: String,
        new: String,
    ) -> async_graphql::Result<bool> {
        let facility = super::data::<crate::facility::Facility>(ctx)?;
        facility
            .change_own_password(&author(ctx)?, &current, &new, crate::domain::now())
            .await
            .map_err(super::gql_error)?;
        Ok(true)
    }
}
