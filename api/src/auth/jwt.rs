//! JWT verification: HS256 with a shared secret, RS256 with a PEM public key
//! or a JWKS file (picked by `kid`). `exp`, `nbf`, `iss`, `aud` and `sub` are
//! required and checked; the algorithm comes from our configuration, never
//! from the token alone, so `alg: none` and HS/RS confusion are refused.

use crate::config::JwtConfig;
use crate::error::AppError;
use anyhow::Context as _;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Seconds of clock skew allowed on `exp` and `nbf`.
const LEEWAY: i64 = 5;
/// Verified tokens kept at most; when full, the cache starts over.
const MAX_VERIFIED: usize = 4096;
/// Longer tokens are verified every time rather than kept.
const MAX_KEPT_TOKEN_LEN: usize = 4096;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform_admin: Option<bool>,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    pub iss: String,
    pub aud: serde_json::Value,
}

fn invalid_token() -> AppError {
    AppError::unauthenticated("invalid or expired token")
}

/// `exp` and `nbf` hold at `now`, with the same leeway and comparisons as
/// the library's validation.
fn in_time(claims: &Claims, now: i64) -> bool {
    claims.exp >= now - LEEWAY && claims.nbf.is_none_or(|nbf| nbf <= now + LEEWAY)
}

impl Claims {
    pub fn is_platform_admin(&self) -> bool {
        self.platform_admin.unwrap_or(false)
    }
}

pub struct JwtVerifier {
    hs: Option<(DecodingKey, EncodingKey)>,
    /// RS256 keys with their `kid` (None: the single PEM key).
    rs: Vec<(Option<String>, DecodingKey)>,
    issuer: String,
    audience: String,
    /// Tokens that passed every check, by their exact text. A client sends
    /// the same token with every request until it expires; its signature
    /// (and claims) can only be what they were when first checked, so it is
    /// checked once, while `exp`/`nbf` are checked again at every use. Only
    /// verified tokens get in, so the keys are not the caller's to choose
    /// (and the hasher is std's keyed SipHash).
    verified: Mutex<HashMap<Box<str>, Arc<Claims>>>,
}

