//! Query resolvers, one module per area, merged into `Query`.

mod campaign;
mod job;
mod lead;
mod org;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(org::OrgQuery, campaign::CampaignQuery, job::JobQuery, lead::LeadQuery);
