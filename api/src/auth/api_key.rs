//! API keys: `cs_live_` + 256 random bits. Only a SHA-256 of the key is
//! stored; the key itself is shown once, at creation.

use aws_lc_rs::digest;

pub const PREFIX: &str = "cs_live_";
/// Characters kept for recognising a key (`cs_live_` + 8).
const SHOWN: usize = PREFIX.len() + 8;

/// A freshly made key.
pub struct ApiKeySecret {
    pub secret: String,
    pub prefix: String,
    pub hash: String,
}

impl ApiKeySecret {
    pub fn generate() -> anyhow::Result<Self> {
        let secret = format!("{PREFIX}{}", crate::crypto::random_hex(32)?);
        Ok(Self {
            prefix: secret[..SHOWN].to_string(),
            hash: hash(&secret),
            secret,
        })
    }
}

pub fn hash(key: &str) -> String {
    hex::encode(digest::digest(&digest::SHA256, key.as_bytes()))
}