impl JwtVerifier {
    pub fn from_config(cfg: &JwtConfig) -> anyhow::Result<Self> {
        let hs = cfg.secret.as_ref().map(|s| {
            (
                DecodingKey::from_secret(s.expose().as_bytes()),
                EncodingKey::from_secret(s.expose().as_bytes()),
            )
        });
        let mut rs = Vec::new();
        if let Some(path) = &cfg.public_key_file {
            let pem =
                std::fs::read(path).with_context(|| format!("JWT_PUBLIC_KEY_FILE: cannot read {}", path.display()))?;
            rs.push((
                None,
                DecodingKey::from_rsa_pem(&pem).context("JWT_PUBLIC_KEY_FILE: not an RSA public key in PEM")?,
            ));
        }
        if let Some(path) = &cfg.jwks_file {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("JWT_JWKS_FILE: cannot read {}", path.display()))?;
            let set: JwkSet = serde_json::from_str(&text).context("JWT_JWKS_FILE: not a JWKS document")?;
            for jwk in &set.keys {
                if let Ok(key) = DecodingKey::from_jwk(jwk) {
                    rs.push((jwk.common.key_id.clone(), key));
                }
            }
        }
        Ok(Self {
            hs,
            rs,
            issuer: cfg.issuer.clone(),
            audience: cfg.audience.clone(),
            verified: Mutex::new(HashMap::new()),
        })
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[&self.audience]);
        v.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        v.validate_nbf = true;
        v.leeway = LEEWAY as u64;
        v
    }

    /// The claims of a valid token: signature, algorithm, issuer, audience,
    /// subject, email and time window all checked.
    pub fn verify(&self, token: &str) -> Result<Arc<Claims>, AppError> {
        self.verify_at(token, chrono::Utc::now().timestamp())
    }

    fn verify_at(&self, token: &str, now: i64) -> Result<Arc<Claims>, AppError> {
        let kept = self.verified.lock().ok().and_then(|m| m.get(token).cloned());
        if let Some(claims) = kept {
            if in_time(&claims, now) {
                return Ok(claims);
            }
            if let Ok(mut m) = self.verified.lock() {
                m.remove(token);
            }
            return Err(invalid_token());
        }
        let claims = Arc::new(self.verify_uncached(token)?);
        // The library checked the window against its own clock; ours must
        // agree before the token is kept, or a use a moment later could
        // pass where the library would refuse.
        if token.len() <= MAX_KEPT_TOKEN_LEN
            && in_time(&claims, now)
            && let Ok(mut m) = self.verified.lock()
        {
            if m.len() >= MAX_VERIFIED {
                m.clear();
            }
            m.insert(token.into(), claims.clone());
        }
        Ok(claims)
    }

    fn verify_uncached(&self, token: &str) -> Result<Claims, AppError> {
        let header = decode_header(token).map_err(|_| invalid_token())?;
        let claims = match header.alg {
            Algorithm::HS256 => {
                let (key, _) = self.hs.as_ref().ok_or_else(invalid_token)?;
                decode::<Claims>(token, key, &self.validation(Algorithm::HS256))
                    .map_err(|_| invalid_token())?
                    .claims
            }
            Algorithm::RS256 => {
                let key = match &header.kid {
                    Some(kid) => self.rs.iter().find(|(k, _)| k.as_deref() == Some(kid.as_str())),
                    None => self.rs.first(),
                };
                let (_, key) = key.ok_or_else(invalid_token)?;
                decode::<Claims>(token, key, &self.validation(Algorithm::RS256))
                    .map_err(|_| invalid_token())?
                    .claims
            }
            _ => return Err(invalid_token()),
        };
        if claims.sub.trim().is_empty() || claims.sub.len() > 255 {
            return Err(invalid_token());
        }
        match claims.email.as_deref() {
            Some(email) if crate::domain::Email::parse(email).is_ok() => Ok(claims),
            _ => Err(AppError::unauthenticated("the token has no valid email claim")),
        }
    }

    #[cfg(test)]
    fn kept(&self) -> usize {
        self.verified.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Signs an HS256 token (the `token` command and tests).
    pub fn sign(&self, claims: &Claims) -> anyhow::Result<String> {
        let (_, key) = self.hs.as_ref().context("signing needs JWT_SECRET")?;
        Ok(encode(&Header::new(Algorithm::HS256), claims, key)?)
    }

    /// Claims for a dev token valid for `ttl_seconds`.
    pub fn dev_claims(&self, email: &str, platform_admin: bool, ttl_seconds: i64) -> Claims {
        let now = chrono::Utc::now().timestamp();
        Claims {
            sub: format!("dev|{}", email.to_ascii_lowercase()),
            email: Some(email.to_string()),
            name: None,
            platform_admin: platform_admin.then_some(true),
            exp: now + ttl_seconds,
            nbf: Some(now - 1),
            iat: Some(now),
            iss: self.issuer.clone(),
            aud: serde_json::Value::String(self.audience.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Secret;

    fn verifier() -> JwtVerifier {
        JwtVerifier::from_config(&JwtConfig {
            secret: Some(Secret::new("a-test-secret-of-some-length")),
            public_key_file: None,
            jwks_file: None,
            issuer: "campaign-studio".into(),
            audience: "campaign-studio".into(),
        })
        .unwrap()
    }

    #[test]
    fn a_verified_token_is_kept_and_its_time_window_checked_at_every_use() {
        let v = verifier();
        let token = v.sign(&v.dev_claims("kept@example.com", false, 60)).unwrap();
        let now = chrono::Utc::now().timestamp();
        let first = v.verify_at(&token, now).unwrap();
        assert_eq!(v.kept(), 1);
        let again = v.verify_at(&token, now + 30).unwrap();
        assert!(
            Arc::ptr_eq(&first, &again),
            "the second use is answered from the kept claims"
        );
        assert_eq!(again.email.as_deref(), Some("kept@example.com"));
        // Past exp (and the leeway) the kept token is refused and forgotten.
        assert!(v.verify_at(&token, now + 60 + LEEWAY + 1).is_err());
        assert_eq!(v.kept(), 0);
        // Before nbf (clock set back) it is refused too.
        v.verify_at(&token, now).unwrap();
        assert!(v.verify_at(&token, now - 60).is_err());
    }

    #[test]
    fn tokens_that_fail_are_never_kept() {
        let v = verifier();
        let token = v.sign(&v.dev_claims("forged@example.com", false, 60)).unwrap();
        let mut forged = token.clone();
        let last = forged.pop().unwrap();
        forged.push(if last == 'A' { 'B' } else { 'A' });
        assert!(v.verify(&forged).is_err());
        let other = JwtVerifier::from_config(&JwtConfig {
            secret: Some(Secret::new("another-secret-entirely")),
            public_key_file: None,
            jwks_file: None,
            issuer: "campaign-studio".into(),
            audience: "campaign-studio".into(),
        })
        .unwrap();
        let foreign = other.sign(&other.dev_claims("forged@example.com", false, 60)).unwrap();
        assert!(v.verify(&foreign).is_err());
        let expired = v.sign(&v.dev_claims("late@example.com", false, -60)).unwrap();
        assert!(v.verify(&expired).is_err());
        assert_eq!(v.kept(), 0);
        // The genuine one still verifies, and only it is kept.
        v.verify(&token).unwrap();
        assert!(v.verify(&forged).is_err());
        assert_eq!(v.kept(), 1);
    }

    #[test]
    fn the_cache_is_bounded() {
        let v = verifier();
        for i in 0..MAX_VERIFIED + 10 {
            let token = v.sign(&v.dev_claims(&format!("u{i}@example.com"), false, 60)).unwrap();
            v.verify(&token).unwrap();
            assert!(v.kept() <= MAX_VERIFIED);
        }
    }
}
