//! The WebSocket transport: `graphql-transport-ws` (and the legacy
//! `graphql-ws`) at `/graphql/ws`, written here rather than taken from
//! async-graphql, whose transport accepts everyone by default, has no init
//! timeout, silently replaces a duplicate subscription id and never looks
//! at the credentials again (../shared/PITFALLS.md, C7).
//!
//! - `connection_init` must come within 10 s (else 4408) and carry
//!   `{"Authorization": "Bearer ...", "X-Org-Id": "..."}` (keys in any
//!   case); bad credentials or a foreign org close the socket with 4403.
//! - Messages are capped at 64 KiB; a socket holds at most 100 subscriptions;
//!   a reused id closes it with 4409.
//! - Every `WS_RECHECK_SECONDS` the credentials are checked again: an
//!   expired token, a revoked API key or a removed membership closes the
//!   socket with 4403.
//! - Each subscription runs in its own task writing to a bounded queue, so a
//!   slow client holds up nobody but itself.

use super::documents;
use super::limits::{self, Limits};
use super::subscription::EventScope;
use crate::auth::{self, Credentials, session};
use crate::error::AppError;
use crate::server::Server;
use crate::tenancy::{OrgCtx, Principal, RequestCtx};
use async_graphql::parser::types::OperationType;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;
use uuid::Uuid;

const INIT_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_MESSAGE: usize = 64 * 1024;
const MAX_SUBSCRIPTIONS: usize = 100;
const OUTBOX: usize = 256;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Protocol {
    /// graphql-transport-ws (the `graphql-ws` npm package)
    TransportWs,
    /// graphql-ws (the older subscriptions-transport-ws)
    Legacy,
}

pub async fn upgrade(State(server): State<Server>, ws: WebSocketUpgrade) -> Response {
    let ws = ws.protocols(["graphql-transport-ws", "graphql-ws"]);
    let protocol = match ws.selected_protocol().and_then(|p| p.to_str().ok()) {
        Some("graphql-ws") => Protocol::Legacy,
        _ => Protocol::TransportWs,
    };
    // Small buffers: messages are small, and a thousand sockets at the
    // library's default 128 KiB read buffer each would cost 128 MiB.
    ws.max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .read_buffer_size(8 * 1024)
        .write_buffer_size(8 * 1024)
        .on_upgrade(move |socket| Session::run(server, socket, protocol))
}

/// Who the socket authenticated as, kept to check again later.
struct Identity {
    creds: Credentials,
    org: Option<Uuid>,
    principal: Principal,
    org_ctx: Option<OrgCtx>,
    expires_at: Option<i64>,
}

