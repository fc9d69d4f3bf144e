//! The error chokepoint: every GraphQL error leaves with `extensions.code`
//! from the contract's list, and internal details never leave at all.

use crate::error::AppError;
use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest, NextSubscribe};
use async_graphql::{ErrorExtensionValues, Response, ServerError, Value};
use futures_util::StreamExt as _;
use futures_util::stream::BoxStream;
use std::sync::Arc;

/// Gives every error a code (and hides internal ones).
pub fn finalize(errors: &mut [ServerError]) {
    for err in errors.iter_mut() {
        let mut ext = err.extensions.take().unwrap_or_default();
        if ext.get("code").is_some() {
            err.extensions = Some(ext);
            continue;
        }
        let app = err.source::<AppError>().map(|app| {
            app.log();
            (app.code(), app.is_internal(), app.extensions())
        });
        let code = if let Some((code, internal, extra)) = app {
            for (k, v) in extra {
                ext.set(k, Value::from_json(v).unwrap_or(Value::Null));
            }
            if internal {
                err.message = "internal error".into();
            }
            code
        } else if err.source.is_some() {
            // A raw error reached a resolver's `?`: never show its text.
            tracing::error!(error = %err.message, "unmapped resolver error");
            err.message = "internal error".into();
            "INTERNAL"
        } else if is_limit_error(&err.message) {
            "QUERY_TOO_COMPLEX"
        } else {
            // Parse and validation errors, bad argument values.
            "BAD_USER_INPUT"
        };
        ext.set("code", code);
        err.extensions = Some(ext);
    }
}

fn is_limit_error(message: &str) -> bool {
    message.starts_with("Query is too complex")
        || message.starts_with("Query is nested too deep")
        || message.starts_with("The recursion depth")
        || message.contains("too many directives")
}

/// An error response for failures before execution (auth, limits, parsing).
pub fn error_response(err: AppError) -> Response {
    let mut server = ServerError::new(err.to_string(), None);
    let mut ext = ErrorExtensionValues::default();
    ext.set("code", err.code());
    for (k, v) in err.extensions() {
        ext.set(k, Value::from_json(v).unwrap_or(Value::Null));
    }
    err.log();
    if err.is_internal() {
        server.message = "internal error".into();
    }
    server.extensions = Some(ext);
    Response::from_errors(vec![server])
}

/// Applies [`finalize`] to query results and to every subscription event.
pub struct ErrorCodes;

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExt)
    }
}

struct ErrorCodesExt;

#[async_trait::async_trait]
impl Extension for ErrorCodesExt {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut resp = next.run(ctx).await;
        finalize(&mut resp.errors);
        resp
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        next.run(ctx, stream)
            .map(|mut resp| {
                finalize(&mut resp.errors);
                resp
            })
            .boxed()
    }
}
