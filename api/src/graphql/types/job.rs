//! Jobs and their progress events.

use super::{Node, id, load_campaign};
use crate::error::AppError;
use crate::graphql::loaders::{JobKey, loader_err};
use crate::graphql::relay::connection;
use crate::graphql::{loaders, tx};
use crate::repo::job::{JobEventRow, JobRow};
use async_graphql::{Context, Enum, ID, Object, Result};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum JobKind {
    GenerateCampaign,
    RegenerateAngle,
    RegenerateCopy,
    RegenerateAsset,
    ExportKit,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::GenerateCampaign => "GENERATE_CAMPAIGN",
            Self::RegenerateAngle => "REGENERATE_ANGLE",
            Self::RegenerateCopy => "REGENERATE_COPY",
            Self::RegenerateAsset => "REGENERATE_ASSET",
            Self::ExportKit => "EXPORT_KIT",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::GenerateCampaign,
            Self::RegenerateAngle,
            Self::RegenerateCopy,
            Self::RegenerateAsset,
            Self::ExportKit,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobStatus {
    pub fn parse(s: &str) -> Self {
        match s {
            "RUNNING" => Self::Running,
            "SUCCEEDED" => Self::Succeeded,
            "FAILED" => Self::Failed,
            "CANCELLED" => Self::Cancelled,
            _ => Self::Queued,
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum JobEventType {
    Queued,
    Started,
    StepStarted,
    StepProgress,
    Artifact,
    StepCompleted,
    Retrying,
    Succeeded,
    Failed,
    Cancelled,
}

impl JobEventType {
    pub fn parse(s: &str) -> Self {
        match s {
            "STARTED" => Self::Started,
            "STEP_STARTED" => Self::StepStarted,
            "STEP_PROGRESS" => Self::StepProgress,
            "ARTIFACT" => Self::Artifact,
            "STEP_COMPLETED" => Self::StepCompleted,
            "RETRYING" => Self::Retrying,
            "SUCCEEDED" => Self::Succeeded,
            "FAILED" => Self::Failed,
            "CANCELLED" => Self::Cancelled,
            _ => Self::Queued,
        }
    }
}

#[derive(Clone)]
pub struct Job(pub JobRow);

connection!(JobConnection, JobEdge, Job);

pub async fn load_job(ctx: &Context<'_>, job_id: Uuid) -> Result<Option<Job>, AppError> {
    // Boxed: a resolver future is as large as its largest field's.
    Box::pin(async move {
        Ok(loaders(ctx)
            .await?
            .load_one(JobKey(job_id))
            .await
            .map_err(loader_err)?
            .map(Job))
    })
    .await
}

#[Object]
impl Job {
    pub async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn kind(&self) -> JobKind {
        JobKind::parse(&self.0.kind).unwrap_or(JobKind::GenerateCampaign)
    }
    async fn status(&self) -> JobStatus {
        JobStatus::parse(&self.0.status)
    }
    /// 0.0 to 1.0
    async fn progress(&self) -> f64 {
        f64::from(self.0.progress)
    }
    async fn current_step(&self) -> Option<&str> {
        self.0.current_step.as_deref()
    }
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Option<super::Campaign>> {
        match self.0.campaign_id {
            Some(c) => Ok(load_campaign(ctx, c).await?),
            None => Ok(None),
        }
    }
    async fn credits_reserved(&self) -> i32 {
        self.0.credits_reserved
    }
    async fn credits_charged(&self) -> i32 {
        self.0.credits_charged
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.0.started_at
    }
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at
    }
    /// Events in order; afterSeq skips those already seen.
    async fn events(&self, ctx: &Context<'_>, after_seq: Option<i32>) -> Result<Vec<JobEvent>> {
        let rows = crate::repo::job::events_after(&*tx(ctx).await?, self.0.id, after_seq.unwrap_or(0))
            .await
            .map_err(AppError::from)?;
        Ok(rows.into_iter().map(JobEvent::from_row).collect())
    }
}

#[derive(Clone)]
pub struct JobEvent {
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

impl JobEvent {
    pub fn from_row(r: JobEventRow) -> Self {
        Self {
            job_id: r.job_id,
            seq: r.seq,
            r#type: r.r#type,
            step: r.step,
            progress: r.progress,
            message: r.message,
            artifact_type: r.artifact_type,
            artifact_id: r.artifact_id,
            at: r.at,
        }
    }

    pub fn from_msg(m: &crate::events::JobEventMsg) -> Self {
        Self {
            job_id: m.job_id,
            seq: m.seq,
            r#type: m.r#type.clone(),
            step: m.step.clone(),
            progress: m.progress,
            message: m.message.clone(),
            artifact_type: m.artifact_type.clone(),
            artifact_id: m.artifact_id,
            at: m.at,
        }
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self.r#type.as_str(), "SUCCEEDED" | "FAILED" | "CANCELLED")
    }
}

#[Object]
impl JobEvent {
    async fn job_id(&self) -> ID {
        id(self.job_id)
    }
    async fn seq(&self) -> i32 {
        self.seq
    }
    #[graphql(name = "type")]
    async fn r#type(&self) -> JobEventType {
        JobEventType::parse(&self.r#type)
    }
    async fn step(&self) -> Option<&str> {
        self.step.as_deref()
    }
    async fn progress(&self) -> f64 {
        f64::from(self.progress)
    }
    async fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
    /// What the step produced (an angle, a copy, an asset), when it produced one.
    async fn artifact(&self, ctx: &Context<'_>) -> Result<Option<Node>> {
        let (Some(kind), Some(artifact_id)) = (self.artifact_type.as_deref(), self.artifact_id) else {
            return Ok(None);
        };
        // Subscriptions resolve outside a request transaction: no artifact then.
        if ctx.data::<std::sync::Arc<crate::db::Tx>>().is_err() {
            return Ok(None);
        }
        Ok(super::node::load_node_of_type(ctx, kind, artifact_id)
            .await
            .ok()
            .flatten())
    }
    async fn at(&self) -> DateTime<Utc> {
        self.at
    }
}

#[derive(async_graphql::InputObject)]
pub struct GenerateCampaignInput {
    pub campaign_id: ID,
    /// Angles per locale, 1 to 10 (default 3).
    pub angles_per_locale: Option<i32>,
    /// Render images in all four aspect ratios for every angle (default true).
    pub include_images: Option<bool>,
}
