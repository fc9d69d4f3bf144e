//! Executing one GraphQL request: identity, the tenant transaction,
//! idempotency, execution, then commit (only without errors) or rollback,
//! and the events to publish after commit.

use super::documents::Kept;
use super::errors::error_response;
use super::insert::Insert;
use super::loaders::DbLoader;
use super::lookup::Lookup;
use super::mutation::create_statement;
use super::validated::Types;
use crate::auth::{self, session};
use crate::db::{Tx, WriteFailed};
use crate::error::AppError;
use crate::idempotency::{self, Idempotency};
use crate::server::Server;
use crate::tenancy::{OrgCtx, Principal, RequestCtx};
use async_graphql::Response;
use axum::http::StatusCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;

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
    Encoded {
        bytes,
        not_executed: not_executed(resp),
    }
}

pub(super) struct Encoded {
    pub(super) bytes: Vec<u8>,
    pub(super) not_executed: bool,
}

/// Runs `req` on the schema: with only its variables checked if its
/// document and operation passed full validation before and the variables
/// fit (`validated`), else fully validated (and remembered if it passes).
async fn run_schema(server: &Server, kept: Option<Arc<Kept>>, mut req: async_graphql::Request) -> Response {
    let Some(kept) = kept else {
        return server.schema.execute(req).await;
    };
    kept.attach(&mut req);
    let types = &server.documents.types;
    let operation = req.operation_name.clone();
    if let Some(passed) = kept.validated(operation.as_deref()) {
        if types.fit(&passed.usages, &req.variables) {
            server.state.metrics.validation_skipped.fetch_add(1, Ordering::Relaxed);
            return server.revalidating.execute(req).await;
        }
        return server.schema.execute(req).await;
    }
    // Kept only if every variable it uses is here: a missing one makes the
    // validator skip the whole argument it is in.
    let usages = types
        .usages(kept.doc(), operation.as_deref())
        .filter(|u| Types::all_provided(u, &req.variables));
    let resp = server.schema.execute(req).await;
    if let Some(usages) = usages
        && !not_executed(&resp)
    {
        kept.keep_validated(operation, usages);
    }
    resp
}

/// Nothing ran: refused by validation (or before), so every error is the
/// request's, none a field's.
fn not_executed(resp: &Response) -> bool {
    resp.data == async_graphql::Value::Null && !resp.errors.is_empty() && resp.errors.iter().all(|e| e.path.is_empty())
}

/// A request, and what `Documents` kept of its document.
pub(super) struct Parsed {
    pub(super) req: async_graphql::Request,
    pub(super) kept: Option<Arc<Kept>>,
}

/// What a request's parts are, kept to run it again (`Attempt::Again`).
struct Seed {
    query: String,
    operation_name: Option<String>,
    variables: async_graphql::Variables,
    extensions: async_graphql::Extensions,
}

impl Seed {
    fn of(req: &async_graphql::Request) -> Self {
        Self {
            query: req.query.clone(),
            operation_name: req.operation_name.clone(),
            variables: req.variables.clone(),
            extensions: req.extensions.clone(),
        }
    }

    fn request(self) -> async_graphql::Request {
        let mut req = async_graphql::Request::new(self.query).variables(self.variables);
        req.operation_name = self.operation_name;
        req.extensions = self.extensions;
        req
    }
}

enum Attempt {
    Done(Outcome),
    /// The tenant was entered otherwise than expected; nothing was kept.
    Again,
}

pub(super) async fn execute(
    server: Server,
    creds: auth::Credentials,
    org: Option<uuid::Uuid>,
    request_id: String,
    Parsed { req, kept }: Parsed,
    idem: Option<(String, String)>,
) -> Outcome {
    let state = &server.state;
    let identity = match session::identify(state, creds).await {
        Ok(i) => i,
        Err(e) => return refused(e),
    };
    if idem.is_none()
        && let Some(kept) = &kept
        && let Some(outcome) = direct(&server, &identity, org, &request_id, kept, &req).await
    {
        return outcome;
    }
    // A request is run once, expecting the entry the database answered
    // last time (one round trip fewer). Uploads are read as they are
    // executed, so a request with files cannot be run twice: it enters first.
    let (entry, seed) = if req.uploads.is_empty() {
        (session::Entry::Expected, Some(Seed::of(&req)))
    } else {
        (session::Entry::Checked, None)
    };
    let first = attempt(
        &server,
        &identity,
        org,
        &request_id,
        req,
        kept.clone(),
        idem.as_ref(),
        entry,
    )
    .await;
    match (first, seed) {
        (Attempt::Done(outcome), _) => outcome,
        (Attempt::Again, Some(seed)) => {
            state.metrics.entry_rechecks.fetch_add(1, Ordering::Relaxed);
            let req = seed.request();
            match attempt(
                &server,
                &identity,
                org,
                &request_id,
                req,
                kept,
                idem.as_ref(),
                session::Entry::Checked,
            )
            .await
            {
                Attempt::Done(outcome) => outcome,
                Attempt::Again => refused(AppError::Internal(anyhow::anyhow!("a checked entry was mismatched"))),
            }
        }
        (Attempt::Again, None) => refused(AppError::Internal(anyhow::anyhow!("a checked entry was mismatched"))),
    }
}

