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
        })
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[&self.audience]);
        v.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        v.validate_nbf = true;
        v.leeway = 5;
        v
    }

    pub fn verify(&self, token: &str) -> Result<Claims, AppError> {
        let invalid = || AppError::unauthenticated("invalid or expired token");
        let header = decode_header(token).map_err(|_| invalid())?;
        let claims = match header.alg {
            Algorithm::HS256 => {
                let (key, _) = self.hs.as_ref().ok_or_else(invalid)?;
                decode::<Claims>(token, key, &self.validation(Algorithm::HS256))
                    .map_err(|_| invalid())?
                    .claims
            }
            Algorithm::RS256 => {
                let key = match &header.kid {
                    Some(kid) => self.rs.iter().find(|(k, _)| k.as_deref() == Some(kid.as_str())),
                    None => self.rs.first(),
                };
                let (_, key) = key.ok_or_else(invalid)?;
                decode::<Claims>(token, key, &self.validation(Algorithm::RS256))
                    .map_err(|_| invalid())?
                    .claims
            }
            _ => return Err(invalid()),
        };
        if claims.sub.trim().is_empty() || claims.sub.len() > 255 {
            return Err(invalid());
        }
        match claims.email.as_deref() {
            Some(email) if crate::domain::Email::parse(email).is_ok() => Ok(claims),
            _ => Err(AppError::unauthenticated("the token has no valid email claim")),
        }
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
