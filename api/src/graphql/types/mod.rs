//! GraphQL object and input types. Each wraps a repo row; resolvers of
//! nested fields load through the request's DataLoader.

mod asset;
mod campaign;
mod credits;
mod identity;
mod job;
mod lead;
pub mod node;
mod suggestion;

pub use asset::*;
pub use campaign::*;
pub use credits::*;
pub use identity::*;
pub use job::*;
pub use lead::*;
pub use node::Node;
pub use suggestion::*;

use async_graphql::ID;
use uuid::Uuid;

pub fn id(uuid: Uuid) -> ID {
    ID(uuid.to_string())
}
