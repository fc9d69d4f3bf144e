//! `POST /webhooks/leads/{sourceId}`: signed lead deliveries.
//!
//! Order of checks, cheapest and least revealing first: body size (413),
//! headers and timestamp window (401), the source and its signature (401),
//! the source's rate limit (429), the body's fields (422), then the write.
//! Every 401 has the same body, and an unknown source costs what a known one
//! does (one lookup, one decryption attempt, one HMAC), so neither the
//! answer nor its timing tells whether a source exists. Rate limits count
//! authentic deliveries only: nobody without the secret can use up a
//! source's budget.
//!
//! RLS applies here as everywhere: the source is found in a transaction that
//! sees only that source (the `app.lead_source_id` setting), and the lead is
//! written in a second one entered as the source's org.

use super::capture::{self, NewLead, UnknownCampaign};
use super::{payload, signature};
use crate::crypto::Signer;
use crate::db::{Enter, Tx};
use crate::error::AppError;
use crate::events::Event;
use crate::repo::lead::LeadSourceRow;
use crate::server::Server;
use crate::state::AppState;
use axum::body::{Body, to_bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::atomic::Ordering;
use uuid::Uuid;

/// Largest accepted body.
pub const MAX_BODY: usize = 64 * 1024;

/// Verified against when the source is unknown, so both paths do the same work.
const DUMMY_KEY: &[u8] = b"whsec_0000000000000000000000000000000000000000000000000000000000000000";
/// As long as a sealed `whsec_` secret; opening it fails at the tag check.
const DUMMY_SEALED: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

fn problem(status: StatusCode, detail: &str, field: Option<&str>) -> Response {
    let mut body = json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
    });
    if let Some(f) = field {
        body["field"] = json!(f);
    }
    let bytes = serde_json::to_vec(&body).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/problem+json")], bytes).into_response()
}

/// The one answer for every authentication failure.
fn unauthorized() -> Response {
    problem(StatusCode::UNAUTHORIZED, "missing, expired or invalid signature", None)
}

fn internal(e: impl Into<AppError>) -> Response {
    e.into().log();
    problem(StatusCode::INTERNAL_SERVER_ERROR, "internal error", None)
}

/// The handler. 201 `{leadId, created: true}` for a new lead, 200 with
/// `created: false` when the source's external id was known (updated).
pub async fn ingest(
    State(server): State<Server>,
    Path(source_id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let state = server.state;
    state.metrics.webhooks_received.fetch_add(1, Ordering::Relaxed);
    let Ok(body) = to_bytes(body, MAX_BODY).await else {
        return problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("the body is larger than {} kB", MAX_BODY / 1024),
            None,
        );
    };
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let (Some(timestamp), Some(sig)) = (header("x-timestamp"), header("x-signature")) else {
        return unauthorized();
    };
    if !signature::fresh(&timestamp, chrono::Utc::now().timestamp()) {
        return unauthorized();
    }
    // Runs to completion even if the sender hangs up: a transaction is
    // always finished, never abandoned half-way.
    let task = tokio::spawn(async move {
        let mut statements = 0;
        let resp = deliver(&state, &source_id, &timestamp, &sig, &body, &mut statements).await;
        with_statements(resp, statements)
    });
    task.await
        .unwrap_or_else(|e| internal(anyhow::anyhow!("webhook task failed: {e}")))
}

/// Round trips to Postgres, on successful deliveries only (refusals must all
/// look alike).
fn with_statements(mut resp: Response, n: u32) -> Response {
    if resp.status().is_success()
        && let Ok(v) = HeaderValue::from_str(&n.to_string())
    {
        resp.headers_mut().insert("x-db-statements", v);
    }
    resp
}

/// Finds the source of a delivery before its org is known.
async fn find_source(state: &AppState, id: Uuid, statements: &mut u32) -> Result<Option<LeadSourceRow>, AppError> {
    let (tx, _) = Tx::begin(&state.pool, &Enter::Nobody).await?;
    let found = crate::repo::lead::source_for_webhook(&tx, id).await;
    let finished = match &found {
        Ok(_) => tx.commit().await,
        Err(_) => tx.rollback().await,
    };
    *statements += tx.statement_count();
    let found = found?;
    finished?;
    Ok(found)
}

async fn deliver(
    state: &AppState,
    source_id: &str,
    timestamp: &str,
    sig: &str,
    body: &[u8],
    statements: &mut u32,
) -> Response {
    // A malformed id is looked up like any other (it finds nothing).
    let id = Uuid::parse_str(source_id).unwrap_or(Uuid::nil());
    let source = match find_source(state, id, statements).await {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    let verified = match &source {
        Some(s) => match state.secret_box.open(&s.secret_ciphertext) {
            Ok(secret) => signature::verify(&Signer::raw(&secret), timestamp, sig, body),
            Err(e) => {
                tracing::error!(source_id = %s.id, error = %e, "cannot decrypt a webhook secret (SECRET_KEY changed?)");
                false
            }
        },
        None => {
            let _ = state.secret_box.open(DUMMY_SEALED);
            let _ = signature::verify(&Signer::raw(DUMMY_KEY), timestamp, sig, body);
            false
        }
    };
    let Some(source) = source.filter(|_| verified) else {
        return unauthorized();
    };
    let decision = state.webhook_limiter.check(&source.id.to_string()).await;
    if decision != super::rate_limit::Decision::Allowed {
        let secs = decision.retry_after_seconds();
        let mut resp = problem(
            StatusCode::TOO_MANY_REQUESTS,
            &format!("too many deliveries for this source; retry in {secs} s"),
            None,
        );
        resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        return resp;
    }
    let delivery = match payload::parse(body) {
        Ok(d) => d,
        Err(AppError::Validation { field, message }) => {
            return problem(StatusCode::UNPROCESSABLE_ENTITY, &message, Some(&field));
        }
        Err(e) => return internal(e),
    };
    let lead = NewLead {
        source_id: Some(source.id),
        attributes: delivery.stored_attributes(),
        external_id: delivery.external_id,
        name: delivery.name,
        email: delivery.email,
        phone: delivery.phone,
        campaign_id: delivery.campaign_id,
    };
    let org_id = source.org_id;
    let written = write(state, org_id, lead, statements).await;
    match written {
        Ok((lead_id, created)) => {
            if created {
                state
                    .events
                    .publish(vec![Event::LeadCaptured { org_id, lead_id }])
                    .await;
            }
            let status = if created { StatusCode::CREATED } else { StatusCode::OK };
            (status, axum::Json(json!({ "leadId": lead_id, "created": created }))).into_response()
        }
        Err(AppError::Validation { field, message }) => {
            problem(StatusCode::UNPROCESSABLE_ENTITY, &message, Some(&field))
        }
        Err(e) => internal(e),
    }
}

/// Writes the lead in the source's org, committed before anyone hears of it.
async fn write(state: &AppState, org_id: Uuid, lead: NewLead, statements: &mut u32) -> Result<(Uuid, bool), AppError> {
    let (tx, _) = Tx::begin(&state.pool, &Enter::Org { org_id }).await?;
    let result = capture::capture(&tx, org_id, lead, UnknownCampaign::Note).await;
    let result = match result {
        Ok((row, created)) => tx.commit().await.map(|()| (row.id, created)).map_err(AppError::from),
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    };
    *statements += tx.statement_count();
    result
}
