//! WebSocket transport.

use crate::server::Server;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

pub async fn upgrade(State(_server): State<Server>) -> impl IntoResponse {
    StatusCode::NOT_IMPLEMENTED
}
