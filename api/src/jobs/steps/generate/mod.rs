//! Generation jobs: GENERATE_CAMPAIGN and the REGENERATE_* jobs share their
//! steps and differ in what they target.
//!
//! Everything generated is a SUGGESTED row keyed (`gen_key`) by the hash of
//! the inputs that produced it: a retried or re-run step finds its rows and
//! adds nothing, charges nothing; accepted items and human edits are never
//! touched — regeneration adds new suggestions beside them.

mod copies;
pub(crate) mod images;
mod plan;
mod text;

pub(crate) use plan::Gen;

use crate::jobs::run::{JobError, Step};
use crate::pipeline::provider::ProviderError;
use crate::repo::job::JobRow;
use std::sync::Arc;
use tokio::sync::Mutex;

pub(crate) type Shared = Arc<Mutex<Gen>>;

impl From<ProviderError> for JobError {
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::Rejected(_) => JobError::Fatal(e.to_string()),
            ProviderError::Unavailable(_) | ProviderError::InvalidOutput(_) => JobError::Retryable(e.to_string()),
        }
    }
}

/// The steps of a generation job.
pub(crate) fn steps(job: &JobRow) -> Result<Vec<Box<dyn Step>>, JobError> {
    let state = Gen::from_job(job)?;
    let mode = state.mode;
    let include_images = state.include_images;
    let shared: Shared = Arc::new(Mutex::new(state));
    let mut steps: Vec<Box<dyn Step>> = vec![Box::new(text::Context(shared.clone()))];
    match mode {
        plan::Mode::Campaign | plan::Mode::Angle => {
            steps.push(Box::new(text::Angles(shared.clone())));
            steps.push(Box::new(copies::Copies(shared.clone())));
            steps.push(Box::new(copies::Hashtags(shared.clone())));
            steps.push(Box::new(copies::Moderation(shared.clone())));
            if include_images {
                steps.push(Box::new(images::Images(shared.clone())));
            }
        }
        plan::Mode::Copy => {
            steps.push(Box::new(copies::Copies(shared.clone())));
            steps.push(Box::new(copies::Hashtags(shared.clone())));
            steps.push(Box::new(copies::Moderation(shared.clone())));
        }
    }
    Ok(steps)
}
