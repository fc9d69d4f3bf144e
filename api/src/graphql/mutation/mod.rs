//! Mutation resolvers, one module per area, merged into `Mutation`. Every
//! state-changing mutation writes an audit event in the request's
//! transaction.

mod campaign;
pub(crate) use campaign::{CreateCampaignInput, create_statement};
mod credits;
mod job;
mod lead;
mod org;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    org::OrgMutation,
    org::LogoMutation,
    campaign::CampaignMutation,
    job::JobMutation,
    lead::LeadMutation,
    credits::CreditsMutation,
);