/// Answers `req` before the executor if its operation was planned as a
/// lookup (`super::lookup`) that finds its row, or as an insert
/// (`super::insert`) that commits; `None` leaves it to the schema.
async fn direct(
    server: &Server,
    identity: &session::Identity,
    org: Option<uuid::Uuid>,
    request_id: &str,
    kept: &Kept,
    req: &async_graphql::Request,
) -> Option<Outcome> {
    let passed = kept.validated(req.operation_name.as_deref())?;
    if passed.lookup.is_none() && passed.insert.is_none() {
        return None;
    }
    if !req.uploads.is_empty() || !server.documents.types.fit(&passed.usages, &req.variables) {
        return None;
    }
    if let Some(lookup) = &passed.lookup {
        return self::lookup(server, identity, org, lookup, req).await;
    }
    let insert = passed.insert.as_ref()?;
    self::insert(server, identity, org, request_id, insert, req).await
}

/// Enters the tenant for a request answered before the executor, as
/// `attempt` would (refused here is refused there). `Ok(None)`: anonymous,
/// or no org chosen, which the resolvers answer. (A transaction that sent
/// nothing goes back as it was.)
async fn enter_direct(
    state: &crate::state::AppState,
    identity: &session::Identity,
    org: Option<uuid::Uuid>,
) -> Result<Option<(Tx, Principal, OrgCtx)>, Outcome> {
    let (tx, principal, org_ctx) = session::enter(state, identity, org, session::Entry::Expected)
        .await
        .map_err(refused)?;
    let (Some(tx), Some(org_ctx)) = (tx, org_ctx) else {
        return Ok(None);
    };
    if let Principal::ApiKey { key_id } = principal {
        session::touch_api_key(state, org_ctx.org_id, key_id);
    }
    Ok(Some((tx, principal, org_ctx)))
}

/// A body written before the executor.
fn answered(bytes: Vec<u8>, tx: &Tx) -> Outcome {
    Outcome::Executed {
        body: Encoded {
            bytes,
            not_executed: false,
        },
        statements: tx.statement_count(),
        replayed: false,
        code: "OK",
    }
}

async fn lookup(
    server: &Server,
    identity: &session::Identity,
    org: Option<uuid::Uuid>,
    lookup: &Lookup,
    req: &async_graphql::Request,
) -> Option<Outcome> {
    let state = &server.state;
    let id = lookup.id(&req.variables)?;
    let (tx, _, _) = match enter_direct(state, identity, org).await {
        Ok(entered) => entered?,
        Err(outcome) => return Some(outcome),
    };
    let rows = match tx.read_and_commit(&lookup.statement(id)).await {
        Ok(rows) => rows,
        Err(_) => {
            // Already committed (it read only); on a mismatch the next
            // request expects what the database answered. Either way the
            // schema answers this one.
            if mismatched(state, identity, org, &tx).await {
                state.metrics.entry_rechecks.fetch_add(1, Ordering::Relaxed);
            }
            return None;
        }
    };
    // No row (not found, another org's): the resolver says so.
    let row = rows.only()?;
    let bytes = match lookup.response(row) {
        Ok(b) => b,
        Err(e) => {
            e.log();
            return None;
        }
    };
    state.metrics.direct_lookups.fetch_add(1, Ordering::Relaxed);
    state.metrics.validation_skipped.fetch_add(1, Ordering::Relaxed);
    Some(answered(bytes, &tx))
}

async fn insert(
    server: &Server,
    identity: &session::Identity,
    org: Option<uuid::Uuid>,
    request_id: &str,
    insert: &Insert,
    req: &async_graphql::Request,
) -> Option<Outcome> {
    let state = &server.state;
    let input = insert.input(&req.variables)?;
    let (tx, principal, org_ctx) = match enter_direct(state, identity, org).await {
        Ok(entered) => entered?,
        Err(outcome) => return Some(outcome),
    };
    // Checked as the resolver checks it, with the role expected; a refusal
    // is the resolver's to give (and nothing has been sent).
    let rc = RequestCtx::new(request_id.to_string(), principal, Some(org_ctx));
    let statement = create_statement(&rc, input, insert.returning()).ok()?;
    let failed = |e: AppError| {
        e.log();
        let failed = error_response(AppError::Internal(anyhow::anyhow!("commit failed")));
        Some(Outcome::Executed {
            body: to_body(&failed),
            statements: tx.statement_count(),
            replayed: false,
            code: "INTERNAL",
        })
    };
    let rows = match tx.write_and_commit(&statement).await {
        Ok(rows) => rows,
        // Nothing was committed: the schema runs it and gives the
        // resolver's answer. After a mismatch (nothing ran after the
        // entry) it meets the same mismatch and runs again, as any
        // request expecting a stale entry does, learning what the
        // database answers now.
        Err(WriteFailed::Mismatch | WriteFailed::NotCommitted(_)) => return None,
        // It may have been committed: running it again could write twice.
        Err(WriteFailed::Unknown(e)) => return failed(e.into()),
    };
    // Committed: from here on it is answered here, whatever happens.
    let bytes = match rows.as_slice() {
        [row] => insert.response(row),
        _ => Err(AppError::Internal(anyhow::anyhow!(
            "the insert returned {} rows",
            rows.len()
        ))),
    };
    match bytes {
        Ok(bytes) => {
            state.metrics.direct_inserts.fetch_add(1, Ordering::Relaxed);
            state.metrics.validation_skipped.fetch_add(1, Ordering::Relaxed);
            Some(answered(bytes, &tx))
        }
        Err(e) => failed(e),
    }
}

