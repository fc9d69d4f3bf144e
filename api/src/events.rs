//! The event hub behind subscriptions.
//!
//! Events are published after the transaction that caused them commits. With
//! `REDIS_URL` they go through one Redis pub/sub channel, and every instance
//! (the publisher included) delivers what it receives from Redis to its local
//! subscribers, so a client on any instance sees events produced by any
//! worker. Without Redis the hub is an in-process broadcast.
//!
//! Local delivery is per topic (a job, a campaign, an org's leads) through
//! bounded broadcast channels: a slow subscriber lags (and catches up from
//! `job_events`), it never blocks a publisher or other subscribers.

use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;
use uuid::Uuid;

const CHANNEL: &str = "campaign-studio:events";
const TOPIC_BUFFER: usize = 256;

/// One stored progress event of a job, as published.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JobEventMsg {
    pub org_id: Uuid,
    pub job_id: Uuid,
    pub seq: i32,
    pub r#type: String,
    pub step: Option<String>,
    pub progress: f32,
    pub message: Option<String>,
    pub artifact_type: Option<String>,
    pub artifact_id: Option<Uuid>,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind")]
pub enum Event {
    Job(JobEventMsg),
    CampaignUpdated { org_id: Uuid, campaign_id: Uuid },
    LeadCaptured { org_id: Uuid, lead_id: Uuid },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    Job(Uuid),
    Campaign(Uuid),
    OrgLeads(Uuid),
}

impl Event {
    pub fn topic(&self) -> Topic {
        match self {
            Event::Job(e) => Topic::Job(e.job_id),
            Event::CampaignUpdated { campaign_id, .. } => Topic::Campaign(*campaign_id),
            Event::LeadCaptured { org_id, .. } => Topic::OrgLeads(*org_id),
        }
    }

    pub fn org_id(&self) -> Uuid {
        match self {
            Event::Job(e) => e.org_id,
            Event::CampaignUpdated { org_id, .. } | Event::LeadCaptured { org_id, .. } => *org_id,
        }
    }
}

#[derive(Default)]
struct Local {
    topics: Mutex<HashMap<Topic, broadcast::Sender<Arc<Event>>>>,
}

impl Local {
    fn subscribe(&self, topic: Topic) -> broadcast::Receiver<Arc<Event>> {
        let mut topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
        topics
            .entry(topic)
            .or_insert_with(|| broadcast::channel(TOPIC_BUFFER).0)
            .subscribe()
    }

    fn deliver(&self, event: Event) {
        let topic = event.topic();
        let mut topics = self.topics.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(tx) = topics.get(&topic)
            && tx.send(Arc::new(event)).is_err()
        {
            // nobody listens any more
            topics.remove(&topic);
        }
    }
}

#[derive(Clone)]
pub struct EventHub {
    local: Arc<Local>,
    redis: Option<redis::aio::ConnectionManager>,
}

impl EventHub {
    /// An in-process hub (single instance).
    pub fn in_process() -> Self {
        Self {
            local: Arc::new(Local::default()),
            redis: None,
        }
    }

    /// A hub fanned out through Redis; spawns the subscriber loop.
    pub async fn with_redis(url: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let publisher = client.get_connection_manager().await?;
        let local = Arc::new(Local::default());
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(CHANNEL).await?;
        let loop_local = local.clone();
        tokio::spawn(async move {
            let mut pubsub = pubsub;
            loop {
                {
                    let mut messages = pubsub.on_message();
                    while let Some(msg) = messages.next().await {
                        let payload: Vec<u8> = match msg.get_payload() {
                            Ok(p) => p,
                            Err(_) => continue,
                        };
                        match serde_json::from_slice::<Event>(&payload) {
                            Ok(event) => loop_local.deliver(event),
                            Err(e) => tracing::warn!(error = %e, "undecodable event on redis"),
                        }
                    }
                }
                // The connection dropped: resubscribe with backoff.
                tracing::warn!("redis event subscription lost; reconnecting");
                loop {
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                    match client.get_async_pubsub().await {
                        Ok(mut p) => {
                            if p.subscribe(CHANNEL).await.is_ok() {
                                pubsub = p;
                                break;
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "redis reconnect failed"),
                    }
                }
            }
        });
        Ok(Self {
            local,
            redis: Some(publisher),
        })
    }

    pub fn subscribe(&self, topic: Topic) -> broadcast::Receiver<Arc<Event>> {
        self.local.subscribe(topic)
    }

    /// Publishes committed events. Redis failures are logged, not raised:
    /// the events are stored, and subscribers catch up from the database.
    pub async fn publish(&self, events: Vec<Event>) {
        if events.is_empty() {
            return;
        }
        match &self.redis {
            None => {
                for e in events {
                    self.local.deliver(e);
                }
            }
            Some(conn) => {
                let mut conn = conn.clone();
                let mut pipe = redis::pipe();
                for e in &events {
                    if let Ok(payload) = serde_json::to_vec(e) {
                        pipe.cmd("PUBLISH").arg(CHANNEL).arg(payload).ignore();
                    }
                }
                if let Err(e) = pipe.query_async::<()>(&mut conn).await {
                    tracing::warn!(error = %e, "publishing events to redis failed; delivering locally");
                    for e in events {
                        self.local.deliver(e);
                    }
                }
            }
        }
    }
}
