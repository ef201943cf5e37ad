//! The REST shims of SPEC's table under `/api/v2/admin/aim/`, each calling the same service as
//! its GraphQL resolver.

use axum::Router;

use super::AppState;

pub mod chat;

pub fn router() -> Router<AppState> {
    Router::new().merge(chat::router())
}
