//! The GraphQL schema, apart from its HTTP wiring so it can be built (and printed) alone.

pub mod alerts;
pub mod ws;

use async_graphql::{
    Context, Enum, ID, MergedObject, MergedSubscription, Object, Schema, SchemaBuilder,
    SimpleObject,
};
use axum::extract::State;
use chrono::{DateTime, Utc};

use super::AppState;
use super::auth::Staff;
use crate::auth::Authenticated;
use crate::db::staff::StaffUser as StaffUserRecord;
use crate::domain::Role;

use alerts::{AlertMutation, AlertQuery, AlertSubscription};

pub type AimSchema = Schema<Query, Mutation, Subscription>;

/// The query root: each feature contributes its fields.
#[derive(MergedObject, Default)]
pub struct Query(CoreQuery, AlertQuery);

/// The mutation root.
#[derive(MergedObject, Default)]
pub struct Mutation(AlertMutation);

/// The subscription root.
#[derive(MergedSubscription, Default)]
pub struct Subscription(AlertSubscription);

/// Deepest query accepted.
pub const MAX_DEPTH: usize = 12;
/// Highest query complexity accepted (roughly, fields selected times list sizes).
pub const MAX_COMPLEXITY: usize = 1_000;

/// The schema with its limits, without runtime data; `aim schema` prints this.
pub fn schema_builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
}

/// The SDL of the schema (what `schema.graphql` holds).
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

/// A staff member's role.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::Role")]
pub enum StaffRole {
    Staff,
    Manager,
    Admin,
}

/// A staff user of the facility.
#[derive(SimpleObject)]
pub struct StaffUser {
    pub id: ID,
    pub email: String,
    pub name: String,
    pub role: StaffRole,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl From<StaffUserRecord> for StaffUser {
    fn from(s: StaffUserRecord) -> Self {
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

/// Fields that belong to no one feature.
#[derive(Default)]
pub struct CoreQuery;

#[Object]
impl CoreQuery {
    /// The signed-in staff user.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<StaffUser> {
        let caller = ctx.data::<Authenticated>()?;
        Ok(caller.staff.clone().into())
    }
}

/// `POST/GET /graphql`: authenticated before anything executes, so a missing or bad token is
/// an HTTP 401, not an error inside a 200.
pub async fn graphql_handler(
    State(state): State<AppState>,
    Staff(caller): Staff,
    request: async_graphql_axum::GraphQLRequest,
) -> async_graphql_axum::GraphQLResponse {
    state
        .schema
        .execute(request.into_inner().data(caller))
        .await
        .into()
}
