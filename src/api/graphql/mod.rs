//! The GraphQL schema, apart from its HTTP wiring so it can be built (and printed) alone.
//!
//! Each feature brings its own root objects ([`staff`], [`chat`], [`facility`]); `Query` and
//! `Mutation` merge them. Services reach resolvers as schema data (added where the app is
//! built), the caller and the DataLoaders as request data (added by [`graphql_handler`]).

pub mod alerts;
pub mod chat;
pub mod connection;
pub mod documents;
pub mod facility;
pub mod loaders;
pub mod records;
pub mod scalars;
pub mod shifts;
pub mod staff;
pub mod stream;
pub mod ws;

use std::any::Any;
use std::str::FromStr;

use async_graphql::{Context, ID, MergedObject, MergedSubscription, Schema, SchemaBuilder};
use axum::extract::State;

use super::AppState;
use super::auth::Staff;
use super::error::{self, ApiError};
use crate::auth::Authenticated;
use crate::db::Db;
use crate::domain::Actor;

pub use staff::{StaffRole, StaffUser};

/// What staff can read. Every operation needs a staff token.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct Query(
    staff::CoreQuery,
    staff::StaffQuery,
    chat::ChatQuery,
    facility::FacilityQuery,
    records::RecordsQuery,
    shifts::ShiftsQuery,
    alerts::AlertQuery,
);

/// What staff can do. Every operation needs a staff token, and acts as its staff user.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct Mutation(
    chat::ChatMutation,
    alerts::AlertMutation,
    records::RecordsMutation,
    shifts::ShiftsMutation,
    staff::StaffMutation,
);

/// What staff can watch live, over `/graphql/ws`.
#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct Subscription(alerts::AlertSubscription, stream::ChatStreamSubscription);

pub type AimSchema = Schema<Query, Mutation, Subscription>;

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
    .extension(documents::DocumentCache::default())
}

/// The SDL of the schema (what `schema.graphql` holds).
pub fn sdl() -> String {
    schema_builder().finish().sdl()
}

/// What one request carries into the schema: the caller and this request's DataLoaders,
/// whose loads run in the [`loaders::Batches`] returned.
pub fn request_data(
    request: async_graphql::Request,
    db: &Db,
    caller: Authenticated,
) -> (async_graphql::Request, loaders::Batches) {
    loaders::attach(request.data(caller), db)
}

/// `POST/GET /graphql`: authenticated before anything executes, so a missing or bad token is
/// an HTTP 401, not an error inside a 200.
pub async fn graphql_handler(
    State(state): State<AppState>,
    Staff(caller): Staff,
    request: async_graphql_axum::GraphQLRequest,
) -> async_graphql_axum::GraphQLResponse {
    let (request, batches) = request_data(request.into_inner(), &state.db, caller);
    batches.run(state.schema.execute(request)).await.into()
}

// Shared by the resolvers of every feature.

/// Any error of the API as a GraphQL error with `extensions.code`.
pub(crate) fn gql_error(err: impl Into<ApiError>) -> async_graphql::Error {
    err.into().into_graphql()
}

/// The signed-in staff user of this request.
pub(crate) fn caller<'c>(ctx: &Context<'c>) -> async_graphql::Result<&'c Authenticated> {
    ctx.data_opt::<Authenticated>()
        .ok_or_else(|| gql_error(ApiError::Unauthorized("not signed in".to_owned())))
}

/// Who is acting: always the token's staff user, never anything from the input.
pub(crate) fn actor(ctx: &Context<'_>) -> async_graphql::Result<Actor> {
    let staff = &caller(ctx)?.staff;
    Ok(Actor {
        staff_user_id: staff.id,
        role: staff.role,
    })
}

/// The author of a write made through GraphQL: the token's staff user, in this request (as
/// the audit log records it).
pub(crate) fn author(ctx: &Context<'_>) -> async_graphql::Result<crate::facility::Author> {
    Ok(crate::facility::Author::staff(
        actor(ctx)?,
        crate::domain::AuditChannel::Graphql,
        Some(error::current_request_id()),
    ))
}

/// This request's DataLoader of kind `L`.
pub(crate) fn loader<'c, L: loaders::RequestLoader>(
    ctx: &Context<'c>,
) -> async_graphql::Result<&'c loaders::Loaded<L>> {
    Ok(data::<loaders::Loaders>(ctx)?.get::<L>())
}

/// A service or loader put into the schema or request data.
pub(crate) fn data<'c, T: Any + Send + Sync>(ctx: &Context<'c>) -> async_graphql::Result<&'c T> {
    ctx.data_opt::<T>().ok_or_else(|| {
        gql_error(ApiError::Internal(format!(
            "GraphQL data `{}` is missing",
            std::any::type_name::<T>()
        )))
    })
}

/// An id argument, or an `invalid_input` error naming `field`.
pub(crate) fn parse_id<T: FromStr>(field: &str, id: &ID) -> Result<T, ApiError> {
    id.parse()
        .map_err(|_| ApiError::invalid(field, format!("`{}` is not a valid id", id.as_str())))
}

/// A DataLoader's failed load: 503 when the database was not answering, else internal.
pub(crate) fn load_error(err: loaders::LoadError) -> async_graphql::Error {
    match &*err {
        crate::db::DbError::Unavailable(_) => gql_error(ApiError::Unavailable),
        other => gql_error(ApiError::Internal(other.to_string())),
    }
}
