//! An S3-compatible store through aws-sdk-s3, with presigned GET URLs.

use super::Storage;
use crate::config::S3Config;
use anyhow::Context as _;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use chrono::{DateTime, Utc};
use std::time::Duration;

pub struct S3Storage {
    client: aws_sdk_s3::Client,
    bucket: String,
}

impl S3Storage {
    pub async fn new(cfg: &S3Config) -> anyhow::Result<Self> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest()).region(Region::new(cfg.region.clone()));
        if let Some(endpoint) = &cfg.endpoint {
            loader = loader.endpoint_url(endpoint);
        }
        if let (Some(id), Some(secret)) = (&cfg.access_key_id, &cfg.secret_access_key) {
            loader = loader.credentials_provider(Credentials::new(id, secret.expose(), None, None, "campaign-studio"));
        }
        let shared = loader.load().await;
        let conf = aws_sdk_s3::config::Builder::from(&shared)
            .force_path_style(cfg.force_path_style)
            .build();
        Ok(Self {
            client: aws_sdk_s3::Client::from_conf(conf),
            bucket: cfg.bucket.clone(),
        })
    }

    /// Creates the bucket if it does not exist (development and tests).
    pub async fn ensure_bucket(&self) -> anyhow::Result<()> {
        if self.client.head_bucket().bucket(&self.bucket).send().await.is_err() {
            self.client
                .create_bucket()
                .bucket(&self.bucket)
                .send()
                .await
                .context("cannot create the S3 bucket")?;
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Storage for S3Storage {
    async fn put(&self, key: &str, bytes: Vec<u8>, mime: &str) -> anyhow::Result<()> {
        anyhow::ensure!(super::valid_key(key), "invalid object key");
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(mime)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .context("S3 put_object failed")?;
        Ok(())
    }

    async fn get(&self, key: &str) -> anyhow::Result<Vec<u8>> {
        let out = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .context("S3 get_object failed")?;
        Ok(out
            .body
            .collect()
            .await
            .context("S3 body read failed")?
            .into_bytes()
            .to_vec())
    }

    async fn signed_url(&self, key: &str, ttl: Duration) -> anyhow::Result<(String, DateTime<Utc>)> {
        let expires = Utc::now() + chrono::Duration::from_std(ttl)?;
        let req = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(key)
            .presigned(PresigningConfig::expires_in(ttl)?)
            .await
            .context("S3 presigning failed")?;
        Ok((req.uri().to_string(), expires))
    }
}
