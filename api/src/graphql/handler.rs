//! Our own GraphQL-over-HTTP handler (not the stock integration): single
//! operations only, JSON (or multipart uploads) on POST, queries only on GET,
//! no subscriptions over HTTP, a cost check before validation, and one
//! transaction per request that commits only if nothing failed.

use super::documents;
use super::errors::error_response;
use super::execute::{Outcome, Parsed, execute};
use super::limits::{self, Limits};
use crate::auth::{self, session};
use crate::error::AppError;
use crate::idempotency;
use crate::server::Server;
use async_graphql::http::MultipartOptions;
use async_graphql::parser::types::OperationType;
use axum::body::{Body, to_bytes};
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse};
use futures_util::{FutureExt as _, TryStreamExt as _};
use serde::Deserialize;
use std::collections::HashMap;

const JSON_LIMIT: usize = 256 * 1024;
pub const UPLOAD_LIMIT: usize = 5 * 1024 * 1024;
const MULTIPART_LIMIT: usize = UPLOAD_LIMIT + 256 * 1024;
const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

/// What the client accepts back.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavor {
    /// `application/json`: request errors still get 200.
    Json,
    /// `application/graphql-response+json`: request errors get 4xx.
    GraphqlResponse,
}

fn negotiate(headers: &HeaderMap) -> Option<Flavor> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Flavor::Json);
    };
    let mut best: Option<(f32, Flavor)> = None;
    for part in accept.split(',') {
        let mut it = part.split(';');
        let media = it.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = it
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.parse::<f32>().ok())
            .unwrap_or(1.0);
        let flavor = match media.as_str() {
            GRAPHQL_RESPONSE_JSON => Flavor::GraphqlResponse,
            "application/json" | "application/*" | "*/*" => Flavor::Json,
            _ => continue,
        };
        if q > 0.0
            && best
                .is_none_or(|(bq, bf)| q > bq || (q == bq && flavor == Flavor::GraphqlResponse && bf == Flavor::Json))
        {
            best = Some((q, flavor));
        }
    }
    best.map(|(_, f)| f)
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A response that never executed (bad request, auth failure, limits).
fn request_error(flavor: Flavor, status: StatusCode, err: AppError) -> axum::response::Response {
    let resp = error_response(err);
    let body = serde_json::json!({ "errors": resp.errors });
    let status = if flavor == Flavor::Json && status != StatusCode::METHOD_NOT_ALLOWED {
        StatusCode::OK
    } else {
        status
    };
    json_response(flavor, status, &body, None)
}

fn json_response(
    flavor: Flavor,
    status: StatusCode,
    body: &impl serde::Serialize,
    statements: Option<u32>,
) -> axum::response::Response {
    let bytes =
        serde_json::to_vec(body).unwrap_or_else(|_| b"{\"errors\":[{\"message\":\"internal error\"}]}".to_vec());
    bytes_response(flavor, status, bytes, statements)
}

fn bytes_response(
    flavor: Flavor,
    status: StatusCode,
    bytes: Vec<u8>,
    statements: Option<u32>,
) -> axum::response::Response {
    let content_type = match flavor {
        Flavor::Json => "application/json; charset=utf-8",
        Flavor::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
    };
    let mut resp = (status, [(header::CONTENT_TYPE, content_type)], bytes).into_response();
    if let Some(n) = statements {
        resp.headers_mut().insert("x-db-statements", HeaderValue::from(n));
    }
    resp
}

fn bad_request(flavor: Flavor, message: &str) -> axum::response::Response {
    request_error(flavor, StatusCode::BAD_REQUEST, AppError::validation("body", message))
}

#[derive(Deserialize)]
struct GetParams {
    query: Option<String>,
    #[serde(rename = "operationName")]
    operation_name: Option<String>,
    variables: Option<String>,
    extensions: Option<String>,
}

