//! Object storage behind one trait: a local directory (default), served by
//! the API at signed, expiring URLs, or any S3-compatible store with
//! presigned URLs. Object keys always start with `orgs/<org id>/`.

mod fs;
mod s3;

pub use fs::{FsStorage, routes};
pub use s3::S3Storage;

use chrono::{DateTime, Utc};
use std::time::Duration;
use uuid::Uuid;

/// How long a signed URL stays valid.
pub const URL_TTL: Duration = Duration::from_secs(3600);

#[async_trait::async_trait]
pub trait Storage: Send + Sync {
    async fn put(&self, key: &str, bytes: Vec<u8>, mime: &str) -> anyhow::Result<()>;
    async fn get(&self, key: &str) -> anyhow::Result<Vec<u8>>;
    /// A URL that fetches the object without a token until it expires.
    async fn signed_url(&self, key: &str, ttl: Duration) -> anyhow::Result<(String, DateTime<Utc>)>;
}

/// The key of an object of `org_id`: `orgs/<org>/<kind>/<name>`. Parts are
/// made of ids and fixed words only, so a key can never climb out of its org.
pub fn object_key(org_id: Uuid, kind: &str, name: &str) -> String {
    let clean = |s: &str| {
        let mut out: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
            .collect();
        while out.contains("..") {
            out = out.replace("..", ".");
        }
        out
    };
    format!("orgs/{org_id}/{}/{}", clean(kind), clean(name))
}

/// Is `key` a well-formed key of ours (no traversal, no empty segments)?
pub fn valid_key(key: &str) -> bool {
    key.starts_with("orgs/")
        && key.len() <= 512
        && key.split('/').all(|seg| {
            !seg.is_empty()
                && seg != "."
                && seg != ".."
                && seg.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
}

/// The configured store, and the directory store itself when that is it
/// (the API serves its files).
pub async fn from_config(
    config: &crate::config::Config,
) -> anyhow::Result<(std::sync::Arc<dyn Storage>, Option<std::sync::Arc<FsStorage>>)> {
    Ok(match &config.storage {
        crate::config::StorageConfig::Fs { dir } => {
            let fs = std::sync::Arc::new(FsStorage::new(
                dir.clone(),
                config.public_base_url.clone(),
                crate::crypto::Signer::new(config.secret_key.expose(), "asset-url-v1"),
            )?);
            (fs.clone(), Some(fs))
        }
        crate::config::StorageConfig::S3(s3) => {
            let store = S3Storage::new(s3).await?;
            store.ensure_bucket().await?;
            (std::sync::Arc::new(store), None)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_stay_inside_their_org() {
        let org = Uuid::nil();
        let k = object_key(org, "images", "../../etc/passwd");
        assert!(valid_key(&k), "{k}");
        assert!(k.starts_with(&format!("orgs/{org}/images/")));
        assert!(!k.contains(".."));
        assert!(!valid_key("orgs/../x"));
        assert!(!valid_key("/etc/passwd"));
        assert!(!valid_key("orgs//x"));
    }
}
