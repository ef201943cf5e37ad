//! REST routes of AIM, one module per feature, merged into one router.

pub mod alerts;

use axum::Router;

use super::AppState;

/// Every REST route of AIM.
pub fn router() -> Router<AppState> {
    Router::new().merge(alerts::router())
}
