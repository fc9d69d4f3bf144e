//! The steps of each job kind.

use super::run::{JobError, Step};
use crate::repo::job::JobRow;

/// The steps a job runs, in order.
pub fn for_job(job: &JobRow) -> Result<Vec<Box<dyn Step>>, JobError> {
    Err(JobError::Fatal(format!(
        "{} jobs are not supported by this version",
        job.kind
    )))
}
