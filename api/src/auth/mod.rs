//! Who is calling: JWT users and org-scoped API keys.

pub mod api_key;
pub mod jwt;
pub mod session;

pub use api_key::ApiKeySecret;
pub use jwt::{Claims, JwtVerifier};

use crate::error::AppError;

/// The credentials an `Authorization` header carries, verified.
#[derive(Clone, Debug)]
pub enum Credentials {
    Anonymous,
    Jwt(std::sync::Arc<Claims>),
    /// SHA-256 (hex) of an API key; whether it exists is for the database to say.
    ApiKey {
        key_hash: String,
    },
}

/// Parses and verifies `Authorization: Bearer <jwt | cs_live_...>`.
pub fn authenticate(header: Option<&str>, verifier: &JwtVerifier) -> Result<Credentials, AppError> {
    let Some(header) = header.map(str::trim).filter(|h| !h.is_empty()) else {
        return Ok(Credentials::Anonymous);
    };
    let token = match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return Err(AppError::unauthenticated("expected an Authorization: Bearer token")),
    };
    if token.starts_with(api_key::PREFIX) {
        return Ok(Credentials::ApiKey {
            key_hash: api_key::hash(token),
        });
    }
    verifier.verify(token).map(Credentials::Jwt)
}
