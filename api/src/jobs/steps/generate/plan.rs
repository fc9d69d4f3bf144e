//! What a generation job targets, loaded once per attempt.

use crate::domain::campaign::{Brief, Platform};
use crate::jobs::run::JobError;
use crate::pipeline::provider::{BrandVoice, ContextPack};
use crate::repo::campaign::{AngleRow, CampaignRow};
use crate::repo::job::JobRow;
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// GENERATE_CAMPAIGN: N angles per locale, their copies and images.
    Campaign,
    /// REGENERATE_ANGLE: one new angle beside `target`, its copies.
    Angle,
    /// REGENERATE_COPY: one new copy beside `target`.
    Copy,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Input {
    locales: Option<Vec<String>>,
    platforms: Option<Vec<String>>,
    angles_per_locale: Option<i32>,
    include_images: Option<bool>,
    instructions: Option<String>,
}

/// The job's working state, shared by its steps.
pub(crate) struct Gen {
    pub(crate) mode: Mode,
    pub(crate) job_id: Uuid,
    /// The angle or copy a REGENERATE job works from.
    pub(crate) target: Option<Uuid>,
    pub(crate) instructions: Option<String>,
    pub(crate) per_locale: i32,
    pub(crate) include_images: bool,
    pub(crate) locales: Vec<String>,
    pub(crate) platforms: Vec<Platform>,
    /// Loaded by the CONTEXT step.
    pub(crate) campaign: Option<CampaignRow>,
    pub(crate) brief: Brief,
    pub(crate) brand: BrandVoice,
    pub(crate) contexts: HashMap<String, ContextPack>,
    /// The angles the COPIES (and IMAGES) steps work on.
    pub(crate) angles: Vec<AngleRow>,
    /// REGENERATE_COPY: the platform of the copy being replaced.
    pub(crate) copy_platform: Option<Platform>,
}

impl Gen {
    pub(crate) fn from_job(job: &JobRow) -> Result<Gen, JobError> {
        let input: Input = serde_json::from_value(job.input.clone()).unwrap_or_default();
        let mode = match job.kind.as_str() {
            "GENERATE_CAMPAIGN" => Mode::Campaign,
            "REGENERATE_ANGLE" => Mode::Angle,
            "REGENERATE_COPY" => Mode::Copy,
            other => return Err(JobError::Fatal(format!("{other} is not a generation job"))),
        };
        Ok(Gen {
            mode,
            job_id: job.id,
            target: job.target_id,
            instructions: input.instructions,
            per_locale: input
                .angles_per_locale
                .unwrap_or(crate::jobs::pricing::DEFAULT_ANGLES_PER_LOCALE),
            include_images: input.include_images.unwrap_or(false),
            locales: input.locales.unwrap_or_default(),
            platforms: input
                .platforms
                .unwrap_or_default()
                .iter()
                .filter_map(|p| Platform::parse(p))
                .collect(),
            campaign: None,
            brief: Brief::default(),
            brand: BrandVoice::default(),
            contexts: HashMap::new(),
            angles: Vec::new(),
            copy_platform: None,
        })
    }

    /// A REGENERATE job asks for something new even with unchanged inputs:
    /// its own id is part of its hashes.
    pub(crate) fn variant(&self) -> Option<Uuid> {
        (self.mode != Mode::Campaign).then_some(self.job_id)
    }

    pub(crate) fn provenance(
        &self,
        provider: &dyn crate::pipeline::provider::TextProvider,
        hash: &str,
        ctx: Option<&ContextPack>,
    ) -> serde_json::Value {
        let mut p = serde_json::json!({
            "provider": provider.provider(),
            "model": provider.model(),
            "promptVersion": provider.prompt_version(),
            "inputHash": hash,
            "jobId": self.job_id,
            "createdAt": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        });
        if let Some(c) = ctx.filter(|c| c.fallback) {
            p["fallbackLocale"] = serde_json::Value::String(c.language.clone());
        }
        p
    }
}