/// Whether `tx` was entered otherwise than expected: then it is rolled
/// back (if it was not finished), what the database answered is kept for
/// the next request, and the request runs again.
async fn mismatched(
    state: &crate::state::AppState,
    identity: &session::Identity,
    org: Option<uuid::Uuid>,
    tx: &Tx,
) -> bool {
    let Some(actual) = tx.mismatched().await else {
        return false;
    };
    let _ = tx.rollback().await;
    session::entered_otherwise(state, identity, org, actual);
    true
}

#[expect(clippy::too_many_arguments, reason = "one request's parts")]
async fn attempt(
    server: &Server,
    identity: &session::Identity,
    org: Option<uuid::Uuid>,
    request_id: &str,
    req: async_graphql::Request,
    kept: Option<Arc<Kept>>,
    idem: Option<&(String, String)>,
    entry: session::Entry,
) -> Attempt {
    let state = &server.state;
    let (tx, principal, org_ctx) = match session::enter(state, identity, org, entry).await {
        Ok(v) => v,
        Err(e) => return Attempt::Done(refused(e)),
    };
    if let (Principal::ApiKey { key_id }, Some(o)) = (&principal, org_ctx) {
        session::touch_api_key(state, o.org_id, *key_id);
    }
    let ctx = Arc::new(RequestCtx::new(request_id.to_string(), principal, org_ctx));
    let Some(tx) = tx else {
        // Anonymous: no transaction, so no tenant data can be read at all.
        if idem.is_some() {
            return Attempt::Done(refused(AppError::unauthenticated("sign in to use Idempotency-Key")));
        }
        let mut resp = run_schema(server, kept, req.data(ctx)).await;
        super::errors::finalize(&mut resp.errors);
        return Attempt::Done(Outcome::Executed {
            body: to_body(&resp),
            statements: 0,
            replayed: false,
            code: outcome_code(&resp),
        });
    };
    let tx = Arc::new(tx);
    let mut idem_row = None;
    if let Some((key, hash)) = idem {
        match idempotency::begin(&tx, &ctx, key, hash).await {
            Ok(Idempotency::Fresh(id)) => idem_row = Some(id),
            Ok(Idempotency::Replay(stored)) => {
                let body = Encoded {
                    bytes: serde_json::to_vec(&stored).unwrap_or_default(),
                    not_executed: false,
                };
                let _ = tx.commit().await;
                return Attempt::Done(Outcome::Executed {
                    body,
                    statements: tx.statement_count(),
                    replayed: true,
                    code: "OK",
                });
            }
            Err(e) => {
                if mismatched(state, identity, org, &tx).await {
                    return Attempt::Again;
                }
                let _ = tx.rollback().await;
                let code = e.code();
                let resp = error_response(e);
                return Attempt::Done(Outcome::Executed {
                    body: to_body(&resp),
                    statements: tx.statement_count(),
                    replayed: false,
                    code,
                });
            }
        }
    }
    let loaders = Arc::new(DbLoader::new(tx.clone()));
    let mut resp = run_schema(server, kept, req.data(ctx.clone()).data(tx.clone()).data(loaders)).await;
    if mismatched(state, identity, org, &tx).await {
        return Attempt::Again;
    }
    super::errors::finalize(&mut resp.errors);
    let code = outcome_code(&resp);
    if !resp.errors.is_empty() {
        // Any error: nothing the request did is kept. (A transaction that
        // sent nothing yet is entered by its rollback: an error built on
        // the expected role is checked too.)
        let _ = tx.rollback().await;
        if mismatched(state, identity, org, &tx).await {
            return Attempt::Again;
        }
        return Attempt::Done(Outcome::Executed {
            body: to_body(&resp),
            statements: tx.statement_count(),
            replayed: false,
            code,
        });
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
            return Attempt::Done(Outcome::Executed {
                body: to_body(&error_response(e)),
                statements: tx.statement_count(),
                replayed: false,
                code,
            });
        }
        body = Some(encoded);
    }
    if let Err(e) = tx.commit().await {
        if mismatched(state, identity, org, &tx).await {
            return Attempt::Again;
        }
        AppError::from(e).log();
        let failed = error_response(AppError::Internal(anyhow::anyhow!("commit failed")));
        return Attempt::Done(Outcome::Executed {
            body: to_body(&failed),
            statements: tx.statement_count(),
            replayed: false,
            code: "INTERNAL",
        });
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
    Attempt::Done(Outcome::Executed {
        body,
        statements: tx.statement_count(),
        replayed: false,
        code,
    })
}
