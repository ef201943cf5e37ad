//! `/playground`: GraphiQL, the staff chat console and the front desk, open without a token
//! (they sign in from the page). Their sources live in `playground/` and are built (`npm run
//! build`) into `playground/dist`, which is committed and compiled into the binary — a
//! release build embeds it, a debug build reads it from disk — so the pages need no network
//! and `cargo build` needs no npm.
//!
//! Every script and style comes from this server, so the pages carry a Content-Security-Policy
//! allowing only same-origin scripts, workers and connections (the WebSocket of subscriptions
//! included). Styles may be inline: the editor sets them from script.

use std::borrow::Cow;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::error::ApiError;

#[derive(rust_embed::Embed)]
#[folder = "playground/dist"]
struct Dist;

const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; \
     connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// The pages and their assets.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/playground", get(graphiql))
        .route("/playground/", get(graphiql))
        .route("/playground/chat", get(chat))
        .route("/playground/desk", get(desk))
        .route("/playground/assets/{*path}", get(asset))
}

/// `GET /playground`: GraphiQL.
async fn graphiql() -> Result<Response, ApiError> {
    page("index.html")
}

/// `GET /playground/chat`: the chat console with the live alert feed.
async fn chat() -> Result<Response, ApiError> {
    page("chat.html")
}

/// `GET /playground/desk`: the front desk — today's arrivals, dogs on site and departures,
/// with check-in, no-show and check-out.
async fn desk() -> Result<Response, ApiError> {
    page("desk.html")
}

/// `GET /playground/assets/…`: scripts, styles, workers and fonts. Their names carry a hash
/// of their content, so browsers may keep them for good.
async fn asset(Path(path): Path<String>) -> Result<Response, ApiError> {
    let file = Dist::get(&format!("assets/{path}"))
        .ok_or_else(|| ApiError::NotFound(format!("no playground asset {path}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&path)),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        bytes(file.data),
    )
        .into_response())
}

fn page(name: &str) -> Result<Response, ApiError> {
    let file = Dist::get(name).ok_or_else(|| {
        ApiError::Internal(format!(
            "playground/dist/{name} is missing: build it with `npm run build` in playground/"
        ))
    })?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            // Always revalidated, so a new build's asset names are picked up at once.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
        bytes(file.data),
    )
        .into_response())
}

fn bytes(data: Cow<'static, [u8]>) -> axum::body::Body {
    match data {
        Cow::Borrowed(data) => axum::body::Body::from(data),
        Cow::Owned(data) => axum::body::Body::from(data),
    }
}

/// The content types of what the build emits.
fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e);
    match extension {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "wasm" => "application/wasm",
        _ => "application/octet-stream",
    }
}
