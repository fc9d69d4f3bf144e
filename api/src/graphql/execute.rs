//! Executing one GraphQL request: identity, the tenant transaction,
//! idempotency, execution, then commit (only without errors) or rollback,
//! and the events to publish after commit.

use super::errors::error_response;
use super::loaders::DbLoader;
use crate::auth::{self, session};
use crate::error::AppError;
use crate::idempotency::{self, Idempotency};
use crate::server::Server;
use crate::tenancy::RequestCtx;
use async_graphql::Response;
use axum::http::StatusCode;
use std::sync::Arc;

/// What executing a request produced.
pub(super) enum Outcome {
    /// Refused before execution (identity, membership): a request error.
    Refused(StatusCode, AppError),
    /// Executed, or replayed from an idempotency key.
    Executed {
        body: Encoded,
        statements: u32,
        replayed: bool,
        code: &'static str,
    },
}

fn refused(err: AppError) -> Outcome {
    let status = match &err {
        AppError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        AppError::Forbidden(_) => StatusCode::FORBIDDEN,
        AppError::Validation { .. } => StatusCode::BAD_REQUEST,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    Outcome::Refused(status, err)
}

fn outcome_code(resp: &Response) -> &'static str {
    match resp
        .errors
        .first()
        .and_then(|e| e.extensions.as_ref())
        .and_then(|x| x.get("code"))
    {
        None if resp.errors.is_empty() => "OK",
        Some(async_graphql::Value::String(code)) => match code.as_str() {
            "UNAUTHENTICATED" => "UNAUTHENTICATED",
            "FORBIDDEN" => "FORBIDDEN",
            "NOT_FOUND" => "NOT_FOUND",
            "BAD_USER_INPUT" => "BAD_USER_INPUT",
            "CONFLICT" => "CONFLICT",
            "INSUFFICIENT_CREDITS" => "INSUFFICIENT_CREDITS",
            "RATE_LIMITED" => "RATE_LIMITED",
            "QUERY_TOO_COMPLEX" => "QUERY_TOO_COMPLEX",
            _ => "INTERNAL",
        },
        _ => "INTERNAL",
    }
}

/// The response as JSON bytes, serialized once, and whether nothing ran
/// (validation, variable coercion).
fn to_body(resp: &Response) -> Encoded {
    let bytes = super::json::response(resp);
    let not_executed = resp.data == async_graphql::Value::Null
        && !resp.errors.is_empty()
        && resp.errors.iter().all(|e| e.path.is_empty());
    Encoded { bytes, not_executed }
}

pub(super) struct Encoded {
    pub(super) bytes: Vec<u8>,
    pub(super) not_executed: bool,
}

pub(super) async fn execute(
    server: Server,
    creds: auth::Credentials,
    org: Option<uuid::Uuid>,
    request_id: String,
    req: async_graphql::Request,
    idem: Option<(String, String)>,
) -> Outcome {
    let state = &server.state;
    let identity = match session::identify(state, creds).await {
        Ok(i) => i,
        Err(e) => return refused(e),
    };
    let (tx, principal, org_ctx) = match session::enter(state, &identity, org).await {
        Ok(v) => v,
        Err(e) => return refused(e),
    };
    if let (crate::tenancy::Principal::ApiKey { key_id }, Some(o)) = (&principal, org_ctx) {
        session::touch_api_key(state, o.org_id, *key_id);
    }
    let ctx = Arc::new(RequestCtx::new(request_id, principal, org_ctx));
    let Some(tx) = tx else {
        // Anonymous: no transaction, so no tenant data can be read at all.
        if idem.is_some() {
            return refused(AppError::unauthenticated("sign in to use Idempotency-Key"));
        }
        let mut resp = server.schema.execute(req.data(ctx)).await;
        super::errors::finalize(&mut resp.errors);
        return Outcome::Executed {
            body: to_body(&resp),
            statements: 0,
            replayed: false,
            code: outcome_code(&resp),
        };
    };
    let tx = Arc::new(tx);
    let mut idem_row = None;
    if let Some((key, hash)) = idem {
        match idempotency::begin(&tx, &ctx, &key, &hash).await {
            Ok(Idempotency::Fresh(id)) => idem_row = Some(id),
            Ok(Idempotency::Replay(stored)) => {
                let body = Encoded {
                    bytes: serde_json::to_vec(&stored).unwrap_or_default(),
                    not_executed: false,
                };
                let _ = tx.commit().await;
                return Outcome::Executed {
                    body,
                    statements: tx.statement_count(),
                    replayed: true,
                    code: "OK",
                };
            }
            Err(e) => {
                let _ = tx.rollback().await;
                let code = e.code();
                let resp = error_response(e);
                return Outcome::Executed {
                    body: to_body(&resp),
                    statements: tx.statement_count(),
                    replayed: false,
                    code,
                };
            }
        }
    }
    let loaders = Arc::new(DbLoader::new(tx.clone()));
    let mut resp = server
        .schema
        .execute(req.data(ctx.clone()).data(tx.clone()).data(loaders))
        .await;
    super::errors::finalize(&mut resp.errors);
    let code = outcome_code(&resp);
    if !resp.errors.is_empty() {
        // Any error: nothing the request did is kept.
        let _ = tx.rollback().await;
        return Outcome::Executed {
            body: to_body(&resp),
            statements: tx.statement_count(),
            replayed: false,
            code,
        };
    }
    // Only an idempotency key needs the body before commit (it is stored
    // with the key); otherwise the connection goes back first.
    let mut body = None;
    if let Some(id) = idem_row {
        let encoded = to_body(&resp);
        let stored = match serde_json::from_slice(&encoded.bytes) {
            Ok(v) => idempotency::finish(&tx, id, &v).await,
            Err(e) => Err(AppError::Internal(e.into())),
        };
        if let Err(e) = stored {
            let _ = tx.rollback().await;
            return Outcome::Executed {
                body: to_body(&error_response(e)),
                statements: tx.statement_count(),
                replayed: false,
                code,
            };
        }
        body = Some(encoded);
    }
    if let Err(e) = tx.commit().await {
        AppError::from(e).log();
        let failed = error_response(AppError::Internal(anyhow::anyhow!("commit failed")));
        return Outcome::Executed {
            body: to_body(&failed),
            statements: tx.statement_count(),
            replayed: false,
            code: "INTERNAL",
        };
    }
    let events = ctx.take_outbox();
    if events
        .iter()
        .any(|e| matches!(e, crate::events::Event::Job(m) if m.r#type == "QUEUED"))
    {
        state.jobs.notify();
    }
    state.events.publish(events).await;
    let body = body.unwrap_or_else(|| to_body(&resp));
    Outcome::Executed {
        body,
        statements: tx.statement_count(),
        replayed: false,
        code,
    }
}
