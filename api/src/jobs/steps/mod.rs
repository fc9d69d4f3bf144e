//! The steps of each job kind.

mod export;
mod generate;

use super::run::{JobError, Step};
use crate::repo::job::JobRow;

/// The steps a job runs, in order.
pub fn for_job(job: &JobRow) -> Result<Vec<Box<dyn Step>>, JobError> {
    match job.kind.as_str() {
        "GENERATE_CAMPAIGN" | "REGENERATE_ANGLE" | "REGENERATE_COPY" => generate::steps(job),
        "EXPORT_KIT" => Ok(vec![Box::new(export::Export)]),
        "REGENERATE_ASSET" => Ok(vec![Box::new(generate::images::RegenerateSet)]),
        other => Err(JobError::Fatal(format!(
            "{other} jobs are not supported by this version"
        ))),
    }
}
