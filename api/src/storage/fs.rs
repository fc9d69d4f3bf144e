//! A directory store. Files are served at `/files/<key>?exp=<unix>&sig=<hmac>`
//! where the HMAC covers the key and the expiry: a tampered or expired URL
//! gets 403, and a key that is not one of ours never touches the disk.

use super::{Storage, valid_key};
use crate::crypto::Signer;
use crate::server::Server;
use anyhow::Context as _;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

pub struct FsStorage {
    root: PathBuf,
    base_url: String,
    signer: Signer,
}

impl FsStorage {
    pub fn new(root: PathBuf, base_url: String, signer: Signer) -> anyhow::Result<Self> {
        std::fs::create_dir_all(&root).with_context(|| format!("STORAGE_DIR: cannot create {}", root.display()))?;
        Ok(Self { root, base_url, signer })
    }

    fn path(&self, key: &str) -> anyhow::Result<PathBuf> {
        anyhow::ensure!(valid_key(key), "invalid object key");
        Ok(self.root.join(key))
    }

    fn payload(key: &str, exp: i64) -> String {
        format!("{key}\n{exp}")
    }

    /// Does this signature grant `key` until `exp`?
    pub fn verify(&self, key: &str, exp: i64, sig: &str) -> bool {
        exp >= Utc::now().timestamp() && self.signer.verify_b64(Self::payload(key, exp).as_bytes(), sig)
    }

    pub async fn read(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        Ok(tokio::fs::read(self.path(key)?).await?)
    }
}

#[async_trait::async_trait]
impl Storage for FsStorage {
    async fn put(&self, key: &str, bytes: Vec<u8>, _mime: &str) -> anyhow::Result<()> {
        let path = self.path(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        // write-then-rename: a reader never sees half a file
        let tmp = path.with_extension(format!("tmp-{}", uuid::Uuid::new_v4()));
        tokio::fs::write(&tmp, &bytes).await?;
        tokio::fs::rename(&tmp, &path).await?;
        Ok(())
    }

    async fn get(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        self.read(key).await
    }

    async fn signed_url(&self, key: &str, ttl: Duration) -> anyhow::Result<(String, DateTime<Utc>)> {
        anyhow::ensure!(valid_key(key), "invalid object key");
        let expires = Utc::now() + chrono::Duration::from_std(ttl)?;
        let exp = expires.timestamp();
        let sig = self.signer.sign_b64(Self::payload(key, exp).as_bytes());
        Ok((
            format!("{}/files/{key}?exp={exp}&sig={sig}", self.base_url),
            DateTime::from_timestamp(exp, 0).unwrap_or(expires),
        ))
    }
}

#[derive(Deserialize)]
struct SignedQuery {
    exp: Option<i64>,
    sig: Option<String>,
}

pub fn routes() -> Router<Server> {
    Router::new().route("/files/{*key}", get(serve_file))
}

async fn serve_file(State(server): State<Server>, Path(key): Path<String>, Query(q): Query<SignedQuery>) -> Response {
    let forbidden = || (StatusCode::FORBIDDEN, "invalid or expired link").into_response();
    let Some(fs) = server.state.fs_storage.as_ref() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let (Some(exp), Some(sig)) = (q.exp, q.sig) else {
        return forbidden();
    };
    if !valid_key(&key) || !fs.verify(&key, exp, &sig) {
        return forbidden();
    }
    match fs.read(&key).await {
        Ok(bytes) => {
            let mime = mime_of(&key);
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, "private, max-age=3600"),
                ],
                bytes,
            )
                .into_response()
        }
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

fn mime_of(key: &str) -> &'static str {
    match key.rsplit('.').next() {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("webp") => "image/webp",
        Some("zip") => "application/zip",
        _ => "application/octet-stream",
    }
}
