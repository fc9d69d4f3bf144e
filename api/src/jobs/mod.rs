//! Durable jobs: enqueued in the transaction of the change that causes them,
//! claimed by workers with `FOR UPDATE SKIP LOCKED` and a lease.

pub mod pricing;

use crate::error::AppError;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// Asks every unfinished job of a campaign to stop at its next step boundary.
pub async fn request_cancel_for_campaign(db: &impl ConnectionTrait, campaign_id: Uuid) -> Result<(), AppError> {
    crate::repo::exec(
        db,
        "UPDATE jobs SET cancel_requested = true WHERE campaign_id = $1 AND status IN ('QUEUED', 'RUNNING')",
        [campaign_id.into()],
    )
    .await?;
    Ok(())
}