enum Out {
    Json(Value),
    Close(u16, &'static str),
}

struct Session {
    server: Server,
    protocol: Protocol,
    out: mpsc::Sender<Out>,
    subs: HashMap<String, tokio::task::JoinHandle<()>>,
    done: mpsc::UnboundedSender<String>,
}

fn close(code: u16, reason: &'static str) -> Out {
    Out::Close(code, reason)
}

impl Session {
    async fn run(server: Server, socket: WebSocket, protocol: Protocol) {
        let (mut sink, mut stream) = socket.split();
        let (out, mut rx) = mpsc::channel::<Out>(OUTBOX);
        let writer = tokio::spawn(async move {
            while let Some(msg) = rx.recv().await {
                let sent = match msg {
                    Out::Json(v) => sink.send(Message::Text(v.to_string().into())).await,
                    Out::Close(code, reason) => {
                        let _ = sink
                            .send(Message::Close(Some(CloseFrame {
                                code,
                                reason: reason.into(),
                            })))
                            .await;
                        break;
                    }
                };
                if sent.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        let (done, mut finished) = mpsc::unbounded_channel::<String>();
        let mut s = Session {
            server,
            protocol,
            out,
            subs: HashMap::new(),
            done,
        };

        let identity = match tokio::time::timeout(INIT_TIMEOUT, s.init(&mut stream)).await {
            Ok(Ok(identity)) => identity,
            Ok(Err(out)) => {
                let _ = s.out.send(out).await;
                drop(s);
                let _ = writer.await;
                return;
            }
            Err(_) => {
                let _ = s.out.send(close(4408, "Connection initialisation timeout")).await;
                drop(s);
                let _ = writer.await;
                return;
            }
        };
        let ctx = Arc::new(RequestCtx::new(
            format!("ws-{}", Uuid::new_v4()),
            identity.principal.clone(),
            identity.org_ctx,
        ));
        let mut recheck = tokio::time::interval(s.server.state.config.ws_recheck);
        recheck.tick().await;
        loop {
            tokio::select! {
                msg = stream.next() => {
                    let Some(Ok(msg)) = msg else { break };
                    let text = match msg {
                        Message::Text(t) => t.to_string(),
                        Message::Binary(_) => { let _ = s.out.send(close(4400, "Binary messages are not supported")).await; break; }
                        Message::Close(_) => break,
                        Message::Ping(_) | Message::Pong(_) => continue,
                    };
                    if let Err(out) = s.handle(&text, &ctx, &identity).await {
                        let _ = s.out.send(out).await;
                        break;
                    }
                }
                Some(id) = finished.recv() => {
                    s.subs.remove(&id);
                }
                _ = recheck.tick() => {
                    if !still_allowed(&s.server, &identity).await {
                        let _ = s.out.send(close(4403, "Forbidden")).await;
                        break;
                    }
                }
            }
        }
        for (_, task) in s.subs.drain() {
            task.abort();
        }
        drop(s);
        let _ = writer.await;
    }

    async fn send(&self, v: Value) {
        let _ = self.out.send(Out::Json(v)).await;
    }

    /// Waits for `connection_init`, authenticates it, acknowledges it.
    async fn init(&mut self, stream: &mut futures_util::stream::SplitStream<WebSocket>) -> Result<Identity, Out> {
        loop {
            let msg = match stream.next().await {
                Some(Ok(Message::Text(t))) => t.to_string(),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                _ => return Err(close(4400, "Connection closed before initialisation")),
            };
            let v: Value = serde_json::from_str(&msg).map_err(|_| close(4400, "Invalid message"))?;
            match v["type"].as_str() {
                Some("connection_init") => {
                    let identity = authenticate(&self.server, &v["payload"]).await.map_err(|e| {
                        tracing::info!(reason = %e, "websocket connection refused");
                        close(4403, "Forbidden")
                    })?;
                    self.send(json!({ "type": "connection_ack" })).await;
                    if self.protocol == Protocol::Legacy {
                        self.send(json!({ "type": "ka" })).await;
                    }
                    return Ok(identity);
                }
                Some("ping") => self.send(json!({ "type": "pong" })).await,
                Some("subscribe" | "start") => return Err(close(4401, "Unauthorized")),
                _ => return Err(close(4400, "Invalid message")),
            }
        }
    }

    async fn handle(&mut self, text: &str, ctx: &Arc<RequestCtx>, identity: &Identity) -> Result<(), Out> {
        let v: Value = serde_json::from_str(text).map_err(|_| close(4400, "Invalid message"))?;
        match v["type"].as_str() {
            Some("connection_init") => Err(close(4429, "Too many initialisation requests")),
            Some("ping") => {
                self.send(json!({ "type": "pong", "payload": v["payload"] })).await;
                Ok(())
            }
            Some("pong") => Ok(()),
            Some("subscribe" | "start") => {
                let id = v["id"]
                    .as_str()
                    .filter(|i| !i.is_empty())
                    .ok_or_else(|| close(4400, "Invalid message"))?
                    .to_string();
                if self.subs.contains_key(&id) {
                    return Err(close(4409, "Subscriber for this id already exists"));
                }
                if self.subs.len() >= MAX_SUBSCRIPTIONS {
                    self.send_errors(&id, AppError::RateLimited { retry_after_seconds: 1 })
                        .await;
                    return Ok(());
                }
                self.subscribe(id, &v["payload"], ctx, identity).await;
                Ok(())
            }
            Some("complete" | "stop") => {
                if let Some(task) = v["id"].as_str().and_then(|id| self.subs.remove(id)) {
                    task.abort();
                }
                Ok(())
            }
            Some("connection_terminate") => Err(close(1000, "Normal closure")),
            _ => Err(close(4400, "Invalid message")),
        }
    }

    async fn send_errors(&self, id: &str, err: AppError) {
        let errors = serde_json::to_value(super::errors::error_response(err).errors).unwrap_or_default();
        let msg = match self.protocol {
            Protocol::TransportWs => json!({ "type": "error", "id": id, "payload": errors }),
            Protocol::Legacy => {
                json!({ "type": "error", "id": id, "payload": errors.get(0).cloned().unwrap_or_default() })
            }
        };
        self.send(msg).await;
    }

    async fn subscribe(&mut self, id: String, payload: &Value, ctx: &Arc<RequestCtx>, identity: &Identity) {
        let mut req: async_graphql::Request = match serde_json::from_value(payload.clone()) {
            Ok(r) => r,
            Err(_) => {
                return self
                    .send_errors(
                        &id,
                        AppError::validation("payload", "expected {query, variables, operationName}"),
                    )
                    .await;
            }
        };
        let op = req.operation_name.clone();
        let parsed = self.server.documents.parse(&mut req).and_then(|kept| {
            let checked = limits::check(
                documents::document(kept.as_deref(), &mut req)?,
                op.as_deref(),
                Limits::default(),
            );
            Ok((checked, kept))
        });
        let checked = match parsed {
            Ok((checked, kept)) => {
                if let Some(k) = kept {
                    k.attach(&mut req);
                }
                checked
            }
            Err(e) => Err(AppError::validation("query", e.message)),
        };
        match checked {
            Ok(OperationType::Subscription) => {}
            Ok(_) => {
                return self
                    .send_errors(
                        &id,
                        AppError::validation("query", "queries and mutations go over HTTP POST /graphql"),
                    )
                    .await;
            }
            Err(e) => return self.send_errors(&id, e).await,
        }
        let scope = Arc::new(EventScope::new(
            self.server.state.pool.clone(),
            identity.org_ctx.map(|o| o.org_id),
        ));
        let stream = self.server.schema.execute_stream(req.data(ctx.clone()).data(scope));
        let (out, done, protocol, sub_id) = (self.out.clone(), self.done.clone(), self.protocol, id.clone());
        let task = tokio::spawn(async move {
            futures_util::pin_mut!(stream);
            while let Some(mut resp) = stream.next().await {
                super::errors::finalize(&mut resp.errors);
                let failed = resp.data == async_graphql::Value::Null && !resp.errors.is_empty();
                let msg = if failed && protocol == Protocol::TransportWs {
                    json!({ "type": "error", "id": sub_id, "payload": resp.errors })
                } else {
                    let kind = if protocol == Protocol::TransportWs {
                        "next"
                    } else {
                        "data"
                    };
                    json!({ "type": kind, "id": sub_id, "payload": resp })
                };
                // A bounded queue: a slow client waits here, nobody else does.
                if out.send(Out::Json(msg)).await.is_err() {
                    return;
                }
                if failed {
                    let _ = done.send(sub_id);
                    return;
                }
            }
            let _ = out.send(Out::Json(json!({ "type": "complete", "id": sub_id }))).await;
            let _ = done.send(sub_id);
        });
        self.subs.insert(id, task);
    }
}

/// Reads the `connection_init` payload (keys in any case) and checks it as
/// an HTTP request would be checked.
async fn authenticate(server: &Server, payload: &Value) -> Result<Identity, AppError> {
    let get = |name: &str| -> Option<String> {
        payload
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .and_then(|(_, v)| v.as_str().map(str::to_string))
    };
    let header =
        get("authorization").ok_or_else(|| AppError::unauthenticated("connection_init needs Authorization"))?;
    let creds = auth::authenticate(Some(&header), &server.state.jwt)?;
    if matches!(creds, Credentials::Anonymous) {
        return Err(AppError::unauthenticated("connection_init needs Authorization"));
    }
    let expires_at = match &creds {
        Credentials::Jwt(c) => Some(c.exp),
        _ => None,
    };
    let org = session::parse_org_header(get("x-org-id").as_deref())?;
    let (principal, org_ctx) = check(server, &creds, org).await?;
    Ok(Identity {
        creds,
        org,
        principal,
        org_ctx,
        expires_at,
    })
}

/// Membership or API key, checked in a short transaction.
async fn check(
    server: &Server,
    creds: &Credentials,
    org: Option<Uuid>,
) -> Result<(Principal, Option<OrgCtx>), AppError> {
    let identity = session::identify(&server.state, creds.clone()).await?;
    let (tx, principal, org_ctx) = session::enter(&server.state, &identity, org, session::Entry::Checked).await?;
    if let Some(tx) = tx {
        tx.commit().await?;
    }
    Ok((principal, org_ctx))
}

async fn still_allowed(server: &Server, id: &Identity) -> bool {
    if id.expires_at.is_some_and(|exp| exp <= chrono::Utc::now().timestamp()) {
        return false;
    }
    match check(server, &id.creds, id.org).await {
        Ok((_, org_ctx)) => org_ctx.map(|o| (o.org_id, o.role)) == id.org_ctx.map(|o| (o.org_id, o.role)),
        // A database hiccup is not a revocation: keep the socket.
        Err(e) if e.is_internal() => true,
        Err(_) => false,
    }
}
