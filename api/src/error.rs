//! The one error type of the request path and its stable codes.
//!
//! Codes are API: clients branch on `extensions.code`, so a change to the
//! table in [`AppError::code`] is a breaking change.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sea_orm::DbErr;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("{0}")]
    Conflict(String),
    #[error("insufficient credits: {needed} needed, {available} available")]
    InsufficientCredits { needed: i64, available: i64 },
    #[error("too many requests; retry in {retry_after_seconds} s")]
    RateLimited { retry_after_seconds: u64 },
    #[error("{0}")]
    QueryTooComplex(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
    #[error("internal error")]
    Db(DbErr),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    /// The stable code clients see in `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated(_) => "UNAUTHENTICATED",
            Self::Forbidden(_) => "FORBIDDEN",
            Self::NotFound(_) => "NOT_FOUND",
            Self::Validation { .. } => "BAD_USER_INPUT",
            Self::Conflict(_) => "CONFLICT",
            Self::InsufficientCredits { .. } => "INSUFFICIENT_CREDITS",
            Self::RateLimited { .. } => "RATE_LIMITED",
            Self::QueryTooComplex(_) => "QUERY_TOO_COMPLEX",
            Self::Internal(_) | Self::Db(_) => "INTERNAL",
        }
    }

    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::Conflict(message.into())
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::Forbidden(message.into())
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::Unauthenticated(message.into())
    }

    pub fn is_internal(&self) -> bool {
        matches!(self, Self::Internal(_) | Self::Db(_))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::InsufficientCredits { .. } => StatusCode::PAYMENT_REQUIRED,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::QueryTooComplex(_) => StatusCode::BAD_REQUEST,
            Self::Internal(_) | Self::Db(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Extra machine-readable fields for `extensions`.
    pub fn extensions(&self) -> Vec<(&'static str, serde_json::Value)> {
        match self {
            Self::Validation { field, .. } => vec![("field", field.clone().into())],
            Self::InsufficientCredits { needed, available } => {
                vec![("needed", (*needed).into()), ("available", (*available).into())]
            }
            Self::RateLimited { retry_after_seconds } => vec![("retryAfterSeconds", (*retry_after_seconds).into())],
            _ => vec![],
        }
    }

    /// Logs an internal error with its whole cause chain (never sent to clients).
    pub fn log(&self) {
        match self {
            Self::Internal(e) => tracing::error!(error = format!("{e:#}"), "internal error"),
            Self::Db(e) => tracing::error!(error = %e, "database error"),
            _ => {}
        }
    }
}

/// Constraint names that mean "the client asked for something that clashes
/// with existing data", mapped to what the client sees.
const CONSTRAINTS: &[(&str, &str, &str)] = &[
    ("orgs_slug_key", "slug", "an org with this slug already exists"),
    ("memberships_org_user_key", "email", "this user is already a member"),
];

impl From<DbErr> for AppError {
    fn from(err: DbErr) -> Self {
        if let DbErr::RecordNotFound(_) = err {
            return Self::NotFound("record");
        }
        if let Some(pg) = crate::db::pg_error(&err) {
            let code = pg.code();
            if let Some(constraint) = pg.constraint()
                && let Some((_, _field, msg)) = CONSTRAINTS.iter().find(|(name, ..)| *name == constraint)
            {
                return Self::Conflict((*msg).to_string());
            }
            // RLS refusals look like a missing row to the caller.
            if code == "42501" && pg.message().contains("row-level security") {
                return Self::NotFound("record");
            }
        }
        Self::Db(err)
    }
}

/// Extension on results to map a named constraint to a domain error.
pub trait ResultExt<T> {
    fn on_constraint(self, name: &str, f: impl FnOnce() -> AppError) -> AppResult<T>;
}

impl<T> ResultExt<T> for Result<T, DbErr> {
    fn on_constraint(self, name: &str, f: impl FnOnce() -> AppError) -> AppResult<T> {
        match self {
            Ok(v) => Ok(v),
            Err(e) => match crate::db::pg_error(&e).and_then(|pg| pg.constraint()) {
                Some(c) if c == name => Err(f()),
                _ => Err(AppError::from(e)),
            },
        }
    }
}

/// JSON `{code, message}` for the non-GraphQL routes.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let mut body = serde_json::json!({ "code": self.code(), "message": self.to_string() });
        for (k, v) in self.extensions() {
            body[k] = v;
        }
        let mut resp = (self.status(), axum::Json(body)).into_response();
        if let Self::RateLimited { retry_after_seconds } = self
            && let Ok(v) = retry_after_seconds.to_string().parse()
        {
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        resp
    }
}
