//! HTTP: the router, its middleware, REST routes and the GraphQL endpoint. The only layer that
//! knows about HTTP or GraphQL.

pub mod auth;
pub mod error;
pub mod graphql;
pub mod health;
pub mod playground;
pub mod rest;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use metrics_exporter_prometheus::PrometheusHandle;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::aim::Aim;
use crate::aim::alerts::AlertService;
use crate::auth::AuthService;
use crate::config::Config;
use crate::db::Db;
use crate::facility::Facility;
use error::{ApiError, REQUEST_ID};

/// What every handler can reach: one pointer to the [`Services`], so that cloning it for each
/// request, and holding it for each WebSocket, costs next to nothing.
#[derive(Clone)]
pub struct AppState(Arc<Services>);

impl AppState {
    pub fn new(services: Services) -> AppState {
        AppState(Arc::new(services))
    }
}

impl std::ops::Deref for AppState {
    type Target = Services;

    fn deref(&self) -> &Services {
        &self.0
    }
}

/// The server's services and settings, shared by every request.
pub struct Services {
    pub config: Arc<Config>,
    pub db: Db,
    pub auth: AuthService,
    /// The facility's services (bookings, search, schedules, revenue, SMS).
    pub facility: Facility,
    /// The assistant: chat turns and the actions they propose.
    pub aim: Aim,
    /// Alerts: listed, read and resolved by staff; their events feed subscriptions.
    pub alerts: AlertService,
    /// The alert generator (scheduled by `serve`).
    pub engine: crate::aim::engine::AlertEngine,
    pub schema: graphql::AimSchema,
    pub metrics: PrometheusHandle,
    /// Cancelled when the server is told to stop: open WebSockets close with 1001.
    pub stopping: tokio_util::sync::CancellationToken,
    /// The WebSocket connections being served, for the shutdown to wait for.
    pub sockets: tokio_util::task::TaskTracker,
}

const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The whole HTTP surface.
pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// The whole HTTP surface plus `extra` routes behind the same middleware (the benchmarks
/// compare raw handlers with the API this way).
pub fn router_with(state: AppState, extra: Router<AppState>) -> Router {
    let config = state.config.clone();
    let (rest_routes, openapi) = rest::router();
    let api = Router::new()
        .route(
            "/graphql",
            get(graphql::graphql_handler).post(graphql::graphql_handler),
        )
        .merge(rest_routes)
        .route("/api/v2/openapi.json", get(rest::openapi_json))
        .layer(Extension(Arc::new(openapi)))
        .route("/graphql/ws", get(graphql::ws::graphql_ws))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .merge(playground::routes())
        .merge(extra)
        .fallback(not_found)
        .layer(RequestBodyLimitLayer::new(config.max_body_bytes))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            request_timeout(&config),
        ))
        .route_layer(middleware::from_fn(health::track));

    let api = match cors(&config) {
        Some(cors) => api.layer(cors),
        None => api,
    };
    api.layer(middleware::from_fn(request_id_scope))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let request_id = request
                    .headers()
                    .get(&REQUEST_ID_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %request_id)
            })
            .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID_HEADER))
        .layer(SetRequestIdLayer::new(REQUEST_ID_HEADER, MakeRequestUuid))
        .with_state(state)
}

/// CORS for the configured browser origins (`AIM_CORS_ORIGINS`); none by default, so browsers
/// on other origins can't call the API.
fn cors(config: &Config) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = config
        .cors_origins
        .iter()
        .filter_map(|o| o.trim().trim_end_matches('/').parse().ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::PATCH, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
            .expose_headers([header::LINK, header::RETRY_AFTER, REQUEST_ID_HEADER])
            .max_age(Duration::from_secs(3600)),
    )
}

fn request_timeout(config: &Config) -> Duration {
    if config.request_timeout.is_zero() {
        Duration::from_secs(180)
    } else {
        config.request_timeout
    }
}

/// Makes the request id available to error responses and logs of this request, and gives the
/// bare 413 and 408 answers of the body-limit and timeout layers the API's JSON error body.
async fn request_id_scope(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(&REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-")
        .to_owned();
    let response = REQUEST_ID.scope(id.clone(), next.run(request)).await;
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    let replacement = match response.status() {
        StatusCode::PAYLOAD_TOO_LARGE if !is_json => ApiError::PayloadTooLarge,
        StatusCode::REQUEST_TIMEOUT if !is_json => ApiError::Timeout,
        _ => return response,
    };
    REQUEST_ID
        .scope(id, async move { replacement.into_response() })
        .await
}

async fn not_found(request: Request) -> ApiError {
    ApiError::NotFound(format!(
        "no route for {} {}",
        request.method(),
        request.uri().path()
    ))
}