/// `GET /graphql`: GraphiQL for browsers in development, queries otherwise.
pub async fn get(
    State(server): State<Server>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> axum::response::Response {
    let wants_html = header_str(&headers, "accept").is_some_and(|a| a.contains("text/html"));
    if wants_html && !params.contains_key("query") && server.state.config.graphiql() {
        return Html(
            async_graphql::http::GraphiQLSource::build()
                .endpoint("/graphql")
                .subscription_endpoint("/graphql/ws")
                .title("Campaign Studio")
                .finish(),
        )
        .into_response();
    }
    let Some(flavor) = negotiate(&headers) else {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    };
    let params = GetParams {
        query: params.get("query").cloned(),
        operation_name: params.get("operationName").cloned(),
        variables: params.get("variables").cloned(),
        extensions: params.get("extensions").cloned(),
    };
    let Some(query) = params.query.filter(|q| !q.trim().is_empty()) else {
        return request_error(
            flavor,
            StatusCode::BAD_REQUEST,
            AppError::validation("query", "the query parameter is required"),
        );
    };
    let mut req = async_graphql::Request::new(query);
    if let Some(name) = params.operation_name.filter(|n| !n.is_empty()) {
        req = req.operation_name(name);
    }
    if let Some(vars) = params.variables.filter(|v| !v.is_empty()) {
        match serde_json::from_str::<serde_json::Value>(&vars) {
            Ok(serde_json::Value::Object(map)) => {
                req = req.variables(async_graphql::Variables::from_json(serde_json::Value::Object(map)))
            }
            Ok(serde_json::Value::Null) => {}
            _ => return bad_request(flavor, "variables must be a JSON object"),
        }
    }
    if let Some(ext) = params.extensions.filter(|v| !v.is_empty()) {
        match serde_json::from_str::<serde_json::Value>(&ext) {
            Ok(serde_json::Value::Object(_)) | Ok(serde_json::Value::Null) => {}
            _ => return bad_request(flavor, "extensions must be a JSON object"),
        }
    }
    run(server, headers, req, flavor, true, false).await
}

/// `POST /graphql`
pub async fn post(State(server): State<Server>, request: Request) -> axum::response::Response {
    let (parts, body) = request.into_parts();
    let headers = parts.headers;
    let Some(flavor) = negotiate(&headers) else {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    };
    let content_type = header_str(&headers, "content-type").unwrap_or("").to_ascii_lowercase();
    let media = content_type.split(';').next().unwrap_or("").trim().to_string();
    if media == "multipart/form-data" {
        return post_multipart(server, headers, body, content_type, flavor).await;
    }
    if media != "application/json" && media != GRAPHQL_RESPONSE_JSON {
        // Refuses text/plain and form posts (no cross-site "simple" requests).
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "POST /graphql needs Content-Type: application/json",
        )
            .into_response();
    }
    if let Some(charset) = content_type
        .split(';')
        .skip(1)
        .find_map(|p| p.trim().strip_prefix("charset=").map(str::to_string))
        && !charset.trim_matches('"').eq_ignore_ascii_case("utf-8")
    {
        return (StatusCode::UNSUPPORTED_MEDIA_TYPE, "only utf-8 is supported").into_response();
    }
    let bytes = match to_bytes(body, JSON_LIMIT).await {
        Ok(b) => b,
        Err(_) => return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response(),
    };
    let value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        // Not even JSON: a bad request in either flavor.
        Err(_) => {
            let err = AppError::validation("body", "the body is not valid JSON");
            return with_flavor(
                request_error(Flavor::GraphqlResponse, StatusCode::BAD_REQUEST, err),
                flavor,
            );
        }
    };
    let req = match parse_body(value) {
        Ok(r) => r,
        Err(e) => {
            // Malformed parameters are a bad request in either flavor.
            let resp = request_error(Flavor::GraphqlResponse, StatusCode::BAD_REQUEST, e);
            return if flavor == Flavor::Json {
                with_flavor(resp, flavor)
            } else {
                resp
            };
        }
    };
    run(server, headers, req, flavor, false, true).await
}

fn with_flavor(mut resp: axum::response::Response, flavor: Flavor) -> axum::response::Response {
    if flavor == Flavor::Json {
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
    }
    resp
}

/// Reads `{query, operationName, variables, extensions}`; a JSON array
/// (a batch) is refused: every operation is its own request, with its own
/// limits and its own transaction.
fn parse_body(value: serde_json::Value) -> Result<async_graphql::Request, AppError> {
    let serde_json::Value::Object(mut map) = value else {
        return Err(AppError::validation(
            "body",
            "expected one JSON object {query, variables, operationName}; batches are not supported",
        ));
    };
    let query = match map.remove("query") {
        Some(serde_json::Value::String(q)) if !q.trim().is_empty() => q,
        Some(serde_json::Value::String(_)) | None | Some(serde_json::Value::Null) => {
            return Err(AppError::validation("query", "query is required"));
        }
        Some(_) => return Err(AppError::validation("query", "query must be a string")),
    };
    let mut req = async_graphql::Request::new(query);
    match map.remove("operationName") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::String(n)) => req = req.operation_name(n),
        Some(_) => return Err(AppError::validation("operationName", "operationName must be a string")),
    }
    match map.remove("variables") {
        None | Some(serde_json::Value::Null) => {}
        Some(v @ serde_json::Value::Object(_)) => req = req.variables(async_graphql::Variables::from_json(v)),
        Some(_) => return Err(AppError::validation("variables", "variables must be an object")),
    }
    match map.remove("extensions") {
        None | Some(serde_json::Value::Null) | Some(serde_json::Value::Object(_)) => {}
        Some(_) => return Err(AppError::validation("extensions", "extensions must be an object")),
    }
    Ok(req)
}

