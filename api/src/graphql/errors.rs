//! The error chokepoint: every GraphQL error leaves with `extensions.code`
//! from the contract's list, and internal details never leave at all.
//!
//! Applied where responses leave (the HTTP handler and the WebSocket
//! transport), not as an async-graphql extension: any extension puts every
//! field of every request on async-graphql's slower, hooked path.

use crate::error::AppError;
use async_graphql::{ErrorExtensionValues, Response, ServerError, Value};

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
