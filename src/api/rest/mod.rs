//! The REST shims of SPEC's table under `/api/v2/admin/aim/`, each calling the same service as
//! its GraphQL resolver, and the OpenAPI document that describes them. Routes are registered
//! with their descriptions (`utoipa-axum`), so the document lists exactly what is served.

use axum::Router;
use std::sync::Arc;

use axum::Extension;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{OpenApi as OpenApiDoc, SecurityRequirement};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::AppState;
use super::auth::Staff;
use super::error::ApiJson;

pub mod alerts;
pub mod chat;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "AIM REST API",
        description = "REST shims of AIM, the AI Manager of Happy Tail Happy Dog. Every route \
                       needs `Authorization: Bearer <staff token>` (from `POST /api/v2/auth/login`).",
    ),
    modifiers(&BearerAuth),
    components(schemas(super::error::ErrorBody))
)]
struct ApiDoc;

/// Staff tokens, required on every route of the document.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        openapi.security = Some(vec![SecurityRequirement::new(
            "bearer",
            Vec::<String>::new(),
        )]);
    }
}

/// The REST routes and their OpenAPI document.
pub fn router() -> (Router<AppState>, OpenApiDoc) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(super::auth::login))
        .routes(routes!(super::auth::list_staff))
        .merge(chat::routes())
        .merge(alerts::routes())
        .split_for_parts()
}

/// `GET /api/v2/openapi.json`: the document, for staff tools and API clients.
pub async fn openapi_json(
    Staff(_): Staff,
    Extension(doc): Extension<Arc<OpenApiDoc>>,
) -> ApiJson<Arc<OpenApiDoc>> {
    ApiJson(doc)
}
