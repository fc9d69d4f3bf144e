//! Shared, tenant-independent state of a running instance.

use crate::auth::JwtVerifier;
use crate::config::Config;
use crate::crypto::{SecretBox, Signer};
use crate::events::EventHub;
use crate::metrics::Metrics;
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config: Config,
    pub pool: crate::db::Db,
    pub jwt: JwtVerifier,
    pub events: EventHub,
    pub users: UserCache,
    /// When each API key's use was last recorded here.
    pub api_key_touches: Mutex<HashMap<Uuid, std::time::Instant>>,
    pub metrics: Metrics,
    /// Encrypts webhook signing secrets at rest.
    pub secret_box: SecretBox,
    /// Signs asset URLs served by the API.
    pub url_signer: Signer,
    pub storage: Arc<dyn crate::storage::Storage>,
    /// The directory store, when that is the store (it serves `/files`).
    pub fs_storage: Option<Arc<crate::storage::FsStorage>>,
    /// Wakes this process's workers when a job is queued here.
    pub jobs: crate::jobs::JobSignal,
    /// Writes context packs, angles and copies.
    pub text: Arc<dyn crate::pipeline::provider::TextProvider>,
    /// Paints the source picture an image set is rendered from.
    pub images: Arc<dyn crate::images::SourceImageProvider>,
    /// Per-source rate limit of lead webhooks.
    pub webhook_limiter: crate::leads::RateLimiter,
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

/// Token subject -> user id, so a user is looked up (or created) once per
/// process rather than on every request. Bounded: cleared when full.
/// The user id, and the email and name it was resolved with.
type CachedUser = (Uuid, String, Option<String>);

#[derive(Default)]
pub struct UserCache {
    map: Mutex<HashMap<String, CachedUser>>,
}

const USER_CACHE_MAX: usize = 100_000;

impl UserCache {
    /// The cached id, if the token's email and name are what we stored.
    pub fn get(&self, subject: &str, email: &str, name: Option<&str>) -> Option<Uuid> {
        let map = self.map.lock().ok()?;
        map.get(subject)
            .filter(|(_, e, n)| e == email && (name.is_none() || n.as_deref() == name))
            .map(|(id, ..)| *id)
    }

    pub fn put(&self, subject: &str, email: &str, name: Option<&str>, id: Uuid) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= USER_CACHE_MAX {
                map.clear();
            }
            map.insert(subject.to_string(), (id, email.to_string(), name.map(str::to_string)));
        }
    }
}
