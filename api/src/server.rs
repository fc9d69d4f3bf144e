//! The HTTP surface: routes, request ids, body limits, health and metrics.

use crate::graphql::{AppSchema, handler, ws};
use crate::state::AppState;
use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tracing::Instrument as _;

/// What every handler gets: the state and the schema.
#[derive(Clone)]
pub struct Server {
    pub state: AppState,
    pub schema: AppSchema,
    /// The same schema, validating only what depends on variables (and
    /// complexity and depth): for documents `documents` saw pass `schema`'s
    /// full validation, with variables that fit (`graphql::validated`).
    pub revalidating: AppSchema,
    pub documents: std::sync::Arc<crate::graphql::documents::Documents>,
}

/// CORS for the browser origins of `CORS_ALLOWED_ORIGINS` (none: the
/// browser's same-origin rule stands). Credentials travel in headers, not
/// cookies, so no `Access-Control-Allow-Credentials`.
fn cors(origins: &[String]) -> Option<tower_http::cors::CorsLayer> {
    use axum::http::{Method, header};
    use tower_http::cors::{AllowOrigin, CorsLayer};
    if origins.is_empty() {
        return None;
    }
    let allowed: Vec<HeaderValue> = origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(allowed))
            .allow_methods([Method::GET, Method::POST])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                axum::http::HeaderName::from_static("x-org-id"),
                axum::http::HeaderName::from_static("idempotency-key"),
                axum::http::HeaderName::from_static("x-request-id"),
            ])
            .expose_headers([axum::http::HeaderName::from_static("x-request-id")])
            .max_age(std::time::Duration::from_secs(600)),
    )
}

pub fn router(state: AppState) -> Router {
    let schema = crate::graphql::build_schema(Some(state.clone()));
    let revalidating =
        crate::graphql::build_schema_validating(Some(state.clone()), async_graphql::ValidationMode::Fast);
    let types = crate::graphql::validated::Types::from_sdl(&schema.sdl()).expect("the schema's own SDL parses");
    let cors = cors(&state.config.cors_origins);
    let server = Server {
        state,
        schema,
        revalidating,
        documents: std::sync::Arc::new(crate::graphql::documents::Documents::new(types)),
    };
    let router = Router::new()
        .route("/graphql", get(handler::get).post(handler::post))
        .route("/graphql/ws", get(ws::upgrade))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/webhooks/leads/{source_id}", post(crate::leads::webhook::ingest))
        .merge(crate::storage::routes())
        .layer(middleware::from_fn_with_state(server.clone(), request_context));
    let router = match cors {
        Some(layer) => router.layer(layer),
        None => router,
    };
    router.with_state(server)
}

/// A request id on every request (the client's if it sent a sane one), on
/// every log line of it, and in the `X-Request-Id` response header.
async fn request_context(State(server): State<Server>, mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
        })
        .map(str::to_string)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    if let Ok(v) = HeaderValue::from_str(&id) {
        req.headers_mut().insert("x-request-id", v);
    }
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let span = tracing::info_span!("request", request_id = %id, method = %req.method(), route = %route);
    let started = std::time::Instant::now();
    let mut resp = next.run(req).instrument(span.clone()).await;
    let status = resp.status().as_u16();
    span.in_scope(|| {
        tracing::debug!(
            status,
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "response"
        )
    });
    server.state.metrics.http_response(&route, status);
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(server): State<Server>) -> Response {
    if crate::db::ping(&server.state.pool).await {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response()
    }
}

async fn metrics(State(server): State<Server>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        server.state.metrics.render(&server.state.pool),
    )
        .into_response()
}