/// The GraphQL multipart request spec, for `Upload` arguments.
async fn post_multipart(
    server: Server,
    headers: HeaderMap,
    body: Body,
    content_type: String,
    flavor: Flavor,
) -> axum::response::Response {
    let limited = http_body_util::Limited::new(body, MULTIPART_LIMIT);
    let stream = http_body_util::BodyDataStream::new(limited).map_err(std::io::Error::other);
    let reader = tokio_util::io::StreamReader::new(stream);
    let opts = MultipartOptions::default().max_file_size(UPLOAD_LIMIT).max_num_files(1);
    let req = match async_graphql::http::receive_body(
        Some(content_type),
        tokio_util::compat::TokioAsyncReadCompatExt::compat(reader),
        opts,
    )
    .await
    {
        Ok(b) => b,
        Err(e) => {
            let msg = match e {
                async_graphql::ParseRequestError::PayloadTooLarge => "the upload is larger than 5 MB".to_string(),
                other => format!("malformed multipart request: {other}"),
            };
            return request_error(flavor, StatusCode::BAD_REQUEST, AppError::validation("file", msg));
        }
    };
    run(server, headers, req, flavor, false, false).await
}

/// Everything after the body is read: cost check, auth, transaction,
/// execution, commit or rollback, events.
async fn run(
    server: Server,
    headers: HeaderMap,
    mut req: async_graphql::Request,
    flavor: Flavor,
    is_get: bool,
    // JSON POSTs only: a multipart request's files are not in its hash.
    honours_idempotency_key: bool,
) -> axum::response::Response {
    let operation_name = req.operation_name.clone();
    let parsed = server.documents.parse(&mut req).and_then(|kept| {
        let doc = documents::document(kept.as_deref(), &mut req)?;
        Ok((limits::check(doc, operation_name.as_deref(), Limits::default()), kept))
    });
    let (op_type, kept) = match parsed {
        Ok((Ok(t), kept)) => (t, kept),
        Ok((Err(e), _)) => return request_error(flavor, StatusCode::BAD_REQUEST, e),
        Err(e) => {
            return request_error(
                flavor,
                StatusCode::BAD_REQUEST,
                AppError::validation("query", e.message),
            );
        }
    };
    if is_get && op_type != OperationType::Query {
        let mut resp = request_error(
            flavor,
            StatusCode::METHOD_NOT_ALLOWED,
            AppError::validation("query", "only queries may be sent with GET; use POST"),
        );
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return resp;
    }
    if op_type == OperationType::Subscription {
        return request_error(
            flavor,
            StatusCode::BAD_REQUEST,
            AppError::validation("query", "subscriptions are served over WebSocket at /graphql/ws"),
        );
    }
    let request_id = header_str(&headers, "x-request-id").unwrap_or_default().to_string();
    let creds = match auth::authenticate(header_str(&headers, "authorization"), &server.state.jwt) {
        Ok(c) => c,
        Err(e) => return request_error(flavor, StatusCode::UNAUTHORIZED, e),
    };
    let org = match session::parse_org_header(header_str(&headers, "x-org-id")) {
        Ok(o) => o,
        Err(e) => return request_error(flavor, StatusCode::BAD_REQUEST, e),
    };
    let idem_key = header_str(&headers, "idempotency-key")
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    let idem = match (op_type, idem_key) {
        (OperationType::Mutation, Some(key)) if honours_idempotency_key => Some((key, idempotency::request_hash(&req))),
        _ => None,
    };
    let operation = req.operation_name.clone().unwrap_or_else(|| "anonymous".into());
    let started = std::time::Instant::now();
    // Mutations run in a task of their own, to completion even if the client
    // goes away: what they wrote is committed or rolled back, never left to
    // a closed connection. A panic in either answers INTERNAL.
    let metrics = server.state.metrics.clone();
    // Boxed, so that what the handler future holds (and axum and tokio
    // move) while it waits is a pointer, not the whole execution's state.
    let task = Box::pin(execute(server, creds, org, request_id, Parsed { req, kept }, idem));
    let finished = if op_type == OperationType::Query {
        // Reads run in the connection's task (spawning would hand each one
        // to a task of its own): a client that goes away drops the future,
        // and the unfinished `Tx` is rolled back, nothing to keep.
        std::panic::AssertUnwindSafe(task)
            .catch_unwind()
            .await
            .map_err(|_| "panicked".to_string())
    } else {
        tokio::spawn(task).await.map_err(|e| e.to_string())
    };
    let outcome = match finished {
        Ok(o) => o,
        Err(e) => {
            tracing::error!(error = %e, "request task failed");
            Outcome::Refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                AppError::Internal(anyhow::anyhow!("request task failed")),
            )
        }
    };
    match outcome {
        Outcome::Refused(status, err) => {
            metrics.graphql_request(&operation, err.code(), started.elapsed());
            request_error(flavor, status, err)
        }
        Outcome::Executed {
            body,
            statements,
            replayed,
            code,
        } => {
            metrics.graphql_request(&operation, code, started.elapsed());
            // Nothing executed (validation, variable coercion): with
            // graphql-response+json that is a 400, with plain JSON a 200.
            let status = if flavor == Flavor::GraphqlResponse && body.not_executed {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::OK
            };
            let mut resp = bytes_response(flavor, status, body.bytes, Some(statements));
            if replayed {
                resp.headers_mut()
                    .insert("idempotent-replayed", HeaderValue::from_static("true"));
            }
            resp
        }
    }
}
