//! sea-orm entities, one module per table. No GraphQL here: the API's types
//! live in `api/src/graphql/types` and convert from these models.

pub mod angle;
pub mod api_key;
pub mod asset;
pub mod audit_event;
pub mod brand_kit;
pub mod campaign;
pub mod copy;
pub mod credit_balance;
pub mod credit_entry;
pub mod idempotency_key;
pub mod job;
pub mod job_event;
pub mod job_queue;
pub mod lead;
pub mod lead_daily_stat;
pub mod lead_scoring_rule;
pub mod lead_source;
pub mod membership;
pub mod org;
pub mod review_note;
pub mod step_cache;
pub mod user;
