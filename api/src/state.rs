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
    /// What entering each tenant answered last (`session::enter`).
    pub entries: EntryCache,
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

/// What the database answered when a user entered an org, or an API key
/// its org, last time: the role (and the key's org). A request expects the
/// same answer and sends its first statement along with the entry
/// (`db::Tx::begin_expecting`); the database still checks every time, and
/// a different answer makes the request run again from a plain entry. So
/// this only ever saves a round trip, it never grants anything. Bounded:
/// cleared when full.
#[derive(Default)]
pub struct EntryCache {
    map: Mutex<HashMap<crate::db::Enter, crate::db::Entered>>,
}

const ENTRY_CACHE_MAX: usize = 100_000;

impl EntryCache {
    pub fn get(&self, enter: &crate::db::Enter) -> Option<crate::db::Entered> {
        self.map.lock().ok()?.get(enter).cloned()
    }

    /// Keeps what entering answered, if it let the caller in.
    pub fn put(&self, enter: crate::db::Enter, entered: crate::db::Entered) {
        let Ok(mut map) = self.map.lock() else { return };
        if entered.role.is_none() {
            map.remove(&enter);
            return;
        }
        if map.len() >= ENTRY_CACHE_MAX {
            map.clear();
        }
        map.insert(enter, entered);
    }
}
